"""What the tenant service needs from the outside world."""

from __future__ import annotations

from typing import Protocol


class TenantKeyStore(Protocol):
    """API key hashes and webhook signing secrets, per tenant (the DynamoDB table, or a fake)."""

    def put_api_key(self, key_hash: str, tenant_id: str) -> None: ...

    def tenant_for_key_hash(self, key_hash: str) -> str | None: ...

    def get_webhook_secret(self, tenant_id: str) -> str | None: ...

    def create_webhook_secret_if_absent(self, tenant_id: str, secret: str) -> str:
        """Store `secret` unless the tenant has one; returns the secret that is stored (so two
        concurrent first asks agree on one)."""
        ...

    def set_webhook_secret(self, tenant_id: str, secret: str) -> None: ...
