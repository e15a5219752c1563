"""Serves the template's HttpApi routes on 127.0.0.1 as API Gateway payload 2.0 events."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localcloud.provision import Route

logger = logging.getLogger("localcloud.gateway")
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own request limit
MAX_INVOKE_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit (the event as JSON)
# An oversized body is read and discarded (so the client reads the 413) up to this much, for at
# most this long between reads; beyond, the connection just closes.
MAX_DRAIN_BYTES = 256 * 1024 * 1024
DRAIN_TIMEOUT_S = 10.0
_TEXT_TYPES = re.compile(r"^(text/|application/(json|xml|x-www-form-urlencoded|javascript))")


DEFAULT_ROUTE = "$default"
_VARIABLE = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")
# How specific one path segment is: a literal beats a variable, which beats a greedy variable.
_LITERAL, _VARIABLE_SEGMENT, _GREEDY = 2, 1, 0


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    specificity: tuple[int, tuple[int, ...], int]

    @property
    def route_key(self) -> str:
        if self.route.path == DEFAULT_ROUTE:
            return DEFAULT_ROUTE
        return f"{self.route.method} {self.route.path}"


def compile_route(route: Route) -> CompiledRoute:
    """API Gateway's order: the most specific path first, segment by segment (literal, then
    `{var}`, then `{proxy+}`); a method beats ANY on the same path; `$default` comes last."""
    if route.path == DEFAULT_ROUTE:
        return CompiledRoute(route, re.compile(r"^/.*$"), (0, (), 0))
    regex = ""
    ranks: list[int] = []
    for segment in route.path.strip("/").split("/") if route.path != "/" else []:
        m = _VARIABLE.fullmatch(segment)
        if m and m.group(2):
            regex += f"/(?P<{m.group(1)}>.+)"
            ranks.append(_GREEDY)
        elif m:
            regex += f"/(?P<{m.group(1)}>[^/]+)"
            ranks.append(_VARIABLE_SEGMENT)
        else:
            regex += "/" + re.escape(segment)
            ranks.append(_LITERAL)
    specificity = (1, tuple(ranks), 0 if route.method == "ANY" else 1)
    return CompiledRoute(route, re.compile("^" + (regex or "/") + "/?$"), specificity)


class RouteTable:
    """The routes of one HTTP API, matched the way API Gateway matches them."""

    def __init__(self, routes: list[Route]) -> None:
        self._routes = sorted((compile_route(r) for r in routes), key=lambda c: c.specificity, reverse=True)

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            m = compiled.pattern.match(path)
            if m:
                return compiled, {k: unquote(v) for k, v in m.groupdict().items()}
        return None


class HttpApiGateway:
    def __init__(self, routes: list[Route], cors: dict[str, Any] | None, host: str, port: int) -> None:
        self._routes = RouteTable(routes)
        self._cors = cors
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("%s - %s", self.address_string(), format % args)

            def _handle(self) -> None:
                gateway.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

        ThreadingHTTPServer.request_queue_size = 128  # default 5 stalls bursts of clients ~1 s
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="localcloud-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        return self._routes.match(method, path)

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("content-length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._refuse_oversized_body(req, length)
            return
        body = req.rfile.read(length) if length else b""
        split = urlsplit(req.path)
        if req.command == "OPTIONS" and self._cors:
            self._send(req, 204, self._cors_headers(preflight=True), b"")
            return
        found = self.match(req.command, split.path)
        if found is None:
            self._send(req, 404, {"content-type": "application/json"}, json.dumps({"message": "Not Found"}).encode())
            return
        compiled, params = found
        event = self._event(req, compiled, params, split.path, split.query, body)
        if len(json.dumps(event)) > MAX_INVOKE_BYTES:
            self._send(
                req, 413, *_too_large(f"the request exceeds Lambda's {MAX_INVOKE_BYTES // 2**20} MB payload limit")
            )
            return
        try:
            result = compiled.route.function.invoke(event)
        except Exception:
            logger.exception("handler of %s raised", compiled.route_key)
            self._send(
                req,
                500,
                {"content-type": "application/json"},
                json.dumps({"message": "Internal Server Error"}).encode(),
            )
            return
        status, headers, payload = self._response(result)
        self._send(req, status, {**self._cors_headers(preflight=False), **headers}, payload)

    def _refuse_oversized_body(self, req: BaseHTTPRequestHandler, length: int) -> None:
        """413 before reading the body, then read and discard it: a client that sends the whole
        body before reading the answer (most do) would otherwise see its connection reset. The
        connection closes afterwards; past MAX_DRAIN_BYTES it closes without waiting."""
        headers, body = _too_large(f"the request body exceeds API Gateway's {MAX_PAYLOAD_BYTES // 2**20} MB limit")
        self._send(req, 413, {**self._cors_headers(preflight=False), **headers}, body, close=True)
        remaining = min(length, MAX_DRAIN_BYTES)
        try:
            req.connection.settimeout(DRAIN_TIMEOUT_S)
            while remaining > 0:
                chunk = req.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass  # the client gave up first: nothing left to protect

    def _event(
        self,
        req: BaseHTTPRequestHandler,
        compiled: CompiledRoute,
        params: dict[str, str],
        path: str,
        query: str,
        body: bytes,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in req.headers.items():
            key = name.lower()
            if key == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
            else:
                headers[key] = f"{headers[key]},{value}" if key in headers else value
        query_params: dict[str, str] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            query_params[k] = f"{query_params[k]},{v}" if k in query_params else v
        content_type = headers.get("content-type", "")
        is_text = not body or (bool(_TEXT_TYPES.match(content_type)) and _is_utf8(body))
        now = datetime.now(UTC)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": compiled.route_key,
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": "local",
                "http": {
                    "method": req.command,
                    "path": path,
                    "protocol": req.request_version,
                    "sourceIp": req.client_address[0],
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": compiled.route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(time.time() * 1000),
            },
            "isBase64Encoded": not is_text,
        }
        if cookies:
            event["cookies"] = cookies
        if query_params:
            event["queryStringParameters"] = query_params
        if params:
            event["pathParameters"] = params
        if body:
            event["body"] = body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode()
        return event

    @staticmethod
    def _response(result: Any) -> tuple[int, dict[str, str], bytes]:
        if not isinstance(result, dict) or "statusCode" not in result:
            return 200, {"content-type": "application/json"}, json.dumps(result).encode()
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for k, values in (result.get("multiValueHeaders") or {}).items():
            headers[k.lower()] = ",".join(str(v) for v in values)
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        if result.get("cookies"):
            headers["set-cookie"] = ", ".join(result["cookies"])
        return int(result["statusCode"]), headers, payload

    def _cors_headers(self, *, preflight: bool) -> dict[str, str]:
        if not self._cors:
            return {}
        headers = {"access-control-allow-origin": ",".join(self._cors.get("AllowOrigins", ["*"]))}
        if self._cors.get("ExposeHeaders"):
            headers["access-control-expose-headers"] = ",".join(self._cors["ExposeHeaders"])
        if preflight:
            headers["access-control-allow-methods"] = ",".join(self._cors.get("AllowMethods", ["*"]))
            headers["access-control-allow-headers"] = ",".join(self._cors.get("AllowHeaders", ["*"]))
        return headers

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes, *, close: bool = False
    ) -> None:
        req.send_response(status)
        for k, v in headers.items():
            if k not in ("content-length", "connection"):
                req.send_header(k, v)
        req.send_header("content-length", str(len(body)))
        if close:
            req.send_header("connection", "close")  # also makes the handler close it afterwards
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)


def _too_large(message: str) -> tuple[dict[str, str], bytes]:
    """On AWS, API Gateway answers these itself (`{"message": "Request Entity Too Large"}`); the
    local cloud answers in the error envelope of the APIs it serves, so clients read one shape."""
    body = {"success": False, "error": {"code": "payload_too_large", "message": message}}
    return {"content-type": "application/json"}, json.dumps(body).encode()


def _is_utf8(body: bytes) -> bool:
    """A "text" body that is not UTF-8 (curl --data-binary sends form-urlencoded by default) must
    travel base64-encoded, or its bytes would be changed."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
