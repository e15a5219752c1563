"""Runnable examples in the docs: how they are marked, parsed and compared with real answers.

A fenced block preceded by `<!-- example: NAME [given LITERAL=KIND ...] [capture LITERAL=PATH ...] -->`
is a transcript: `$ command` lines (continued by a trailing backslash or an open quote), each followed
by the answer it printed, optionally ending in the status code (`{...}   404`), or by a fenced ```json
block right after it. `# ...` lines end an answer. `given` names a literal id the test makes real
beforehand (a `media` item, a finished `batch`); `<!-- example: NAME python -->` before a ```python block runs
it as a program there (`API` and `KEY` defined, the docs' address and key replaced) and compares its
output lines, ids masked, with the ```text block after it; `<!-- example: NAME script -->` before a ```bash
block runs it whole (in one folder for all scripts) and checks the JSON it prints against the ```text
block that follows; `capture` takes a literal id from an answer
(`results.0.new_id`) so later examples address the real one; `retry` runs a step again until its
answer matches (for a job still running). Shown answers may elide with `...`/`…`:
`{"a": 1, ...}` allows more keys, a string's value is never compared, only its type, except for the
fields in `EXACT` (error codes and field names) and numeric `status` (a result's HTTP status)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

MARKER = re.compile(
    r"<!-- example: (?P<name>[\w-]+)(?P<opts>[^>]*?)-->\s*\n```\w*\n(?P<body>.*?)\n```"
    r"(?:\s*\n```json\n(?P<json>.*?)\n```)?",
    re.S,
)
SCRIPT = re.compile(
    r"<!-- example: (?P<name>[\w-]+) (?P<kind>script|python) -->\s*\n```(?:bash|python)\n(?P<body>.*?)\n```"
    r"(?:(?:(?!```|<!--).)*?```text\n(?P<output>.*?)\n```)?",
    re.S,
)
EXACT = {"code", "success", "field"}
MORE = "…"  # the key of an object shown with `...`: more keys allowed


@dataclass
class Step:
    command: str
    shown: str  # the answer as the docs show it, status code and headers included


@dataclass
class Example:
    name: str
    steps: list[Step]
    given: dict[str, str] = field(default_factory=dict)
    capture: dict[str, str] = field(default_factory=dict)
    retry: bool = False  # run each step again (up to 60 s) until its answer matches: work still running
    script: bool = False
    python: bool = False  # a ```python block, run as a program; its printed lines against the ```text after it


def examples_in(markdown: str) -> list[Example]:
    found = []
    for match in SCRIPT.finditer(markdown):
        step = Step(match["body"], match["output"] or "")
        found.append(
            (
                match.start(),
                Example(match["name"], [step], script=match["kind"] == "script", python=match["kind"] == "python"),
            )
        )
    for match in MARKER.finditer(markdown):
        if match["opts"].split() in (["script"], ["python"]):
            continue
        steps = transcript(match["body"])
        if match["json"] is not None and steps and not steps[-1].shown:
            steps[-1].shown = match["json"]
        example = Example(match["name"], steps)
        keyword = ""
        for word in match["opts"].split():
            if word == "retry":
                example.retry = True
            elif word in ("given", "capture"):
                keyword = word
            else:
                literal, _, value = word.partition("=")
                getattr(example, keyword)[literal] = value
        found.append((match.start(), example))
    return [example for _, example in sorted(found, key=lambda pair: pair[0])]


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


def transcript(body: str) -> list[Step]:
    steps: list[Step] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        command = lines[i][2:]
        i += 1
        while not _complete(command) and i < len(lines):
            command += "\n" + lines[i]
            i += 1
        shown: list[str] = []
        while i < len(lines) and not lines[i].startswith(("$ ", "#")):
            shown.append(lines[i])
            i += 1
        steps.append(Step(command, "\n".join(shown).strip()))
    return steps


def shown_documents(text: str) -> tuple[list[str], list[Any]]:
    """A script's shown output: plain lines (checked verbatim) and JSON documents (each from a `{` line)."""
    plain: list[str] = []
    chunks: list[str] = []
    for line in text.splitlines():
        if line.startswith("{"):
            chunks.append(line)
        elif line.startswith(" ") and chunks:
            chunks[-1] += "\n" + line
        elif line.strip():
            plain.append(line.strip())
    return plain, [shown_json(chunk) for chunk in chunks]


