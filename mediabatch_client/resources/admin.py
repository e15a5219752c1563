"""Operator calls (`/admin/v1/...`): tenants and their API keys, with the admin token (sent in
X-Admin-Token; a tenant API key is refused there)."""

from __future__ import annotations

from mediabatch_client.resources._base import WireModel
from mediabatch_client.transport import DEFAULT_TIMEOUT, Timeout, Transport

__all__ = ["Admin", "ApiKey", "ApiKeyList", "IssuedKey", "Tenant"]


class Tenant(WireModel):
    wire_schema = "TenantOut"
    tenant_id: str
    created_at: str


class ApiKey(WireModel):
    wire_schema = "ApiKeyOut"
    key_id: str
    prefix: str
    created_at: str
    revoked_at: str | None


class IssuedKey(ApiKey):
    wire_schema = "IssuedKeyOut"
    tenant_id: str
    api_key: str


class ApiKeyList(WireModel):
    wire_schema = "ApiKeyListOut"
    tenant_id: str
    keys: list[ApiKey]


class Admin:
    """`Admin(base_url, admin_token)`: create tenants, issue, list and revoke their keys."""

    def __init__(
        self, base_url: str, admin_token: str, *, timeout: Timeout = DEFAULT_TIMEOUT, retries: int = 3
    ) -> None:
        self.transport = Transport(base_url, admin_token, timeout=timeout, retries=retries, auth_header="X-Admin-Token")

    def close(self) -> None:
        self.transport.close()

    def create_tenant(self, tenant_id: str) -> Tenant:
        return Tenant.model_validate(self.transport.request("POST", "/admin/v1/tenants", json={"tenant_id": tenant_id}))

    def issue_key(self, tenant_id: str) -> IssuedKey:
        """The key is in the answer only: keep it, it cannot be shown again."""
        return IssuedKey.model_validate(self.transport.request("POST", f"/admin/v1/tenants/{tenant_id}/keys"))

    def list_keys(self, tenant_id: str) -> ApiKeyList:
        return ApiKeyList.model_validate(self.transport.request("GET", f"/admin/v1/tenants/{tenant_id}/keys"))

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKey:
        return ApiKey.model_validate(self.transport.request("DELETE", f"/admin/v1/tenants/{tenant_id}/keys/{key_id}"))
