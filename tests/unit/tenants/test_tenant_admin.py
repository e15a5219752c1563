"""Operators create tenants and issue, list and revoke keys; the admin token guards them."""

from __future__ import annotations

import hashlib

import pytest

from mediabatch.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from mediabatch.tenants.admin import AdminGuard, TenantAdminService
from mediabatch.tenants.models import Tenant
from mediabatch.tenants.service import TenantService
from tests.fakes.tenants import InMemoryTenantKeys


@pytest.fixture
def store() -> InMemoryTenantKeys:
    return InMemoryTenantKeys()


@pytest.fixture
def admin(store: InMemoryTenantKeys) -> TenantAdminService:
    return TenantAdminService(store, clock=lambda: "2026-11-30T12:00:00Z")


def test_an_issued_key_authenticates_as_its_tenant_and_is_listed_by_prefix_only(
    admin: TenantAdminService, store: InMemoryTenantKeys
) -> None:
    admin.create_tenant("acme")
    issued = admin.issue_key("acme")

    assert TenantService(store).authenticate(issued.api_key) == Tenant("acme")
    [listed] = admin.list_keys("acme")
    assert listed.key_id == issued.record.key_id
    assert listed.prefix == issued.api_key[:8] and len(issued.api_key) > 30
    assert issued.api_key not in repr(listed)
    assert listed.created_at == "2026-11-30T12:00:00Z" and listed.revoked_at is None


def test_a_new_tenant_gets_a_webhook_secret(admin: TenantAdminService, store: InMemoryTenantKeys) -> None:
    admin.create_tenant("acme")

    assert store.secrets["acme"].startswith("whsec_")


def test_a_revoked_key_no_longer_authenticates(admin: TenantAdminService, store: InMemoryTenantKeys) -> None:
    admin.create_tenant("acme")
    kept, revoked = admin.issue_key("acme"), admin.issue_key("acme")

    record = admin.revoke_key("acme", revoked.record.key_id)

    assert record.revoked_at == "2026-11-30T12:00:00Z"
    with pytest.raises(Unauthorized):
        TenantService(store).authenticate(revoked.api_key)
    assert TenantService(store).authenticate(kept.api_key) == Tenant("acme")
    assert admin.revoke_key("acme", revoked.record.key_id) == record  # twice: unchanged


def test_a_tenant_cannot_be_created_twice_or_with_a_bad_id(admin: TenantAdminService) -> None:
    admin.create_tenant("acme")

    with pytest.raises(Conflict) as twice:
        admin.create_tenant("acme")
    with pytest.raises(ValidationFailed):
        admin.create_tenant("has space")

    assert twice.value.code == "tenant_exists"


def test_keys_of_unknown_tenants_and_unknown_keys_are_not_found(admin: TenantAdminService) -> None:
    admin.create_tenant("acme")
    other = admin.issue_key("acme")
    admin.create_tenant("other")

    with pytest.raises(NotFound) as no_tenant:
        admin.issue_key("nobody")
    with pytest.raises(NotFound) as no_key:
        admin.revoke_key("other", other.record.key_id)  # acme's key, asked of another tenant

    assert no_tenant.value.code == "tenant_not_found"
    assert no_key.value.code == "key_not_found"


def test_the_admin_guard_takes_only_the_admin_token() -> None:
    token = "admin-token-0123456789abcdef"
    guard = AdminGuard(hashlib.sha256(token.encode()).hexdigest())

    guard.check(token)
    for given, code in [
        (None, "missing_admin_token"),
        ("", "missing_admin_token"),
        ("key-a-0123", "invalid_admin_token"),
    ]:
        with pytest.raises(Unauthorized) as refused:
            guard.check(given)
        assert refused.value.code == code


def test_without_a_configured_token_every_admin_request_is_refused() -> None:
    with pytest.raises(Unauthorized) as refused:
        AdminGuard("").check("anything-at-all")

    assert refused.value.code == "admin_disabled"
