"""The command line:

    python -m mediabatch_client upload FILE... --api URL --key KEY [--channel ID]
    python -m mediabatch_client resume UPLOAD_ID FILE --api URL --key KEY

`--api` and `--key` default to $MEDIABATCH_API_URL and $MEDIABATCH_API_KEY (a key in the
environment stays out of the shell's history). A progress bar goes to stderr; one line per
file to stdout: its name, media id and upload id (or the error, with the upload id to resume).
Exit status: 0 all uploaded, 1 some failed, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from mediabatch_client.client import UploadClient
from mediabatch_client.errors import BatchUploadError, UploadError
from mediabatch_client.models import UploadProgress, UploadResult
from mediabatch_client.progress_bar import ProgressBar, human

__all__ = ["ProgressBar", "human", "main"]


class _Seen:
    """Remembers each file's latest progress (its upload id, for an interrupted call) and
    passes it on to the bar."""

    def __init__(self, bar: ProgressBar | None) -> None:
        self.bar = bar
        self.latest: dict[str, UploadProgress] = {}

    def __call__(self, progress: UploadProgress) -> None:
        self.latest[progress.upload_id] = progress
        if self.bar is not None:
            self.bar(progress)

    def unfinished(self) -> list[UploadProgress]:
        return [p for p in self.latest.values() if not p.completed]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mediabatch_client", description="Upload video files to mediabatch."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--api",
        default=os.environ.get("MEDIABATCH_API_URL"),
        help="API base URL, e.g. http://127.0.0.1:8080 (default: $MEDIABATCH_API_URL)",
    )
    common.add_argument(
        "--key", default=os.environ.get("MEDIABATCH_API_KEY"), help="API key (default: $MEDIABATCH_API_KEY)"
    )
    common.add_argument("--workers", type=int, default=8, help="chunks sent at once (at least 1)")
    common.add_argument("--retries", type=int, default=3, help="retries per chunk")
    common.add_argument("--quiet", action="store_true", help="no progress bar")
    sub = parser.add_subparsers(dest="command", required=True)
    upload = sub.add_parser("upload", parents=[common], help="upload files (up to 150 MiB in one PUT, larger in parts)")
    upload.add_argument("files", nargs="+", type=Path, metavar="FILE")
    upload.add_argument("--channel", default=None, help="channel id")
    resume = sub.add_parser("resume", parents=[common], help="finish an interrupted upload")
    resume.add_argument("upload_id", metavar="UPLOAD_ID")
    resume.add_argument("file", type=Path, metavar="FILE")
    return parser


def _report(result: UploadResult, out: TextIO) -> None:
    out.write(
        f"{result.path.name}\tmedia {result.media_id}\tupload {result.upload_id}\t"
        f"{human(result.media.get('size') or 0)}\n"
    )


def _checked_paths(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[Path]:
    """The files to send; a usage error (exit status 2) for a missing option or file."""
    if not args.api or not args.key:
        parser.error("--api and --key are required (or $MEDIABATCH_API_URL and $MEDIABATCH_API_KEY)")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    paths: list[Path] = args.files if args.command == "upload" else [args.file]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"not a file: {', '.join(missing)}")
    return paths


def _run_command(
    client: UploadClient, args: argparse.Namespace, paths: list[Path], seen: _Seen, err: TextIO
) -> tuple[list[UploadResult], int]:
    """Upload or resume: the completed files and how many failed (each told on `err`, with the
    command that resumes it)."""
    if args.command != "upload":
        return [client.resume(args.upload_id, args.file, on_progress=seen)], 0
    try:
        return client.upload_files(paths, channel_id=args.channel, on_progress=seen), 0
    except BatchUploadError as exc:
        for path, error in exc.errors.items():
            err.write(f"{path.name}\tFAILED\t{error}\n")
            if error.upload_id:
                err.write(f"\tresume with: python -m mediabatch_client resume {error.upload_id} {path}\n")
        return exc.results, len(exc.errors)


def _finish(bar: ProgressBar | None) -> None:
    if bar:
        bar.finish()


def _interrupted(seen: _Seen, err: TextIO) -> None:
    """Ctrl-C: what was sent stays in S3, so say how to go on from there."""
    err.write("interrupted; chunks already sent stay in S3 for a day. To continue:\n")
    for progress in seen.unfinished():
        err.write(f"  python -m mediabatch_client resume {progress.upload_id} {progress.path}\n")


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 all uploaded, 1 some failed, 130 interrupted;
    usage errors exit with 2 through argparse)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    args = parser.parse_args(argv)
    paths = _checked_paths(parser, args)
    bar = None if args.quiet else ProgressBar(sum(p.stat().st_size for p in paths), len(paths), err)
    seen = _Seen(bar)
    with UploadClient(args.api, args.key, max_workers=args.workers, part_retries=max(0, args.retries)) as client:
        try:
            results, failed = _run_command(client, args, paths, seen, err)
        except UploadError as exc:
            _finish(bar)
            err.write(f"error: {exc}\n")
            return 1
        except KeyboardInterrupt:
            _finish(bar)
            _interrupted(seen, err)
            return 130
    _finish(bar)
    for result in results:
        _report(result, out)
    return 1 if failed else 0
