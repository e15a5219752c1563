"""Key management over HTTP and through the CLI: an operator creates a tenant, issues a key,
lists it (prefix only), revokes it, and the revoked key fails on its next request."""

from __future__ import annotations

import io
import json
import uuid

import pytest
import requests

from mediabatch_client.cli import main
from tests.support.guarded_cloud import ADMIN_TOKEN
from tests.support.localcloud_process import LocalCloudProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cloud(guarded: LocalCloudProcess) -> LocalCloudProcess:
    return guarded


def admin(
    cloud: LocalCloudProcess, method: str, path: str, token: str | None = ADMIN_TOKEN, **kw: object
) -> requests.Response:
    headers = {"X-Admin-Token": token} if token else {}
    return requests.request(method, cloud.base_url + path, headers=headers, timeout=30, **kw)  # type: ignore[arg-type]


def cli(cloud: LocalCloudProcess, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["--api", cloud.base_url, "--retries", "0", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_create_issue_use_list_revoke(cloud: LocalCloudProcess) -> None:
    tenant = f"acme-{uuid.uuid4().hex[:8]}"
    created = admin(cloud, "POST", "/admin/v1/tenants", json={"tenant_id": tenant})
    assert created.status_code == 201, created.text
    assert (
        admin(cloud, "POST", "/admin/v1/tenants", json={"tenant_id": tenant}).json()["error"]["code"] == "tenant_exists"
    )

    issued = admin(cloud, "POST", f"/admin/v1/tenants/{tenant}/keys")
    assert issued.status_code == 201, issued.text
    key, key_id = issued.json()["api_key"], issued.json()["key_id"]
    as_tenant = requests.get(cloud.base_url + "/api/v1/batch", headers={"X-API-Key": key}, timeout=30)
    assert as_tenant.status_code == 200, as_tenant.text

    listed = admin(cloud, "GET", f"/admin/v1/tenants/{tenant}/keys")
    assert listed.status_code == 200
    [entry] = listed.json()["keys"]
    assert entry["key_id"] == key_id and key.startswith(entry["prefix"]) and entry["revoked_at"] is None
    assert key not in listed.text and key[8:] not in listed.text  # never the full key again

    revoked = admin(cloud, "DELETE", f"/admin/v1/tenants/{tenant}/keys/{key_id}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    # No cache in front of the key lookup (a strongly consistent read): the very next request fails.
    after = requests.get(cloud.base_url + "/api/v1/batch", headers={"X-API-Key": key}, timeout=30)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_api_key"


def test_admin_routes_refuse_tenant_keys_and_wrong_tokens(cloud: LocalCloudProcess) -> None:
    tenant_key = {"X-API-Key": cloud.api_key}
    with_tenant_key = requests.post(
        cloud.base_url + "/admin/v1/tenants", json={"tenant_id": "sneaky"}, headers=tenant_key, timeout=30
    )
    tenant_key_as_token = admin(cloud, "GET", "/admin/v1/tenants/local/keys", token=cloud.api_key)
    nothing = admin(cloud, "GET", "/admin/v1/tenants/local/keys", token=None)

    assert with_tenant_key.status_code == 401
    assert with_tenant_key.json()["error"]["code"] == "missing_admin_token"
    assert tenant_key_as_token.status_code == 401
    assert tenant_key_as_token.json()["error"]["code"] == "invalid_admin_token"
    assert nothing.status_code == 401 and nothing.json()["success"] is False
    assert admin(cloud, "GET", "/admin/v1/tenants/sneaky/keys").status_code == 404  # never created


def test_the_admin_token_is_not_a_tenant_key(cloud: LocalCloudProcess) -> None:
    response = requests.get(cloud.base_url + "/api/v1/batch", headers={"X-API-Key": ADMIN_TOKEN}, timeout=30)

    assert response.status_code == 401


def test_the_cli_manages_keys(cloud: LocalCloudProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIABATCH_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.delenv("MEDIABATCH_API_KEY", raising=False)
    tenant = f"cli-{uuid.uuid4().hex[:8]}"

    assert cli(cloud, "admin", "tenants", "create", tenant)[0] == 0
    status, out, err = cli(cloud, "admin", "keys", "issue", tenant)
    assert status == 0, err
    key = out.strip()
    status, out, _ = cli(cloud, "--json", "admin", "keys", "ls", tenant)
    [entry] = json.loads(out)["keys"]
    assert status == 0 and key not in out and key.startswith(entry["prefix"])

    assert cli(cloud, "admin", "keys", "revoke", tenant, entry["key_id"])[0] == 0
    assert cli(cloud, "--key", key, "batch", "ls")[0] == 3  # exit status 3: authentication

    monkeypatch.setenv("MEDIABATCH_ADMIN_TOKEN", "not-the-token-0123456789")
    assert cli(cloud, "admin", "keys", "ls", tenant)[0] == 3
