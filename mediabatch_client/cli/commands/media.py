"""`mediabatch media ls|get|rm|cp`: the media catalog."""

from __future__ import annotations

import argparse

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers, positive_int
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.output import EXIT_FAILED, EXIT_OK
from mediabatch_client.progress_bar import human
from mediabatch_client.resources.media import MediaItem


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("media", help="the media catalog: ls, get, rm, cp").add_subparsers(
        dest="media_command", required=True, metavar="{ls,get,rm,cp}"
    )
    fmt = DefaultsFormatter
    ls = group.add_parser("ls", parents=[common], help="list media items", formatter_class=fmt)
    ls.add_argument("--folder", default=None, help="only this folder")
    ls.add_argument("--limit", type=positive_int, default=50, help="items to show (with --all: per page)")
    ls.add_argument("--cursor", default=None, help="start from this page (next_cursor of the previous)")
    ls.add_argument("--all", action="store_true", help="every item, page after page")
    ls.set_defaults(run=list_media)
    get = group.add_parser("get", parents=[common], help="one media item", formatter_class=fmt)
    get.add_argument("media_id", metavar="ID")
    get.set_defaults(run=get_media)
    rm = group.add_parser("rm", parents=[common], help="delete media items (50 per call)", formatter_class=fmt)
    rm.add_argument("ids", nargs="+", metavar="ID")
    rm.set_defaults(run=delete_media)
    cp = group.add_parser("cp", parents=[common], help="copy media items (50 per call)", formatter_class=fmt)
    cp.add_argument("ids", nargs="+", metavar="ID")
    cp.set_defaults(run=copy_media)


def _row(item: MediaItem) -> str:
    return f"{item.id}\t{item.filename}\t{human(item.size)}\t{item.folder}\t{item.processing.state}\t{item.created_at}"


def list_media(args: argparse.Namespace, ctx: Context) -> int:
    media = ctx.client.media
    if args.all:
        items = list(media.iter(folder=args.folder, page_size=min(100, args.limit)))
        cursor = None
    else:
        page = media.list(folder=args.folder, limit=min(100, args.limit), cursor=args.cursor)
        items, cursor = page.items, page.next_cursor
    if ctx.out.json:
        ctx.out.data({"items": items, "next_cursor": cursor})
        return EXIT_OK
    for item in items:
        ctx.out.line(_row(item))
    if cursor:
        ctx.out.note(f"more: mediabatch media ls --cursor {cursor}")
    return EXIT_OK


def get_media(args: argparse.Namespace, ctx: Context) -> int:
    item = ctx.client.media.get(args.media_id)
    if ctx.out.json:
        ctx.out.data(item)
    else:
        for key, value in item.model_dump(mode="json").items():
            ctx.out.line(f"{key}: {value}")
    return EXIT_OK


def delete_media(args: argparse.Namespace, ctx: Context) -> int:
    """One id: DELETE (a missing item is an error, exit 4); several: the batch call, a line
    each (exit 1 unless every one was deleted)."""
    if len(args.ids) == 1:
        ctx.client.media.delete(args.ids[0])
        if ctx.out.json:
            ctx.out.data({"results": [{"id": args.ids[0], "status": 204}]})
        else:
            ctx.out.line(f"{args.ids[0]}\tdeleted")
        return EXIT_OK
    results = ctx.client.media.delete_many(args.ids)
    if ctx.out.json:
        ctx.out.data({"results": results})
    else:
        for r in results:
            ctx.out.line(f"{r.id}\t" + ("deleted" if r.ok else f"{r.status}: {r.error or 'failed'}"))
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def copy_media(args: argparse.Namespace, ctx: Context) -> int:
    results = ctx.client.media.copy_many(args.ids)
    if ctx.out.json:
        ctx.out.data({"results": results})
    else:
        for r in results:
            ctx.out.line(
                f"{r.source_id}\t" + (f"copied to {r.new_id}" if r.ok else f"{r.status}: {r.error or 'failed'}")
            )
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED
