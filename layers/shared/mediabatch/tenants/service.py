"""Register and authenticate API keys; hand out and rotate webhook signing secrets."""

from __future__ import annotations

from mediabatch.clock import now_iso
from mediabatch.errors import Unauthorized, ValidationFailed
from mediabatch.paths import is_valid_tenant_id
from mediabatch.tenants.api_keys import MIN_KEY_LENGTH, hash_api_key, key_id_of, prefix_of
from mediabatch.tenants.models import Tenant
from mediabatch.tenants.ports import TenantKeyStore
from mediabatch.webhooks.signing import new_secret


class TenantService:
    def __init__(self, store: TenantKeyStore) -> None:
        self._store = store

    def register_api_key(self, tenant_id: str, api_key: str) -> None:
        """Also creates the tenant (if new) and gives it its webhook secret (an existing one is kept)."""
        if not is_valid_tenant_id(tenant_id):
            raise ValidationFailed(f"invalid tenant id {tenant_id!r}: use 1-64 of [A-Za-z0-9_-]")
        if len(api_key) < MIN_KEY_LENGTH:
            raise ValidationFailed(f"API keys must have at least {MIN_KEY_LENGTH} characters")
        self._store.create_tenant(tenant_id, now_iso())
        self._store.put_api_key(hash_api_key(api_key), tenant_id, prefix=prefix_of(api_key))
        self._store.create_webhook_secret_if_absent(tenant_id, new_secret())

    def authenticate(self, api_key: str | None) -> Tenant:
        if not api_key:
            raise Unauthorized(
                "missing API key: send it in the X-API-Key header (or Authorization: Bearer)", code="missing_api_key"
            )
        key_hash = hash_api_key(api_key)
        tenant_id = self._store.tenant_for_key_hash(key_hash)
        if tenant_id is None:
            raise Unauthorized("invalid API key", code="invalid_api_key")
        return Tenant(tenant_id, key_id=key_id_of(key_hash))

    def webhook_secret(self, tenant_id: str) -> str:
        """The tenant's `whsec_` secret, made on first ask and kept until rotated."""
        secret = self._store.get_webhook_secret(tenant_id)
        if secret is None:
            secret = self._store.create_webhook_secret_if_absent(tenant_id, new_secret())
        return secret

    def rotate_webhook_secret(self, tenant_id: str) -> str:
        secret = new_secret()
        self._store.set_webhook_secret(tenant_id, secret)
        return secret
