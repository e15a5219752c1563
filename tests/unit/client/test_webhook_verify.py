"""`mediabatch_client.webhooks.verify` accepts exactly what the server's signer
(mediabatch.webhooks.signing) signs, and nothing else; the SDK itself imports no server code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mediabatch.webhooks import signing as server
from mediabatch_client import webhooks as sdk
from mediabatch_client.webhooks import WebhookVerificationError, verify

SECRET = server.new_secret()
BODY = b'{"type":"batch.completed","data":{"batch_id":"batch_1"}}'
NOW = 1_767_225_600


def headers(secret: str = SECRET, msg_id: str = "msg_1", timestamp: int = NOW, body: bytes = BODY) -> dict[str, str]:
    """What the server sends with a delivery (its signer, not the SDK's)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": server.sign(secret, msg_id, timestamp, body),
    }


def test_a_delivery_the_server_signed_is_accepted() -> None:
    verify(SECRET, headers(), BODY, now=NOW)
    verify(SECRET, {k.title(): v for k, v in headers().items()}, BODY.decode(), now=NOW + 299)  # any case, str body


def test_the_sdk_signs_like_the_server() -> None:
    assert sdk.sign(SECRET, "msg_9", NOW, BODY) == server.sign(SECRET, "msg_9", NOW, BODY)


def test_one_of_several_signatures_may_match() -> None:
    h = headers()
    h["webhook-signature"] = f"v1,AAAA {h['webhook-signature']} v2,zzz"
    verify(SECRET, h, BODY, now=NOW)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda h, b: (h, b + b" "), "no signature matches"),
        (lambda h, b: ({**h, "webhook-id": "msg_2"}, b), "no signature matches"),
        (lambda h, b: (headers(secret=server.new_secret()), b), "no signature matches"),
        (lambda h, b: ({**h, "webhook-signature": "v2," + h["webhook-signature"][3:]}, b), "no signature matches"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "missing webhook-signature"),
        (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "not a number"),
    ],
)
def test_anything_else_is_refused(change, why: str) -> None:  # type: ignore[no-untyped-def]
    h, body = change(headers(), BODY)
    with pytest.raises(WebhookVerificationError, match=why):
        verify(SECRET, h, body, now=NOW)


def test_an_old_or_future_delivery_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="off"):
        verify(SECRET, headers(), BODY, now=NOW + 301)
    with pytest.raises(WebhookVerificationError, match="off"):
        verify(SECRET, headers(), BODY, now=NOW - 301)


def test_the_sdk_imports_no_server_code() -> None:
    package = Path(sdk.__file__).parent
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(
                n == "mediabatch" or n.startswith(("mediabatch.", "api_routes", "schemas")) for n in names
            ), path
