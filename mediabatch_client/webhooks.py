"""Checking that a webhook delivery comes from mediabatch: the Standard Webhooks scheme
(standardwebhooks.com). Each delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds)
and `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>` entries) over
``"{id}.{timestamp}.{body}"``, keyed by the base64 after `whsec_` of your secret
(`client.webhooks.secret()`).

    from mediabatch_client.webhooks import verify, WebhookVerificationError

    try:
        verify(secret, request.headers, request.body)   # the raw bytes, before any JSON parsing
    except WebhookVerificationError:
        return 400

Standard library only, so a receiver needs nothing else of the SDK."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = ["DEFAULT_TOLERANCE", "WebhookVerificationError", "sign", "verify"]

DEFAULT_TOLERANCE = 300  # seconds a delivery's timestamp may be off our clock (replays older than that fail)
_PREFIX = "whsec_"


class WebhookVerificationError(Exception):
    """The delivery is not one mediabatch signed with this secret (or is too old, or too new)."""


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a whsec_ secret: the part after whsec_ must be base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value mediabatch sends: ``v1,<base64 HMAC-SHA256>`` (for tests
    of your own receiver)."""
    digest = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing {name} header")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Returns when `body` was signed with `secret` (any `v1` entry of the header matches, in
    constant time) and its timestamp is within `tolerance` seconds of `now`; raises
    WebhookVerificationError otherwise. Header names are matched in any case."""
    msg_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp is not a number: {raw_timestamp!r}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(f"webhook-timestamp is {int(current - timestamp)} s off (over {tolerance} s)")
    payload = body.encode() if isinstance(body, str) else body
    expected = sign(secret, msg_id, timestamp, payload).split(",", 1)[1].encode()
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode("utf-8", "replace"), expected):
            return
    raise WebhookVerificationError("no signature matches")
