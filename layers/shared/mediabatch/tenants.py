"""Tenants: API keys (stored only as SHA-256 hashes) and webhook signing secrets."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from mediabatch import webhooks
from mediabatch.adapters.dynamodb.tenants import TenantTable
from mediabatch.errors import Unauthorized, ValidationFailed
from mediabatch.paths import is_valid_tenant_id

# Keys are stored as unsalted SHA-256: they must be long random strings (generated ones have 35).
MIN_KEY_LENGTH = 16


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    # The first 12 hex of the key's hash: names the key (audit log) and reveals nothing. Not part
    # of equality: a tenant is the same tenant whichever of its keys it used.
    key_id: str = field(default="", compare=False)


def key_id_of(key_hash: str) -> str:
    return key_hash[:12]


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "mb_" + secrets.token_urlsafe(24)


class TenantService:
    def __init__(self, store: TenantTable) -> None:
        self._store = store

    def register_api_key(self, tenant_id: str, api_key: str) -> None:
        if not is_valid_tenant_id(tenant_id):
            raise ValidationFailed(f"invalid tenant id {tenant_id!r}: use 1-64 of [A-Za-z0-9_-]")
        if len(api_key) < MIN_KEY_LENGTH:
            raise ValidationFailed(f"API keys must have at least {MIN_KEY_LENGTH} characters")
        self._store.put_api_key(hash_api_key(api_key), tenant_id)
        self._store.create_webhook_secret_if_absent(tenant_id, webhooks.new_secret())

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
        secret = self._store.get_webhook_secret(tenant_id)
        if secret is None:
            secret = self._store.create_webhook_secret_if_absent(tenant_id, webhooks.new_secret())
        return secret

    def rotate_webhook_secret(self, tenant_id: str) -> str:
        secret = webhooks.new_secret()
        self._store.set_webhook_secret(tenant_id, secret)
        return secret
