"""What an operator does with tenants: create them, issue, list and revoke their API keys.

Behind the admin credential (`AdminGuard`), which is not a tenant key: a SHA-256 of the admin
token is configured (template parameter AdminTokenSha256), and tokens are compared by hash in
constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from mediabatch.clock import now_iso
from mediabatch.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from mediabatch.paths import is_valid_tenant_id
from mediabatch.tenants.api_keys import hash_api_key, key_id_of, new_api_key, prefix_of
from mediabatch.tenants.models import ApiKeyRecord, IssuedKey, TenantRecord
from mediabatch.tenants.ports import TenantKeyStore
from mediabatch.webhooks.signing import new_secret

ADMIN_TOKEN_HEADER = "X-Admin-Token"  # noqa: S105 - a header name, not a secret


class AdminGuard:
    def __init__(self, token_sha256: str) -> None:
        self._expected = token_sha256.strip().lower()

    def check(self, token: str | None) -> None:
        """Raises DomainError `admin_disabled` (no token configured), Unauthorized
        `missing_admin_token` or `invalid_admin_token`."""
        if not self._expected:
            raise Unauthorized(
                "admin routes are disabled: no admin token is configured (template parameter AdminTokenSha256)",
                code="admin_disabled",
            )
        if not token:
            raise Unauthorized(
                f"admin routes need the admin token in the {ADMIN_TOKEN_HEADER} header (a tenant API key is not one)",
                code="missing_admin_token",
            )
        given = hashlib.sha256(token.strip().encode()).hexdigest()
        if not hmac.compare_digest(given, self._expected):
            raise Unauthorized("invalid admin token", code="invalid_admin_token")


class TenantAdminService:
    def __init__(self, store: TenantKeyStore, *, clock: Callable[[], str] = now_iso) -> None:
        self._store = store
        self._clock = clock

    def create_tenant(self, tenant_id: str) -> TenantRecord:
        if not is_valid_tenant_id(tenant_id):
            raise ValidationFailed(
                f"invalid tenant id {tenant_id!r}: use 1-64 of [A-Za-z0-9_-]", code="invalid_tenant_id"
            )
        created_at = self._clock()
        if not self._store.create_tenant(tenant_id, created_at):
            raise Conflict(f"tenant {tenant_id!r} already exists", code="tenant_exists")
        self._store.create_webhook_secret_if_absent(tenant_id, new_secret())
        return TenantRecord(tenant_id, created_at)

    def issue_key(self, tenant_id: str) -> IssuedKey:
        self._tenant(tenant_id)
        api_key = new_api_key()
        key_hash = hash_api_key(api_key)
        record = ApiKeyRecord(tenant_id, key_id_of(key_hash), prefix_of(api_key), self._clock())
        self._store.put_api_key(key_hash, tenant_id, prefix=record.prefix, created_at=record.created_at)
        return IssuedKey(record, api_key)

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        self._tenant(tenant_id)
        return self._store.list_api_keys(tenant_id)

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKeyRecord:
        """Revoking a revoked key changes nothing and returns it."""
        self._tenant(tenant_id)
        record = self._store.revoke_api_key(tenant_id, key_id, self._clock())
        if record is None:
            raise NotFound(f"tenant {tenant_id!r} has no key {key_id!r}", code="key_not_found")
        return record

    def _tenant(self, tenant_id: str) -> TenantRecord:
        tenant = self._store.get_tenant(tenant_id) if is_valid_tenant_id(tenant_id) else None
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}", code="tenant_not_found")
        return tenant
