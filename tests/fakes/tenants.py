"""Fakes of mediabatch.tenants.ports."""

from __future__ import annotations


class InMemoryTenantKeys:
    """API key hashes and webhook secrets in dicts, with the table's first-writer-wins secret."""

    def __init__(self) -> None:
        self.key_hashes: dict[str, str] = {}  # hash -> tenant id
        self.secrets: dict[str, str] = {}

    def put_api_key(self, key_hash: str, tenant_id: str) -> None:
        self.key_hashes[key_hash] = tenant_id

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        return self.key_hashes.get(key_hash)

    def get_webhook_secret(self, tenant_id: str) -> str | None:
        return self.secrets.get(tenant_id)

    def create_webhook_secret_if_absent(self, tenant_id: str, secret: str) -> str:
        return self.secrets.setdefault(tenant_id, secret)

    def set_webhook_secret(self, tenant_id: str, secret: str) -> None:
        self.secrets[tenant_id] = secret
