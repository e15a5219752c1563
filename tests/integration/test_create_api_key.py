"""bin/create_api_key.py is how the first tenant of a deployed stack gets a key: run against
the local cloud's table, the key it prints must open the API, and bad input is refused."""

from __future__ import annotations

import subprocess
import sys

import requests

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT

SCRIPT = REPO_ROOT / "bin" / "create_api_key.py"


def _run(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    table = cloud.function("ApiFunction").environment["TABLE_NAME"]
    cmd = [sys.executable, str(SCRIPT), "--table", table, "--endpoint-url", cloud.endpoint_url, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_the_printed_key_opens_the_api_for_its_tenant(cloud: LocalCloud) -> None:
    result = _run(cloud, "--tenant", "first-tenant")
    assert result.returncode == 0, result.stderr
    key = result.stdout.split("API key ", 1)[1].strip()
    response = requests.get(f"{cloud.base_url}/api/v1/webhooks/secret", headers={"X-API-Key": key}, timeout=30)
    assert response.status_code == 200, response.text
    denied = requests.get(f"{cloud.base_url}/api/v1/webhooks/secret", headers={"X-API-Key": key + "x"}, timeout=30)
    assert denied.status_code == 401


def test_an_invalid_tenant_or_a_short_key_is_refused(cloud: LocalCloud) -> None:
    assert _run(cloud, "--tenant", "no spaces please").returncode == 2
    short = _run(cloud, "--tenant", "t", "--key", "short")
    assert short.returncode == 2
    assert "at least 16 characters" in short.stderr
