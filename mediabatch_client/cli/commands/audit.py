"""`mediabatch audit`: who deleted or copied what, newest first."""

from __future__ import annotations

import argparse
from itertools import islice

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers, positive_int
from mediabatch_client.cli.context import Context
from mediabatch_client.resources.audit import AuditEntry


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "audit",
        parents=[common],
        help="the audit log (deletes and copies)",
        formatter_class=DefaultsFormatter,
    )
    p.add_argument("--action", choices=["media.delete", "media.copy"], default=None, help="only this action")
    p.add_argument("--since", default=None, help="from this time, e.g. 2026-01-31T12:00:00Z")
    p.add_argument("--until", default=None, help="up to this time")
    p.add_argument("--limit", type=positive_int, default=50, help="entries to show")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    entries = list(
        islice(
            ctx.client.audit.iter(
                action=args.action, since=args.since, until=args.until, page_size=min(100, args.limit)
            ),
            args.limit,
        )
    )
    return ctx.out.listing({"entries": entries}, map(_line, entries))


def _line(e: AuditEntry) -> str:
    extra = " ".join(f"{k}={v}" for k, v in sorted(e.details.items()))
    return f"{e.time}\t{e.action}\t{e.target}\t{e.result}\t{e.actor_key_id}" + (f"\t{extra}" if extra else "")
