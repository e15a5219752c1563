"""`mediabatch webhooks secret [--rotate]`: the secret your webhook deliveries are signed with."""

from __future__ import annotations

import argparse

from mediabatch_client.cli.commands._args import Subparsers
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.output import EXIT_OK


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("webhooks", help="webhook deliveries: their signing secret").add_subparsers(
        dest="webhooks_command", required=True, metavar="{secret}"
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


def run(args: argparse.Namespace, ctx: Context) -> int:
    hooks = ctx.client.webhooks
    secret = hooks.rotate_secret() if args.rotate else hooks.secret()
    if ctx.out.json:
        ctx.out.data({"secret": secret})
    else:
        ctx.out.line(secret)
    return EXIT_OK
