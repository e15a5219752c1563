"""A tenant as the rest of the system sees it: an authenticated id."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    # Which of the tenant's keys was used (`api_keys.key_id_of`), for the audit log. Not part of
    # equality: a tenant is the same tenant whichever of its keys it used.
    key_id: str = field(default="", compare=False)


@dataclass(frozen=True)
class TenantRecord:
    """A tenant an operator created (or one whose key was registered from configuration)."""

    tenant_id: str
    created_at: str


@dataclass(frozen=True)
class ApiKeyRecord:
    """What is kept of an API key: never the key, only names that cannot authenticate."""

    tenant_id: str
    key_id: str
    # The key's first characters (`mb_` and 5 more for generated keys), to recognise it by.
    prefix: str
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `api_key` is shown this once and stored nowhere."""

    record: ApiKeyRecord
    api_key: str
