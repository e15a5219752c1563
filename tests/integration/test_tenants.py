"""Tenants against DynamoDB (moto): API keys authenticate, are stored only as hashes, and webhook
secrets stay put until rotated."""

from __future__ import annotations

import json
import uuid

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.errors import Unauthorized, ValidationFailed
from mediabatch.tenants.api_keys import hash_api_key, new_api_key
from mediabatch.tenants.models import Tenant
from mediabatch.tenants.service import TenantService

pytestmark = pytest.mark.integration


@pytest.fixture
def tenants(cloud: LocalCloud) -> TenantService:
    return TenantService(container.tenant_table())


def test_a_registered_key_authenticates_as_its_tenant(tenants: TenantService, tenant_id: str) -> None:
    key = new_api_key()
    other_tenant, other_key = tenant_id + "-b", new_api_key()
    tenants.register_api_key(tenant_id, key)
    tenants.register_api_key(other_tenant, other_key)

    assert tenants.authenticate(key) == Tenant(tenant_id)
    assert tenants.authenticate(other_key) == Tenant(other_tenant)


def test_a_tenant_may_hold_several_keys(tenants: TenantService, tenant_id: str) -> None:
    first, second = new_api_key(), new_api_key()
    tenants.register_api_key(tenant_id, first)
    tenants.register_api_key(tenant_id, second)

    assert tenants.authenticate(first) == tenants.authenticate(second) == Tenant(tenant_id)


@pytest.mark.parametrize("bad_key", ["wrong-key-0123456789", "", None])
def test_an_unknown_or_missing_key_is_unauthorized(tenants: TenantService, tenant_id: str, bad_key: str | None) -> None:
    tenants.register_api_key(tenant_id, new_api_key())

    with pytest.raises(Unauthorized) as raised:
        tenants.authenticate(bad_key)

    assert raised.value.code == ("invalid_api_key" if bad_key else "missing_api_key")


def test_a_key_differing_only_in_case_or_whitespace_is_unauthorized(tenants: TenantService, tenant_id: str) -> None:
    key = "Key-" + uuid.uuid4().hex
    tenants.register_api_key(tenant_id, key)

    for variant in (key.upper(), key.lower(), key + " ", " " + key, key[:-1]):
        with pytest.raises(Unauthorized):
            tenants.authenticate(variant)


@pytest.mark.parametrize(
    "tenant, key",
    [
        ("has space", "long-enough-key"),
        ("slash/tenant", "long-enough-key"),
        ("", "long-enough-key"),
        ("x" * 65, "long-enough-key"),
        ("ok-tenant", "short"),
    ],
)
def test_registration_rejects_bad_tenant_ids_and_short_keys(tenants: TenantService, tenant: str, key: str) -> None:
    with pytest.raises(ValidationFailed):
        tenants.register_api_key(tenant, key)
    with pytest.raises(Unauthorized):
        tenants.authenticate(key)


def test_api_keys_are_stored_only_as_sha256_hashes(cloud: LocalCloud, tenants: TenantService, tenant_id: str) -> None:
    key = new_api_key()
    tenants.register_api_key(tenant_id, key)

    ddb = cloud.client("dynamodb")
    dump = []
    for table in (n for n in ddb.list_tables()["TableNames"]):
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            dump.extend(page["Items"])
    text = json.dumps(dump)

    assert key not in text
    assert key.removeprefix("mb_") not in text
    assert f"APIKEY#{hash_api_key(key)}" in text  # what is stored instead


def test_the_webhook_secret_is_stable_until_rotated(tenants: TenantService, tenant_id: str) -> None:
    tenants.register_api_key(tenant_id, new_api_key())
    first = tenants.webhook_secret(tenant_id)

    assert first.startswith("whsec_")
    assert tenants.webhook_secret(tenant_id) == first
    tenants.register_api_key(tenant_id, new_api_key())  # another key does not change the secret
    assert tenants.webhook_secret(tenant_id) == first

    rotated = tenants.rotate_webhook_secret(tenant_id)

    assert rotated.startswith("whsec_") and rotated != first
    assert tenants.webhook_secret(tenant_id) == rotated


def test_tenants_have_different_webhook_secrets(tenants: TenantService, tenant_id: str) -> None:
    tenants.register_api_key(tenant_id, new_api_key())
    tenants.register_api_key(tenant_id + "-b", new_api_key())

    assert tenants.webhook_secret(tenant_id) != tenants.webhook_secret(tenant_id + "-b")


def test_a_tenant_without_a_secret_gets_one_on_first_ask_and_keeps_it(tenants: TenantService, tenant_id: str) -> None:
    secret = tenants.webhook_secret(tenant_id)

    assert secret.startswith("whsec_")
    assert tenants.webhook_secret(tenant_id) == secret
