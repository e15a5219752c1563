"""`mediabatch batch status|watch|cancel|retry ID` (a batch's jobs) and `mediabatch batch ls
[--status S]` (your batches, newest first, show batches too)."""

from __future__ import annotations

import argparse

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers, positive_int
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.live import batch_summary, batch_view, follow
from mediabatch_client.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from mediabatch_client.resources.batches import Batch, BatchListEntry, Job

STATUSES = ["queued", "running", "completed", "failed", "cancelled"]


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("batch", help="batch downloads: ls, status, watch, cancel, retry").add_subparsers(
        dest="batch_command", required=True, metavar="{ls,status,watch,cancel,retry}"
    )
    ls = group.add_parser(
        "ls", parents=[common], help="your batches, newest first", description="Your batches (show batches too)."
    )
    ls.add_argument("--status", choices=STATUSES, default=None, help="only batches in this status")
    ls.add_argument("--limit", type=positive_int, default=None, help="at most this many (default: all)")
    ls.set_defaults(run=list_batches)
    for name, func, text in (
        ("status", status, "the batch and its jobs, once"),
        ("watch", watch, "each job's progress, live, until the batch ends"),
        ("cancel", cancel, "cancel the jobs not yet finished"),
        ("retry", retry, "run the failed and cancelled jobs of a finished batch again, in place"),
    ):
        p = group.add_parser(name, parents=[common], help=text, description=text, formatter_class=DefaultsFormatter)
        p.add_argument("batch_id", metavar="ID")
        if name == "watch":
            p.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        p.set_defaults(run=func)


def outcome(batch: Batch) -> int:
    """0 when every job completed; 1 when the batch failed or any job failed or was cancelled."""
    return EXIT_OK if batch.status == "completed" and batch.failed_jobs == 0 else EXIT_FAILED


def _show(ctx: Context, batch: Batch) -> None:
    if ctx.out.json:
        ctx.out.data(batch)
        return
    for job in batch.jobs:
        percent = 100.0 if job.status == "completed" else job.progress.percent
        ctx.out.line(
            f"{job.job_id}\t{job.status}\t{percent:.0f}%\t{job.name}" + (f"\t{failure(job)}" if job.error else "")
        )
    ctx.out.line(
        batch_summary(batch) if batch.finished else f"batch {batch.batch_id} {batch.status}: {batch.percent:.0f}%"
    )


def status(args: argparse.Namespace, ctx: Context) -> int:
    batch = ctx.client.batches.get(args.batch_id)
    _show(ctx, batch)
    return outcome(batch) if batch.finished else EXIT_OK


def watch(args: argparse.Namespace, ctx: Context) -> int:
    return watch_batch(ctx, args.batch_id, args.interval)


def watch_batch(ctx: Context, batch_id: str, interval: float) -> int:
    """Poll until the batch ends, drawing it live; then its summary on stdout. Ctrl-C stops
    watching only (the batch goes on)."""
    batches = ctx.client.batches
    try:
        last = follow(
            ctx.out.console if ctx.out.live else None,
            lambda: batches.wait(batch_id, interval=interval),
            lambda: batches.watch(batch_id, interval=interval),
            batch_view,
        )
    except KeyboardInterrupt:
        ctx.out.note(f"stopped watching; the batch goes on. Again: mediabatch batch watch {batch_id}")
        return EXIT_INTERRUPTED
    if ctx.out.json:
        ctx.out.data(last)
    else:
        for job in last.jobs:
            if job.error:
                ctx.out.note(f"{job.name}: {job.status}: {failure(job)}")
        ctx.out.line(batch_summary(last))
    return outcome(last)


def failure(job: Job) -> str:
    """A failed job's reason, its stable `error_code` first."""
    return f"{job.error_code}: {job.error}" if job.error_code else str(job.error)


def list_batches(args: argparse.Namespace, ctx: Context) -> int:
    entries = []
    for entry in ctx.client.batches.iter(status=args.status, page_size=min(100, args.limit or 100)):
        entries.append(entry)
        if args.limit is not None and len(entries) >= args.limit:
            break
    return ctx.out.listing(entries, map(_entry_line, entries))


def _entry_line(e: BatchListEntry) -> str:
    done = f"{e.completed_jobs}/{e.total_jobs} completed, {e.failed_jobs} failed"
    return f"{e.batch_id}\t{e.status}\t{done}\t{e.created_at}" + (f"\t{e.show_url}" if e.show_url else "")


def retry(args: argparse.Namespace, ctx: Context) -> int:
    batch = ctx.client.batches.retry(args.batch_id)
    _show(ctx, batch)
    if not ctx.out.json:
        ctx.out.note(f"watch it with: mediabatch batch watch {batch.batch_id}")
    return EXIT_OK


def cancel(args: argparse.Namespace, ctx: Context) -> int:
    batch = ctx.client.batches.cancel(args.batch_id)
    _show(ctx, batch)
    return EXIT_OK
