"""`mediabatch admin`: an operator creates tenants and issues, lists and revokes their API keys.

The admin token comes from --admin-token, $MEDIABATCH_ADMIN_TOKEN, or the file
$MEDIABATCH_ADMIN_TOKEN_FILE; it is not a tenant key (--key is not used here)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mediabatch_client.cli.commands._args import DefaultsFormatter, Subparsers
from mediabatch_client.cli.config import UsageError
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.output import EXIT_OK
from mediabatch_client.resources.admin import Admin, ApiKey


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("admin", parents=[common], help="tenants and API keys (operators, admin token)")
    p.set_defaults(admin=True)
    p.add_argument(
        "--admin-token",
        default=None,
        help="the admin token (default: $MEDIABATCH_ADMIN_TOKEN, else the file $MEDIABATCH_ADMIN_TOKEN_FILE)",
    )
    groups = p.add_subparsers(dest="admin_group", required=True, metavar="GROUP")
    tenants = groups.add_parser("tenants", help="tenants").add_subparsers(dest="action", required=True)
    create = tenants.add_parser("create", parents=[common], help="create a tenant", formatter_class=DefaultsFormatter)
    create.add_argument("tenant_id")
    create.set_defaults(run=run_create_tenant)
    keys = groups.add_parser("keys", help="API keys of a tenant").add_subparsers(dest="action", required=True)
    issue = keys.add_parser("issue", parents=[common], help="issue a key (shown once)")
    issue.add_argument("tenant_id")
    issue.set_defaults(run=run_issue)
    listing = keys.add_parser("ls", aliases=["list"], parents=[common], help="key ids, prefixes and times")
    listing.add_argument("tenant_id")
    listing.set_defaults(run=run_list)
    revoke = keys.add_parser("revoke", parents=[common], help="revoke a key by its id")
    revoke.add_argument("tenant_id")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=run_revoke)


def admin_token(args: argparse.Namespace) -> str:
    token = getattr(args, "admin_token", None) or os.environ.get("MEDIABATCH_ADMIN_TOKEN")
    token_file = os.environ.get("MEDIABATCH_ADMIN_TOKEN_FILE")
    if not token and token_file and Path(token_file).is_file():
        token = Path(token_file).read_text().strip()
    if not token:
        raise UsageError(
            "no admin token: pass --admin-token, set MEDIABATCH_ADMIN_TOKEN or MEDIABATCH_ADMIN_TOKEN_FILE"
        )
    return token


def client(args: argparse.Namespace, ctx: Context) -> Admin:
    s = ctx.settings
    return Admin(s.api, admin_token(args), timeout=(10.0, s.timeout), retries=s.retries)


def run_create_tenant(args: argparse.Namespace, ctx: Context) -> int:
    tenant = client(args, ctx).create_tenant(args.tenant_id)
    if ctx.out.json:
        ctx.out.data(tenant)
    else:
        ctx.out.line(f"{tenant.tenant_id}\t{tenant.created_at}")
    return EXIT_OK


def run_issue(args: argparse.Namespace, ctx: Context) -> int:
    issued = client(args, ctx).issue_key(args.tenant_id)
    if ctx.out.json:
        ctx.out.data(issued)
    else:
        ctx.out.line(issued.api_key)
        ctx.out.note(f"key {issued.key_id} of tenant {issued.tenant_id}: shown this once, keep it")
    return EXIT_OK


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    keys = client(args, ctx).list_keys(args.tenant_id)
    return ctx.out.listing(keys, (line_of(key) for key in keys.keys))


def run_revoke(args: argparse.Namespace, ctx: Context) -> int:
    key = client(args, ctx).revoke_key(args.tenant_id, args.key_id)
    if ctx.out.json:
        ctx.out.data(key)
    else:
        ctx.out.line(line_of(key))
    return EXIT_OK


def line_of(key: ApiKey) -> str:
    return (
        f"{key.key_id}\t{key.prefix}…\t{key.created_at}\t{'revoked ' + key.revoked_at if key.revoked_at else 'active'}"
    )
