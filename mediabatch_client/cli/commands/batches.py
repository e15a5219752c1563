"""`mediabatch batch status|watch|cancel ID`: a batch download's jobs."""

from __future__ import annotations

import argparse

from rich.live import Live

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.live import batch_summary, batch_view
from mediabatch_client.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from mediabatch_client.resources.batches import Batch


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("batch", help="a batch download: status, watch, cancel").add_subparsers(
        dest="batch_command", required=True, metavar="{status,watch,cancel}"
    )
    for name, func, text in (
        ("status", status, "the batch and its jobs, once"),
        ("watch", watch, "each job's progress, live, until the batch ends"),
        ("cancel", cancel, "cancel the jobs not yet finished"),
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
            f"{job.job_id}\t{job.status}\t{percent:.0f}%\t{job.name}" + (f"\t{job.error}" if job.error else "")
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
    last: Batch | None = None
    try:
        if not ctx.out.live:
            last = batches.wait(batch_id, interval=interval)
        else:
            with Live(console=ctx.out.console, refresh_per_second=4, transient=False) as live:
                for last in batches.watch(batch_id, interval=interval):
                    live.update(batch_view(last), refresh=True)
    except KeyboardInterrupt:
        ctx.out.note(f"stopped watching; the batch goes on. Again: mediabatch batch watch {batch_id}")
        return EXIT_INTERRUPTED
    assert last is not None
    if ctx.out.json:
        ctx.out.data(last)
    else:
        for job in last.jobs:
            if job.error:
                ctx.out.note(f"{job.name}: {job.status}: {job.error}")
        ctx.out.line(batch_summary(last))
    return outcome(last)


def cancel(args: argparse.Namespace, ctx: Context) -> int:
    batch = ctx.client.batches.cancel(args.batch_id)
    _show(ctx, batch)
    return EXIT_OK
