"""API keys and webhook secrets through an in-memory key store."""

from __future__ import annotations

import pytest

from mediabatch.errors import Unauthorized, ValidationFailed
from mediabatch.tenants.api_keys import hash_api_key, new_api_key
from mediabatch.tenants.models import Tenant
from mediabatch.tenants.service import TenantService
from tests.fakes.tenants import InMemoryTenantKeys


@pytest.fixture
def store() -> InMemoryTenantKeys:
    return InMemoryTenantKeys()


@pytest.fixture
def tenants(store: InMemoryTenantKeys) -> TenantService:
    return TenantService(store)


def test_registered_keys_authenticate_as_their_tenants(tenants: TenantService) -> None:
    key_a, key_b = new_api_key(), new_api_key()
    tenants.register_api_key("tenant-a", key_a)
    tenants.register_api_key("tenant-b", key_b)

    assert tenants.authenticate(key_a) == Tenant("tenant-a")
    assert tenants.authenticate(key_b) == Tenant("tenant-b")


@pytest.mark.parametrize("key", [None, ""])
def test_a_missing_key_says_how_to_send_one(tenants: TenantService, key: str | None) -> None:
    with pytest.raises(Unauthorized) as raised:
        tenants.authenticate(key)

    assert raised.value.code == "missing_api_key"
    assert "X-API-Key" in raised.value.message


@pytest.mark.parametrize(
    "variant", ["other-key-0123456789", "KEY-A-0123456789", "key-a-0123456789 ", "key-a-012345678"]
)
def test_any_other_key_is_invalid(tenants: TenantService, variant: str) -> None:
    tenants.register_api_key("tenant-a", "key-a-0123456789")

    with pytest.raises(Unauthorized) as raised:
        tenants.authenticate(variant)

    assert raised.value.code == "invalid_api_key"


def test_keys_are_kept_only_as_hashes(tenants: TenantService, store: InMemoryTenantKeys) -> None:
    key = new_api_key()
    tenants.register_api_key("tenant-a", key)

    assert store.key_hashes == {hash_api_key(key): "tenant-a"}


@pytest.mark.parametrize(
    "tenant_id, key", [("has space", "long-enough-key!"), ("", "long-enough-key!"), ("x" * 65, "long-enough-key!")]
)
def test_registration_refuses_bad_tenant_ids(
    tenants: TenantService, store: InMemoryTenantKeys, tenant_id: str, key: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        tenants.register_api_key(tenant_id, key)

    assert raised.value.code == "validation_error"
    assert "invalid tenant id" in raised.value.message
    assert store.key_hashes == {} and store.secrets == {}


def test_registration_refuses_short_keys(tenants: TenantService, store: InMemoryTenantKeys) -> None:
    with pytest.raises(ValidationFailed) as raised:
        tenants.register_api_key("tenant-a", "x" * 15)

    assert raised.value.message == "API keys must have at least 16 characters"
    assert store.key_hashes == {}


def test_the_webhook_secret_is_created_once_per_tenant(tenants: TenantService) -> None:
    tenants.register_api_key("tenant-a", new_api_key())
    first = tenants.webhook_secret("tenant-a")
    tenants.register_api_key("tenant-a", new_api_key())  # another key keeps the secret

    assert first.startswith("whsec_")
    assert tenants.webhook_secret("tenant-a") == first
    assert tenants.webhook_secret("tenant-b") != first


def test_a_tenant_without_a_secret_gets_one_on_first_ask(tenants: TenantService, store: InMemoryTenantKeys) -> None:
    secret = tenants.webhook_secret("tenant-a")

    assert store.secrets == {"tenant-a": secret}
    assert tenants.webhook_secret("tenant-a") == secret


def test_rotation_replaces_the_secret(tenants: TenantService) -> None:
    old = tenants.webhook_secret("tenant-a")

    new = tenants.rotate_webhook_secret("tenant-a")

    assert new.startswith("whsec_") and new != old
    assert tenants.webhook_secret("tenant-a") == new
