"""The reliability suites act as tenant C, so what they create never shows in the lists the
e2e suites of tenants A and B assert on."""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from tests.conftest import KEY_C, Api


@pytest.fixture(scope="session")
def api_c(cloud: LocalCloud) -> Api:
    return Api(cloud.base_url, KEY_C)
