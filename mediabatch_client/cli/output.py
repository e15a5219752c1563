"""What a command prints: results on stdout (plain lines, or JSON with --json), progress and
errors on stderr (`error: <code>: <message>`), and the exit status each outcome maps to."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic import BaseModel
from rich.console import Console

from mediabatch_client.errors import (
    ERRORS_BY_CODE,
    AuthenticationFailed,
    ConnectionFailed,
    MediaBatchError,
    NotFoundError,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "Output",
    "exit_status",
]

EXIT_OK = 0
EXIT_FAILED = 1  # the API refused the call, or a batch/upload ended with failures
EXIT_USAGE = 2
EXIT_AUTH = 3  # missing or invalid API key
EXIT_NOT_FOUND = 4  # no such batch / media item / upload
EXIT_UNREACHABLE = 5  # no answer from the API (after retries)
EXIT_INTERRUPTED = 130  # Ctrl-C


def exit_status(error: MediaBatchError) -> int:
    """By the error's class, or its code's (an upload's UploadError carries the server's code)."""
    kind = ERRORS_BY_CODE.get(error.code, NotFoundError if error.code.endswith("_not_found") else type(error))
    if issubclass(kind, AuthenticationFailed):
        return EXIT_AUTH
    if issubclass(kind, NotFoundError):
        return EXIT_NOT_FOUND
    if issubclass(kind, ConnectionFailed):
        return EXIT_UNREACHABLE
    return EXIT_FAILED


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass
class Output:
    out: TextIO
    err: TextIO
    json: bool = False
    quiet: bool = False
    console: Console = field(init=False)

    def __post_init__(self) -> None:
        # Progress goes to stderr, so stdout stays what a script reads.
        self.console = Console(file=self.err, highlight=False, soft_wrap=True)

    @property
    def live(self) -> bool:
        """Draw live progress (not with --json or --quiet)."""
        return not self.json and not self.quiet

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def data(self, value: Any) -> None:
        """`value` as JSON on stdout (models as the API sent them)."""
        self.line(json.dumps(_plain(value), indent=2, ensure_ascii=False))

    def listing(self, value: Any, lines: Iterable[str]) -> int:
        """A list command's answer: `value` as JSON with --json, else one line per row (`lines`
        is only read then)."""
        if self.json:
            self.data(value)
        else:
            for text in lines:
                self.line(text)
        return EXIT_OK

    def note(self, text: str) -> None:
        """A message for people, on stderr."""
        self.err.write(text + "\n")
        self.err.flush()

    def error(self, code: str, message: str) -> None:
        self.note(f"error: {code}: {message}")
