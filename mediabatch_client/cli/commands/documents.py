"""Document batches: `mediabatch embed FILE... --collection C [--watch]` (PDF/PPTX into a
collection, multipart or presigned by size), `mediabatch search "text" --collection C [-n N]`,
`mediabatch collections ls|rm NAME`."""

from __future__ import annotations

import argparse
from pathlib import Path

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers, positive_int
from mediabatch_client.cli.config import UsageError
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.live import document_view, follow
from mediabatch_client.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from mediabatch_client.resources.documents import DocumentJobStatus, SearchResult


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    fmt = DefaultsFormatter
    embed = sub.add_parser(
        "embed",
        parents=[common],
        formatter_class=fmt,
        help="embed PDF/PPTX files into a collection",
        description="Start a document job for 1-10 PDF or PPTX files: small ones go in one request, "
        "larger ones straight to storage through presigned URLs. Prints the job id.",
    )
    embed.add_argument("files", nargs="+", type=Path, metavar="FILE")
    embed.add_argument("--collection", "-c", default=None, help="collection (default: batch_<timestamp>)")
    embed.add_argument("--via", choices=["auto", "multipart", "presigned"], default="auto", help="upload path")
    embed.add_argument("--watch", action="store_true", help="follow each file's step and percentage until done")
    embed.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --watch")
    embed.set_defaults(run=run_embed)

    job = sub.add_parser("embed-status", parents=[common], help="a document job's files, once")
    job.add_argument("job_id", metavar="JOB_ID")
    job.set_defaults(run=run_status)

    search = sub.add_parser(
        "search", parents=[common], formatter_class=fmt, help="search a collection by meaning, nearest first"
    )
    search.add_argument("query", metavar="TEXT")
    search.add_argument("--collection", "-c", required=True)
    search.add_argument("-n", "--results", type=positive_int, default=5, help="results (1-100)")
    search.set_defaults(run=run_search)

    group = sub.add_parser("collections", help="document collections: ls, rm").add_subparsers(
        dest="collections_command", required=True, metavar="{ls,rm}"
    )
    group.add_parser("ls", parents=[common], help="your collections and their chunks").set_defaults(run=run_ls)
    rm = group.add_parser("rm", parents=[common], help="delete a collection and its chunks")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(run=run_rm)


def outcome(job: DocumentJobStatus) -> int:
    """0 when every file was embedded; 1 when the job failed or only partly completed."""
    return EXIT_OK if job.status == "completed" else EXIT_FAILED


def run_embed(args: argparse.Namespace, ctx: Context) -> int:
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        raise UsageError(f"not a file: {', '.join(missing)}")
    if len(args.files) > 10:
        raise UsageError("at most 10 files per job")
    started = ctx.client.documents.embed(args.files, collection=args.collection, via=args.via)
    if args.watch:
        if not ctx.out.json:
            ctx.out.note(f"job {started.job_id}: {len(args.files)} file(s) {started.status}")
        return watch_job(ctx, started.job_id, args.interval)
    if ctx.out.json:
        ctx.out.data(started)
    else:
        ctx.out.line(f"{started.job_id}\t{started.status}\t{len(args.files)} file(s)")
        ctx.out.note(f"follow it with: mediabatch embed-status {started.job_id}")
    return EXIT_OK


def _print_job(ctx: Context, job: DocumentJobStatus) -> None:
    if ctx.out.json:
        ctx.out.data(job)
        return
    for f in job.files_state():
        ctx.out.line(f"{f.name}\t{f.status}\t{f.step}\t{f.percentage:.0f}%" + (f"\t{f.error}" if f.error else ""))
    ctx.out.line(f"job {job.job_id} {job.status}: {job.percent:.0f}% in {job.collection_name}")


def run_status(args: argparse.Namespace, ctx: Context) -> int:
    job = ctx.client.documents.status(args.job_id)
    _print_job(ctx, job)
    return outcome(job) if job.finished else EXIT_OK


def watch_job(ctx: Context, job_id: str, interval: float) -> int:
    """Poll the job until it ends, drawing each file's step and percentage live; then each
    file's outcome. Ctrl-C stops watching only (the job goes on)."""
    documents = ctx.client.documents
    try:
        last = follow(
            ctx.out.console if ctx.out.live else None,
            lambda: documents.wait(job_id, interval=interval),
            lambda: documents.watch(job_id, interval=interval),
            document_view,
        )
    except KeyboardInterrupt:
        ctx.out.note(f"stopped watching; the job goes on. Again: mediabatch embed-status {job_id}")
        return EXIT_INTERRUPTED
    _print_job(ctx, last)
    return outcome(last)


def run_search(args: argparse.Namespace, ctx: Context) -> int:
    results = ctx.client.documents.search(args.collection, args.query, n_results=args.results)
    return ctx.out.listing(results, map(_hit_line, results))


def _hit_line(r: SearchResult) -> str:
    where = f"slide {r.slide_number}" if r.slide_number is not None else f"page {r.page_number}"
    return f"{r.distance:.3f}\t{r.document_name}\t{where}\t{' '.join(r.text.split())[:120]}"


def run_ls(args: argparse.Namespace, ctx: Context) -> int:
    collections = ctx.client.documents.collections()
    return ctx.out.listing(collections, (f"{c.name}\t{c.chunks} chunk(s)" for c in collections))


def run_rm(args: argparse.Namespace, ctx: Context) -> int:
    deleted = ctx.client.documents.delete_collection(args.name)
    if ctx.out.json:
        ctx.out.data(deleted)
    else:
        ctx.out.line(f"deleted {deleted.name}")
    return EXIT_OK
