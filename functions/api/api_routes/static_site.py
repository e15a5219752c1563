"""The browser page (functions/api/static/), served by the API itself so `make run` gives it at
http://127.0.0.1:8080/: `GET /` is index.html, `GET /app/<name>` one file of static/app/. Public
(the page asks for the key itself) and kept out of the OpenAPI document. The same folder can be
put on any static host instead (S3, a CDN): static/app/config.js says where the API is."""

from __future__ import annotations

import re
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from api_routes.errors import error_response

router = Router()

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(html|js|css|svg)")  # no "/", no ".."


def _file(path: Path) -> Response[str]:
    return Response(
        status_code=200,
        content_type=CONTENT_TYPES[path.suffix],
        body=path.read_text(encoding="utf-8"),
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/", include_in_schema=False)
def index() -> Response[str]:
    return _file(STATIC_DIR / "index.html")


@router.get("/app/<name>", include_in_schema=False)
def asset(name: str) -> Response[str]:
    path = STATIC_DIR / "app" / name
    if not _NAME.fullmatch(name) or not path.is_file():
        return error_response(404, "not_found", f"the page has no file app/{name}")
    return _file(path)
