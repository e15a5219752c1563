"""The local gateway picks the route API Gateway would pick: the most specific path, segment by
segment; a method over ANY; `$default` only when nothing else matches."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.gateway import RouteTable
from localcloud.provision import Route

ROUTES = [
    ("GET", "/pets/dog/1"),
    ("GET", "/pets/dog/{id}"),
    ("GET", "/pets/{proxy+}"),
    ("ANY", "/{proxy+}"),
    ("ANY", "$default"),
    ("POST", "/pets"),
    ("ANY", "/pets"),
]


@pytest.fixture
def table() -> RouteTable:
    no_function: Any = None
    return RouteTable([Route(method, path, no_function) for method, path in ROUTES])


@pytest.mark.parametrize(
    "method, path, route_key, params",
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/2", "GET /pets/{proxy+}", {"proxy": "cat/2"}),
        ("POST", "/pets/dog/1", "ANY /{proxy+}", {"proxy": "pets/dog/1"}),
        ("POST", "/pets", "POST /pets", {}),
        ("DELETE", "/pets", "ANY /pets", {}),
        ("GET", "/", "$default", {}),
        ("GET", "/pets/dog%2F1/x", "GET /pets/{proxy+}", {"proxy": "dog/1/x"}),
    ],
)
def test_the_most_specific_route_wins(
    table: RouteTable, method: str, path: str, route_key: str, params: dict[str, str]
) -> None:
    found = table.match(method, path)
    assert found is not None
    compiled, got = found
    assert (compiled.route_key, got) == (route_key, params)


def test_without_default_route_an_unmatched_request_matches_nothing() -> None:
    no_function: Any = None
    table = RouteTable([Route("GET", "/pets/{id}", no_function)])
    assert table.match("GET", "/owners/1") is None
    assert table.match("POST", "/pets/1") is None
