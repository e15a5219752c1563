"""What the tenant services need from the outside world."""

from __future__ import annotations

from typing import Protocol

from mediabatch.tenants.models import ApiKeyRecord, TenantRecord


class TenantKeyStore(Protocol):
    """Tenants, API key hashes and webhook signing secrets (the DynamoDB table, or a fake)."""

    def put_api_key(self, key_hash: str, tenant_id: str, *, prefix: str = "", created_at: str = "") -> None:
        """Store a key's hash for its tenant (`created_at` empty: now)."""
        ...

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        """The tenant of a key that is not revoked (a strongly consistent read: a revoked key
        fails on its next request)."""
        ...

    def get_webhook_secret(self, tenant_id: str) -> str | None: ...

    def create_webhook_secret_if_absent(self, tenant_id: str, secret: str) -> str:
        """Store `secret` unless the tenant has one; returns the secret that is stored (so two
        concurrent first asks agree on one)."""
        ...

    def set_webhook_secret(self, tenant_id: str, secret: str) -> None: ...

    def create_tenant(self, tenant_id: str, created_at: str) -> bool:
        """False when the tenant already exists (it is left as it is)."""
        ...

    def get_tenant(self, tenant_id: str) -> TenantRecord | None: ...

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        """The tenant's keys, oldest first, revoked ones included."""
        ...

    def revoke_api_key(self, tenant_id: str, key_id: str, revoked_at: str) -> ApiKeyRecord | None:
        """Mark the key revoked (a revoked key keeps its first `revoked_at`); None when the
        tenant has no key of that id."""
        ...