def printed_documents(text: str) -> list[Any]:
    decoder, found, pos = json.JSONDecoder(), [], 0
    while (pos := text.find("{", pos)) != -1:
        try:
            document, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos += 1
            continue
        found.append(document)
        pos = end
    return found


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


PROGRESS = re.compile(r"\d+\.\d%")
STATE = re.compile(r"processing (pending|running|ready)")


def result_lines(text: str) -> list[str]:
    """A program's output lines that say what it did, ids and processing states masked; progress
    lines (`12.5%`), elisions (`...`) and the command line (`$ ...`) are left out: they depend on timing."""
    lines = [STATE.sub("processing <state>", UUID.sub("<id>", line.rstrip())) for line in text.splitlines()]
    return [
        line
        for line in lines
        if line.strip() and not PROGRESS.search(line) and "..." not in line and not line.startswith("$ ")
    ]


def program_arguments(shown: str) -> list[str]:
    """The arguments of the `$ python prog.py ARGS` line a shown output starts with, if any."""
    first = shown.splitlines()[0] if shown else ""
    return first.split()[3:] if first.startswith("$ python ") else []


def split_answer(text: str) -> tuple[int | None, str]:
    """(status, body) of a shown or printed answer: `HTTP/1.1 202 ...` headers, or a trailing code."""
    text = text.strip()
    if text.startswith("HTTP/"):
        status = int(text.split()[1])
        _, _, body = text.replace("\r\n", "\n").partition("\n\n")
        return status, body.strip()
    match = re.fullmatch(r"(?s)(.*?)\s*\b(\d{3})", text)
    if match and (not match[1] or match[1].rstrip().endswith(("}", "]"))):
        return int(match[2]), match[1].strip()
    return None, text


_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|\.\.\.|…|[{}\[\]:,])')


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text.rstrip()):
            match = _TOKEN.match(text, pos)
            if not match:
                raise ValueError(f"not JSON at {text[pos : pos + 40]!r}")
            self.tokens.append(match[1])
            pos = match.end()
        self.pos = 0

    def take(self) -> str:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def value(self) -> Any:
        token = self.take()
        if token == "{":
            return self._object()
        if token == "[":
            return self._array()
        return json.loads(token)

    def _object(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while (token := self.take()) != "}":
            if token in ("...", "…"):
                out[MORE] = True
            elif token != ",":
                self.take()  # ":"
                out[token[1:-1]] = self.value()
        return out

    def _array(self) -> list[Any]:
        out: list[Any] = []
        while self.tokens[self.pos] != "]":
            if self.tokens[self.pos] in ("...", "…", ","):
                self.pos += 1
            else:
                out.append(self.value())
        self.pos += 1
        return out


def shown_json(text: str) -> Any:
    """The docs' JSON with elisions: `...` in an object allows more keys; in an array, more items."""
    return _Reader(text).value()


def differences(shown: Any, actual: Any, path: str = "$") -> list[str]:
    """What of the shown answer the real one does not match: keys, types, codes (ids and times masked)."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{path}: shown an object, got {actual!r}"]
        keys = set(shown) - {MORE}
        problems = [f"{path}: shown key {k!r} missing" for k in sorted(keys - set(actual))]
        if MORE not in shown:
            problems += [f"{path}: key {k!r} not shown" for k in sorted(set(actual) - keys)]
        for key in sorted(keys & set(actual)):
            exact = key in EXACT or (key == "status" and isinstance(shown[key], int))  # per-item HTTP status
            if exact and shown[key] != actual[key]:
                problems.append(f"{path}.{key}: shown {shown[key]!r}, got {actual[key]!r}")
            else:
                problems += differences(shown[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{path}: shown a list, got {actual!r}"]
        return [
            p for i, (s, a) in enumerate(zip(shown, actual, strict=False)) for p in differences(s, a, f"{path}[{i}]")
        ]
    if shown is None or actual is None or _kind(shown) == _kind(actual):
        return []
    return [f"{path}: shown {shown!r}, got {actual!r}"]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def at(document: Any, path: str) -> Any:
    for part in path.split("."):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document
