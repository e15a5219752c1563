"""`mediabatch show URL [--folder F] [--watch]`: a show, podcast feed or playlist becomes a
batch with a job per episode (a single media URL: one job); `--watch` follows the episodes.
`mediabatch show BATCH_ID --watch` follows a show batch started before."""

from __future__ import annotations

import argparse
import time

from rich.live import Live

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers
from mediabatch_client.cli.config import check_url
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.live import episode_failure, show_summary, show_view
from mediabatch_client.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from mediabatch_client.resources.shows import EpisodeJob, ShowBatch, ShowCreated

_JOB_DONE = frozenset({"completed", "failed", "cancelled"})


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "show",
        parents=[common],
        help="download every episode of a show, feed or playlist",
        description="Start a show batch: one job per episode of the feed or playlist; prints the batch id.",
        formatter_class=DefaultsFormatter,
    )
    p.add_argument("url", metavar="URL", help="show, podcast feed (RSS/Atom) or playlist URL (or a batch id to watch)")
    p.add_argument("--folder", default=None, help="store under batch/FOLDER/ (default: the batch id)")
    p.add_argument("--webhook-url", default=None, help="where to POST the batch_completed webhook")
    p.add_argument("--watch", action="store_true", help="follow the episodes live until the batch ends")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --watch")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    if args.url.startswith("batch_") and "://" not in args.url:
        return watch_show(ctx, args.url, args.interval)
    created = ctx.client.shows.create(check_url(args.url), folder=args.folder, webhook_url=args.webhook_url)
    if isinstance(created, EpisodeJob):
        return _single(ctx, created, args) if args.watch else _print_job(ctx, created)
    if args.watch:
        if not ctx.out.json:
            ctx.out.note(f"show batch {created.batch_id}: {created.total_episodes} episode(s)")
        return watch_show(ctx, created.batch_id, args.interval)
    return _print_created(ctx, created)


def _print_created(ctx: Context, created: ShowCreated) -> int:
    if ctx.out.json:
        ctx.out.data(created)
    else:
        ctx.out.line(f"{created.batch_id}\tprocessing\t{created.total_episodes} episode(s)")
        ctx.out.note(f"watch it with: mediabatch show {created.batch_id} --watch")
    return EXIT_OK


def _print_job(ctx: Context, job: EpisodeJob) -> int:
    if ctx.out.json:
        ctx.out.data(job)
    else:
        ctx.out.line(f"{job.id}\t{job.status}\t{job.name}" + (f"\t{episode_failure(job)}" if job.error else ""))
    return EXIT_FAILED if job.status in ("failed", "cancelled") else EXIT_OK


def _single(ctx: Context, job: EpisodeJob, args: argparse.Namespace) -> int:
    try:
        while job.status not in _JOB_DONE:
            time.sleep(args.interval)
            job = ctx.client.shows.job(job.id)
    except KeyboardInterrupt:
        ctx.out.note(f"stopped watching; the job goes on ({job.id})")
        return EXIT_INTERRUPTED
    return _print_job(ctx, job)


def watch_show(ctx: Context, batch_id: str, interval: float) -> int:
    """Poll the batch and its episodes until every episode is done, drawing them live; then the
    summary (failed episodes with their error_code on stderr). Ctrl-C stops watching only."""
    shows = ctx.client.shows
    last: ShowBatch | None = None
    episodes: list[EpisodeJob] = []
    try:
        live = Live(console=ctx.out.console, refresh_per_second=4, transient=False) if ctx.out.live else None
        if live is not None:
            live.start()
        try:
            for last in shows.watch(batch_id, interval=interval):
                episodes = shows.episodes(last)
                if live is not None:
                    live.update(show_view(last, episodes), refresh=True)
        finally:
            if live is not None:
                live.stop()
    except KeyboardInterrupt:
        ctx.out.note(f"stopped watching; the batch goes on. Again: mediabatch batch status {batch_id}")
        return EXIT_INTERRUPTED
    assert last is not None
    if ctx.out.json:
        ctx.out.data({"batch": last, "episodes": episodes})
    else:
        for job in episodes:
            if job.error:
                ctx.out.note(f"{job.name}: {job.status}: {episode_failure(job)}")
        ctx.out.line(show_summary(last))
    return EXIT_OK if last.status == "completed" and last.failed_episodes == 0 else EXIT_FAILED
