"""A tenant as the rest of the system sees it: an authenticated id."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    # Which of the tenant's keys was used (`api_keys.key_id_of`), for the audit log. Not part of
    # equality: a tenant is the same tenant whichever of its keys it used.
    key_id: str = field(default="", compare=False)
