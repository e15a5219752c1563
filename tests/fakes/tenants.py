"""Fakes of mediabatch.tenants.ports."""

from __future__ import annotations

import dataclasses

from mediabatch.tenants.api_keys import key_id_of
from mediabatch.tenants.models import ApiKeyRecord, TenantRecord


class InMemoryTenantKeys:
    """Tenants, API key hashes and webhook secrets in dicts, with the table's first-writer-wins
    secret and tenant."""

    def __init__(self) -> None:
        self.key_hashes: dict[str, str] = {}  # hash -> tenant id
        self.keys: dict[str, ApiKeyRecord] = {}  # hash -> record
        self.tenants: dict[str, TenantRecord] = {}
        self.secrets: dict[str, str] = {}

    def put_api_key(self, key_hash: str, tenant_id: str, *, prefix: str = "", created_at: str = "") -> None:
        self.key_hashes[key_hash] = tenant_id
        self.keys[key_hash] = ApiKeyRecord(tenant_id, key_id_of(key_hash), prefix, created_at or "2026-01-01T00:00:00Z")

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        record = self.keys.get(key_hash)
        return None if record is None or record.revoked_at else record.tenant_id

    def get_webhook_secret(self, tenant_id: str) -> str | None:
        return self.secrets.get(tenant_id)

    def create_webhook_secret_if_absent(self, tenant_id: str, secret: str) -> str:
        return self.secrets.setdefault(tenant_id, secret)

    def set_webhook_secret(self, tenant_id: str, secret: str) -> None:
        self.secrets[tenant_id] = secret

    def create_tenant(self, tenant_id: str, created_at: str) -> bool:
        if tenant_id in self.tenants:
            return False
        self.tenants[tenant_id] = TenantRecord(tenant_id, created_at)
        return True

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        return self.tenants.get(tenant_id)

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        mine = [r for r in self.keys.values() if r.tenant_id == tenant_id]
        return sorted(mine, key=lambda r: (r.created_at, r.key_id))

    def revoke_api_key(self, tenant_id: str, key_id: str, revoked_at: str) -> ApiKeyRecord | None:
        for key_hash, record in self.keys.items():
            if record.tenant_id == tenant_id and record.key_id == key_id:
                if record.revoked_at is None:
                    self.keys[key_hash] = dataclasses.replace(record, revoked_at=revoked_at)
                return self.keys[key_hash]
        return None
