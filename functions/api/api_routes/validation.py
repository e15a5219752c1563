"""Request validation errors in the user's terms: one field-path style (`urls[1]`,
`files[0].filename`), "did you mean" for a misspelt field, and bodies that are not JSON named
as such (with the content type we expect)."""

from __future__ import annotations

import difflib
import types
from typing import Any, Union, get_args, get_origin

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel

JSON = "application/json"
_SOURCES = {"body", "query", "path", "header", "cookie"}


class JsonOnlyBodies(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, except that a route with a body model reads JSON only:
    Powertools would also read a form-encoded body into the model, and answer 500 to others."""

    def _get_body(self, app: Any) -> Any:
        content_type = str(app.current_event.headers.get("content-type") or "").strip()
        if content_type and content_type.split(";")[0].strip().lower() != JSON:
            raise RequestValidationError(
                [
                    {
                        "type": "content_type",
                        "loc": ("body",),
                        "msg": f"expected {JSON}",
                        "input": {},
                        "ctx": {"content_type": content_type},
                    }
                ]
            )
        try:
            return super()._get_body(app)
        except UnicodeDecodeError as exc:
            # Bytes that are not UTF-8 are not JSON either (Powertools would let this out as a 500).
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body",),
                        "msg": "JSON is not UTF-8",
                        "input": {},
                        "ctx": {"error": f"not UTF-8 ({exc.reason} at byte {exc.start})"},
                    }
                ]
            ) from exc


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("files", 0, "filename")` -> `files[0].filename`; the source prefix (body, query) is dropped."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def not_json_message(errors: list[dict[str, Any]]) -> str | None:
    """The message for a body that is not JSON, or None if the body was JSON."""
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = err.get("ctx", {}).get("error", "")
            return f"request body is not valid JSON: {reason}; send a JSON object with Content-Type: {JSON}"
        if err.get("type") == "content_type":
            got = err.get("ctx", {}).get("content_type", "")
            return f"request body must be JSON (Content-Type: {JSON}), not {got}"
    return None


def details_of(errors: list[dict[str, Any]], body_model: type[BaseModel] | None) -> list[dict[str, str]]:
    """One entry per error: where (`field`) and what is wrong (`message`), with a suggestion
    when an unknown field is close to a known one."""
    details = []
    for err in errors:
        message = str(err["msg"])
        if err.get("type") == "extra_forbidden":
            suggestion = suggest(err["loc"], body_model)
            if suggestion:
                message = f"{message}; did you mean '{suggestion}'?"
        details.append({"field": field_path(err["loc"]), "message": message})
    return details


def suggest(loc: tuple[Any, ...] | list[Any], body_model: type[BaseModel] | None) -> str | None:
    """The known field closest to the unknown last name in `loc` (same words in another case
    or spelling: `concurrency_limit` -> `concurrent_limit`, `channelId` -> `channel_id`)."""
    parts = [p for p in loc if p not in _SOURCES] if loc and loc[0] in _SOURCES else list(loc)
    if not parts or not isinstance(parts[-1], str):
        return None
    model = _model_at(body_model, parts[:-1])
    if model is None:
        return None
    names = _field_names(model)
    unknown = _normal(parts[-1])
    by_normal = {_normal(n): n for n in names}
    if unknown in by_normal:
        return by_normal[unknown]
    close = difflib.get_close_matches(unknown, list(by_normal), n=1, cutoff=0.6)
    return by_normal[close[0]] if close else None


def _normal(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _field_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        names.append(info.alias or name)
    return names


def _model_at(model: Any, path: list[Any]) -> type[BaseModel] | None:
    """The model that `path` (names and indexes) leads to from `model`, if any."""
    current = _unwrap(model)
    for part in path:
        if isinstance(part, int):
            args = [a for a in get_args(current) if a is not type(None)]
            current = _unwrap(args[0]) if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) or next(
                (f for f in current.model_fields.values() if f.alias == part), None
            )
            current = _unwrap(field.annotation) if field else None
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X; list[X] stays list[X] (an index unwraps it)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation
