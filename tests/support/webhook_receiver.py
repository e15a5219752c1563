"""A real local HTTP endpoint recording webhook deliveries and checking signatures.

Signatures follow Standard Webhooks: headers ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` (space-separated ``v1,<base64>`` entries), where the base64 is
HMAC-SHA256 over ``f"{id}.{timestamp}.{body}"`` keyed with the base64-decoded secret
(after stripping its ``whsec_`` prefix).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._http_server import BackgroundHTTPServer, QuietHandler

__all__ = ["Delivery", "WebhookReceiver", "sign", "verify_signature"]

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 5 * 60


def _secret_key(secret: str) -> bytes:
    """Decode a ``whsec_``-prefixed (or bare) base64 secret; ValueError if invalid."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret is not valid base64") from exc


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """Return the ``v1,<base64>`` signature for one message (ValueError: bad secret)."""
    to_sign = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    digest = hmac.new(_secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_signature(secret: str, msg_id: str, timestamp: str, body: bytes, signature_header: str) -> bool:
    """True if any ``v1,`` entry of `signature_header` matches (constant time)."""
    try:
        expected = sign(secret, msg_id, timestamp, body).encode("ascii")
    except ValueError:
        return False
    valid = False
    for entry in signature_header.split():
        if entry.startswith("v1,"):
            # keep comparing all entries: no early exit that depends on the secret
            valid |= hmac.compare_digest(expected, entry.encode("utf-8", "replace"))
    return valid


@dataclass(frozen=True)
class Delivery:
    """One received webhook request."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any  # parsed body, None if not JSON
    signature_valid: bool
    timestamp_fresh: bool  # webhook-timestamp within tolerance of now
    status: int  # status code the receiver answered with
    received_at: float = field(default_factory=time.time)

    @property
    def msg_id(self) -> str | None:
        """The ``webhook-id`` header."""
        return self.headers.get("webhook-id")

    @property
    def timestamp(self) -> str | None:
        """The ``webhook-timestamp`` header."""
        return self.headers.get("webhook-timestamp")

    @property
    def event_type(self) -> str | None:
        """``type`` field of a JSON object body, if any."""
        if isinstance(self.json, dict):
            value = self.json.get("type")
            return value if isinstance(value, str) else None
        return None


class _WebhookHandler(QuietHandler):
    """Handler for `WebhookReceiver`."""

    def do_POST(self) -> None:
        """Record a delivery and answer with the next configured status."""
        owner = self.owner
        assert isinstance(owner, WebhookReceiver)
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = owner._record(self.command, self.path, headers, body)
        if owner.response_delay_s > 0 and not self.pause(owner.response_delay_s):
            self.close_connection = True
            return
        payload = {"ok": 200 <= status < 300, "status": status}
        self.send_bytes(status, json.dumps(payload).encode(), "application/json")

    def do_GET(self) -> None:
        """Health check."""
        self.send_bytes(200, b'{"ok": true}', "application/json")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class WebhookReceiver(BackgroundHTTPServer):
    """Record POSTed webhooks on 127.0.0.1 (ephemeral port); any path is accepted.

    `secret_provider` is called per delivery (lazily) to get the ``whsec_...`` secret.
    `status_codes` are answered to the first deliveries in order, then
    `default_status`.
    """

    handler_class = _WebhookHandler

    def __init__(
        self,
        secret_provider: Callable[[], str] | None = None,
        *,
        status_codes: Iterable[int] = (),
        default_status: int = 200,
        response_delay_s: float = 0.0,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        path: str = "/webhook",
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(host)
        self.secret_provider = secret_provider
        self.default_status = default_status
        self.response_delay_s = response_delay_s
        self.tolerance_s = tolerance_s
        self.path = path if path.startswith("/") else "/" + path
        self._statuses = list(status_codes)
        self._deliveries: list[Delivery] = []
        self._cond = threading.Condition()

    @property
    def url(self) -> str:
        """Webhook endpoint URL to register (``base_url`` + ``path``)."""
        return self.base_url + self.path

    @property
    def deliveries(self) -> list[Delivery]:
        """Copy of all deliveries received so far, in arrival order."""
        with self._cond:
            return list(self._deliveries)

    def set_status_sequence(self, status_codes: Iterable[int], default_status: int | None = None) -> None:
        """Answer the next deliveries with `status_codes`, then `default_status`."""
        with self._cond:
            self._statuses = list(status_codes)
            if default_status is not None:
                self.default_status = default_status

    def clear(self) -> None:
        """Forget recorded deliveries."""
        with self._cond:
            self._deliveries.clear()

    def wait_for(
        self,
        predicate: Callable[[Delivery], bool] | None = None,
        timeout: float = 10.0,
    ) -> Delivery:
        """Return the first (already received or future) delivery matching `predicate`.

        Blocks on a condition variable; raises TimeoutError after `timeout` seconds.
        """
        found: list[Delivery] = []

        def match() -> bool:
            for delivery in self._deliveries:
                if predicate is None or predicate(delivery):
                    found.append(delivery)
                    return True
            return False

        with self._cond:
            if not self._cond.wait_for(match, timeout):
                seen = [(d.event_type, d.status) for d in self._deliveries]
                raise TimeoutError(f"no matching webhook within {timeout}s; got {seen}")
        return found[0]

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        """Block until at least `count` deliveries arrived; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._deliveries) >= count, timeout):
                got = len(self._deliveries)
                raise TimeoutError(f"{got}/{count} webhooks after {timeout}s")
            return list(self._deliveries)

    def _check(self, headers: Mapping[str, str], body: bytes) -> tuple[bool, bool]:
        msg_id = headers.get("webhook-id")
        ts = headers.get("webhook-timestamp")
        sig = headers.get("webhook-signature")
        fresh = False
        if ts is not None:
            try:
                fresh = abs(time.time() - int(ts)) <= self.tolerance_s
            except ValueError:
                fresh = False
        if self.secret_provider is None or not (msg_id and ts and sig):
            return False, fresh
        try:
            secret = self.secret_provider()
        except Exception as exc:
            self.record_error(exc)
            return False, fresh
        return verify_signature(secret, msg_id, ts, body, sig), fresh

    def _record(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        valid, fresh = self._check(headers, body)
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        with self._cond:
            status = self._statuses.pop(0) if self._statuses else self.default_status
            self._deliveries.append(
                Delivery(
                    method=method,
                    path=path,
                    headers=headers,
                    body=body,
                    json=parsed,
                    signature_valid=valid,
                    timestamp_fresh=fresh,
                    status=status,
                )
            )
            self._cond.notify_all()
        return status
