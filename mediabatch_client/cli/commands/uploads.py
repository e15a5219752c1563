"""`mediabatch upload FILE...` (resumes an upload the same command began, from the state
file), `mediabatch resume UPLOAD_ID FILE` (from an uploadId got anywhere, e.g. a browser) and
`mediabatch uploads ls` (the open uploads, to find a lost uploadId)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers, positive_int
from mediabatch_client.cli.config import UsageError
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.live import UploadView
from mediabatch_client.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from mediabatch_client.client import UploadClient
from mediabatch_client.errors import BatchUploadError
from mediabatch_client.models import UploadProgress, UploadResult
from mediabatch_client.progress_bar import human
from mediabatch_client.resources.uploads import Uploads
from mediabatch_client.upload_state import UploadState, default_state_path


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    fmt = DefaultsFormatter
    up = sub.add_parser(
        "upload",
        parents=[common],
        formatter_class=fmt,
        help="upload video files (parallel parts; run again to resume)",
        description="Upload files straight to storage: up to 150 MiB in one PUT, larger ones in parallel "
        "parts. An interrupted upload is resumed by running the same command again (the state file "
        "remembers each file's upload).",
    )
    up.add_argument("files", nargs="+", type=Path, metavar="FILE")
    up.add_argument("--parallel", "--workers", dest="workers", type=positive_int, default=8, help="parts sent at once")
    up.add_argument("--channel", default=None, help="channel id")
    up.add_argument(
        "--state", type=Path, default=None, help=f"state file (default: $MEDIABATCH_STATE, else {default_state_path()})"
    )
    up.add_argument("--no-resume", action="store_true", help="start every file anew (ignore the state file)")
    up.set_defaults(run=upload)
    resume = sub.add_parser("resume", parents=[common], formatter_class=fmt, help="finish an upload from its uploadId")
    resume.add_argument("upload_id", metavar="UPLOAD_ID")
    resume.add_argument("file", type=Path, metavar="FILE")
    resume.add_argument("--parallel", "--workers", dest="workers", type=positive_int, default=8)
    resume.set_defaults(run=resume_upload)
    group = sub.add_parser("uploads", help="open uploads: ls").add_subparsers(
        dest="uploads_command", required=True, metavar="{ls}"
    )
    ls = group.add_parser(
        "ls",
        parents=[common],
        help="uploads not completed and not expired, newest first",
        description="Open uploads: resume one with mediabatch resume UPLOAD_ID FILE.",
    )
    ls.set_defaults(run=list_open)


def list_open(args: argparse.Namespace, ctx: Context) -> int:
    uploads = list(ctx.client.uploads.iter_open())
    if ctx.out.json:
        ctx.out.data(uploads)
        return EXIT_OK
    for u in uploads:
        ctx.out.line(f"{u.uploadId}\t{u.status}\t{u.filename}\t{human(u.size)}\texpires {u.expiresAt}")
    return EXIT_OK


def _checked(paths: list[Path]) -> list[tuple[Path, int]]:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"not a file: {', '.join(missing)}")
    return [(p, p.stat().st_size) for p in paths]


class _Seen:
    """Each file's latest progress (its uploadId, when interrupted), passed on to the view."""

    def __init__(self, view: Callable[[UploadProgress], None] | None) -> None:
        self.view = view
        self.latest: dict[str, UploadProgress] = {}

    def __call__(self, progress: UploadProgress) -> None:
        self.latest[progress.upload_id] = progress
        if self.view is not None:
            self.view(progress)

    def unfinished(self) -> list[UploadProgress]:
        return [p for p in self.latest.values() if not p.completed]


@contextmanager
def _view(ctx: Context, files: list[tuple[Path, int]]) -> Iterator[UploadView | None]:
    if not ctx.out.live:
        yield None
        return
    progress = UploadView.new_progress(ctx.out.err)
    with progress:
        yield UploadView(progress, files)


def _client(ctx: Context, workers: int) -> UploadClient:
    s = ctx.settings
    return UploadClient(s.api, s.api_key, max_workers=workers, part_retries=s.retries, api_retries=s.retries)


def _report(ctx: Context, results: list[UploadResult]) -> None:
    if ctx.out.json:
        ctx.out.data(
            [
                {
                    "path": str(r.path),
                    "media_id": r.media_id,
                    "upload_id": r.upload_id,
                    "resumed": r.resumed,
                    "bytes_sent": r.bytes_sent,
                    "media": r.media,
                }
                for r in results
            ]
        )
        return
    for r in results:
        ctx.out.line(f"{r.path.name}\tmedia {r.media_id}\tupload {r.upload_id}\t{human(r.media.get('size') or 0)}")


def _run_upload(
    ctx: Context, files: list[tuple[Path, int]], send: Callable[[Callable[[UploadProgress], None]], list[UploadResult]]
) -> int:
    """Run `send` under the live view; report results, failures (with how to go on) and Ctrl-C."""
    seen = _Seen(None)
    failed = 0
    try:
        with _view(ctx, files) as view:
            seen.view = view
            try:
                results = send(seen)
            except BatchUploadError as exc:
                results, failed = exc.results, len(exc.errors)
                errors = exc.errors
            else:
                errors = {}
    except KeyboardInterrupt:
        ctx.out.note(
            "interrupted; chunks already sent stay in S3 for a day. To continue, run the same command again, or:"
        )
        for p in seen.unfinished():
            ctx.out.note(f"  mediabatch resume {p.upload_id} {p.path}")
        return EXIT_INTERRUPTED
    for path, error in errors.items():
        ctx.out.note(f"{path.name}\tFAILED\t{error}")
        if error.upload_id:
            ctx.out.note(f"\tresume with: mediabatch resume {error.upload_id} {path}")
    _report(ctx, results)
    return EXIT_FAILED if failed else EXIT_OK


def upload(args: argparse.Namespace, ctx: Context) -> int:
    files = _checked(list(args.files))
    state = None if args.no_resume else UploadState(args.state)
    with _client(ctx, args.workers) as client:
        uploads = Uploads(client)
        return _run_upload(
            ctx,
            files,
            lambda cb: uploads.upload([p for p, _ in files], channel_id=args.channel, on_progress=cb, state=state),
        )


def resume_upload(args: argparse.Namespace, ctx: Context) -> int:
    files = _checked([args.file])
    with _client(ctx, args.workers) as client:
        return _run_upload(ctx, files, lambda cb: [client.resume(args.upload_id, args.file, on_progress=cb)])
