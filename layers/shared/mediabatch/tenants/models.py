"""A tenant as the rest of the system sees it: an authenticated id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
