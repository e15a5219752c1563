"""`mediabatch webhooks secret [--rotate]` (the secret deliveries are signed with),
`webhooks ls|add URL --events E...|rm ID` (subscriptions), `webhooks deliveries ID` (the
delivery log) and `webhooks redeliver DELIVERY_ID`."""

from __future__ import annotations

import argparse

from mediabatch_client.cli.commands._args import Subparsers, positive_int
from mediabatch_client.cli.config import check_url
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.output import EXIT_OK


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("webhooks", help="webhook subscriptions, deliveries and the signing secret").add_subparsers(
        dest="webhooks_command", required=True, metavar="{secret,ls,add,rm,deliveries,redeliver}"
    )
    p = group.add_parser(
        "secret",
        parents=[common],
        help="print the signing secret (whsec_...)",
        description="Print the secret webhook deliveries are signed with (Standard Webhooks); "
        "check them with mediabatch_client.webhooks.verify.",
    )
    p.add_argument("--rotate", action="store_true", help="make a new secret first (the old one stops at once)")
    p.set_defaults(run=run)
    group.add_parser("ls", parents=[common], help="your subscriptions, oldest first").set_defaults(run=run_ls)
    add = group.add_parser(
        "add",
        parents=[common],
        help="subscribe an endpoint to events",
        description="Subscribe URL to events: types (batch.completed, job.failed, file.uploaded, ...) "
        "or wildcards (batch.*, job.*, file.*, *).",
    )
    add.add_argument("url", metavar="URL")
    add.add_argument("--events", nargs="+", required=True, metavar="EVENT")
    add.set_defaults(run=run_add)
    rm = group.add_parser("rm", parents=[common], help="unsubscribe (immediate)")
    rm.add_argument("webhook_id", metavar="ID")
    rm.set_defaults(run=run_rm)
    log = group.add_parser("deliveries", parents=[common], help="a subscription's delivery log, newest first")
    log.add_argument("webhook_id", metavar="ID")
    log.add_argument("--limit", type=positive_int, default=20, help="at most this many (default: 20)")
    log.set_defaults(run=run_deliveries)
    again = group.add_parser("redeliver", parents=[common], help="send a delivery again")
    again.add_argument("delivery_id", metavar="DELIVERY_ID")
    again.set_defaults(run=run_redeliver)


def run(args: argparse.Namespace, ctx: Context) -> int:
    hooks = ctx.client.webhooks
    secret = hooks.rotate_secret() if args.rotate else hooks.secret()
    if ctx.out.json:
        ctx.out.data({"secret": secret})
    else:
        ctx.out.line(secret)
    return EXIT_OK


def run_ls(args: argparse.Namespace, ctx: Context) -> int:
    subs = ctx.client.webhooks.list()
    return ctx.out.listing(subs, (f"{s.id}\t{s.url}\t{','.join(s.events)}\t{s.created_at}" for s in subs))


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    events = [e for chunk in args.events for e in chunk.split(",") if e]
    sub = ctx.client.webhooks.subscribe(check_url(args.url), events)
    if ctx.out.json:
        ctx.out.data(sub)
    else:
        ctx.out.line(sub.id)
    return EXIT_OK


def run_rm(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.webhooks.unsubscribe(args.webhook_id)
    if ctx.out.json:
        ctx.out.data({"id": args.webhook_id, "deleted": True})
    else:
        ctx.out.line(f"deleted {args.webhook_id}")
    return EXIT_OK


def run_deliveries(args: argparse.Namespace, ctx: Context) -> int:
    deliveries = []
    for d in ctx.client.webhooks.iter_deliveries(args.webhook_id, page_size=min(100, args.limit)):
        deliveries.append(d)
        if len(deliveries) >= args.limit:
            break
    if ctx.out.json:
        ctx.out.data(deliveries)
        return EXIT_OK
    for d in deliveries:
        last = d.attempts[-1] if d.attempts else None
        answer = f"HTTP {last.status_code}" if last and last.status_code else (last.error or "") if last else ""
        ctx.out.line(f"{d.id}\t{d.event_type}\t{d.state}\t{len(d.attempts)} attempt(s)\t{answer}\t{d.updated_at}")
    return EXIT_OK


def run_redeliver(args: argparse.Namespace, ctx: Context) -> int:
    again = ctx.client.webhooks.redeliver(args.delivery_id)
    if ctx.out.json:
        ctx.out.data(again)
    else:
        ctx.out.line(f"{again.delivery_id}\t{again.status}")
    return EXIT_OK
