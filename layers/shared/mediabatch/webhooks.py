"""Standard Webhooks (standardwebhooks.com) signing: `webhook-id`, `webhook-timestamp` and
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by a `whsec_` secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, signature_header: str) -> bool:
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signature_header.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode("utf-8", "replace"), expected.encode()):
            return True
    return False


@dataclass(frozen=True)
class WebhookMessage:
    """One delivery: its id is stable per (batch, event) so receivers can de-duplicate retries."""

    msg_id: str
    event_type: str
    timestamp: int
    data: dict[str, Any]

    def body(self) -> bytes:
        payload = {"type": self.event_type, "timestamp": self.timestamp, "data": self.data}
        return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()

    def headers(self, secret: str) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "user-agent": "mediabatch-webhooks/1",
            "webhook-id": self.msg_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": sign(secret, self.msg_id, self.timestamp, self.body()),
        }


def is_retryable(status: int | None) -> bool:
    """None means no HTTP answer (timeout, connection refused): worth retrying."""
    return status is None or status in RETRYABLE_STATUSES
