"""One command group per resource. Each module has `register(subparsers, common)`, which adds
its commands with `run=<function(args, ctx) -> exit status>` as their default; adding a kind is
one module here and one line in GROUPS."""

from __future__ import annotations

from mediabatch_client.cli.commands import admin, audit, batches, documents, downloads, media, shows, uploads, webhooks

GROUPS = (downloads, shows, uploads, batches, documents, media, audit, webhooks, admin)
