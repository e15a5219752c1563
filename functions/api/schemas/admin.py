"""Admin (operator) wire shapes: tenants and their API keys. A key is shown in full only in
the answer that issues it; lists carry its prefix and id."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediabatch.tenants.models import ApiKeyRecord, IssuedKey, TenantRecord


class TenantIn(BaseModel):
    tenant_id: str = Field(description="1-64 of [A-Za-z0-9_-]", min_length=1, max_length=64)


class TenantOut(BaseModel):
    tenant_id: str
    created_at: str

    @classmethod
    def of(cls, tenant: TenantRecord) -> TenantOut:
        return cls(tenant_id=tenant.tenant_id, created_at=tenant.created_at)


class ApiKeyOut(BaseModel):
    key_id: str = Field(description="stable, non-secret name of the key (revoke by it; audit entries name it)")
    prefix: str = Field(description="the key's first characters, to recognise it")
    created_at: str
    revoked_at: str | None = Field(description="set once the key is revoked; it no longer authenticates")

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyOut:
        return cls(
            key_id=record.key_id, prefix=record.prefix, created_at=record.created_at, revoked_at=record.revoked_at
        )


class IssuedKeyOut(ApiKeyOut):
    tenant_id: str
    api_key: str = Field(description="the key itself: shown this once, stored only as a hash")

    @classmethod
    def issued(cls, issued: IssuedKey) -> IssuedKeyOut:
        return cls(
            tenant_id=issued.record.tenant_id, api_key=issued.api_key, **ApiKeyOut.of(issued.record).model_dump()
        )


class ApiKeyListOut(BaseModel):
    tenant_id: str
    keys: list[ApiKeyOut]

    @classmethod
    def of(cls, tenant_id: str, records: list[ApiKeyRecord]) -> ApiKeyListOut:
        return cls(tenant_id=tenant_id, keys=[ApiKeyOut.of(r) for r in records])
