"""`mediabatch download URL... | -f urls.txt`: start a batch download (and `--watch` it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers, positive_int
from mediabatch_client.cli.commands.batches import watch_batch
from mediabatch_client.cli.config import UsageError, check_url
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.output import EXIT_OK

QUALITIES = ["best", "worst", "2160p", "1440p", "1080p", "720p", "480p", "360p", "240p", "144p", "audio"]
FORMATS = ["mp4", "webm", "mkv", "mov"]


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "download",
        parents=[common],
        help="start a batch download from URLs",
        description="Start a batch download: every URL becomes a job; prints the batch id.",
        formatter_class=DefaultsFormatter,
    )
    p.add_argument("urls", nargs="*", metavar="URL", help="http(s) URLs of videos")
    p.add_argument("-f", "--file", type=Path, help="a file of URLs, one a line (# comments)")
    p.add_argument("--concurrency", type=positive_int, default=3, help="jobs run at once (1-10)")
    p.add_argument("--quality", choices=QUALITIES, default="best", help="video quality")
    p.add_argument("--format", dest="video_format", choices=FORMATS, default="mp4", help="container")
    p.add_argument("--subtitles", action="store_true", help="download subtitles too")
    p.add_argument("--webhook-url", default=None, help="where to POST the batch's signed events")
    p.add_argument("--watch", action="store_true", help="show each job's progress live until the batch ends")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --watch")
    p.set_defaults(run=run)


def _urls(args: argparse.Namespace) -> list[str]:
    urls = list(args.urls)
    if args.file is not None:
        try:
            lines = args.file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        urls += [s for line in lines if (s := line.strip()) and not s.startswith("#")]
    if not urls:
        raise UsageError("no URLs: give them as arguments or with -f FILE")
    return [check_url(u) for u in urls]


def run(args: argparse.Namespace, ctx: Context) -> int:
    summary = ctx.client.batches.create(
        _urls(args),
        concurrent_limit=args.concurrency,
        quality=args.quality,
        video_format=args.video_format,
        download_subtitles=args.subtitles or None,
        webhook_url=args.webhook_url,
    )
    if args.watch:
        if not ctx.out.json:
            ctx.out.note(f"batch {summary.batch_id}: {summary.total_jobs} job(s) {summary.status}")
        return watch_batch(ctx, summary.batch_id, args.interval)
    if ctx.out.json:
        ctx.out.data(summary)
    else:
        ctx.out.line(f"{summary.batch_id}\t{summary.status}\t{summary.total_jobs} job(s)")
        ctx.out.note(f"watch it with: mediabatch batch watch {summary.batch_id}")
    return EXIT_OK
