"""Storage keys from user path templates: validated up front, every value sanitised, and the
result confined to the tenant's `batch/` folder."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping

from mediabatch.errors import ValidationFailed

TEMPLATE_VARIABLES = frozenset({"batch_id", "safe_title", "id", "ext", "uploader", "upload_date"})
DEFAULT_PATH_TEMPLATE = "batch/{batch_id}/{safe_title}.{ext}"
MAX_KEY_BYTES = 900  # S3 allows 1024; leave room for the tenant prefix and collision suffixes
_MAX_COMPONENT = 120
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
_TENANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def validate_path_template(template: str) -> str:
    """Return the template if it is safe to render; raise ValidationFailed naming the problem."""
    _check_characters(template)
    skeleton = _skeleton(template)
    segments = skeleton.split("/")
    if any(seg in ("", ".", "..") for seg in segments) or ".." in skeleton:
        raise ValidationFailed(
            "path_template may not contain empty, '.' or '..' segments",
            details=[_field("empty, '.' or '..' segments are not allowed")],
        )
    if not template.rstrip().split("/")[-1]:
        raise ValidationFailed("path_template must end with a file name", details=[_field("must end with a file name")])
    return template


def _check_characters(template: str) -> None:
    if not template.startswith("batch/"):
        raise ValidationFailed("path_template must start with 'batch/'", details=[_field("must start with 'batch/'")])
    if "\\" in template or any(unicodedata.category(c).startswith("C") for c in template):
        raise ValidationFailed(
            "path_template contains backslashes or control characters",
            details=[_field("backslashes and control characters are not allowed")],
        )
    if "|" in template:  # the catalog lists folders by `folder|` prefixes
        raise ValidationFailed("path_template may not contain '|'", details=[_field("'|' is not allowed")])


def _skeleton(template: str) -> str:
    """The template with every variable replaced by `x` (after checking each variable)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValidationFailed(f"path_template is malformed: {exc}", details=[_field(str(exc))]) from exc
    literal_parts: list[str] = []
    for literal, name, spec, conversion in parsed:
        literal_parts.append(literal)
        if name is not None:
            _check_variable(name, spec, conversion)
            literal_parts.append("x")
    return "".join(literal_parts)


def _check_variable(name: str, spec: str | None, conversion: str | None) -> None:
    if name in TEMPLATE_VARIABLES and (spec or conversion):
        shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        raise ValidationFailed(
            f"path_template may not use format specs or conversions: {{{shown}}}",
            details=[_field("format specs and conversions are not allowed")],
        )
    if name not in TEMPLATE_VARIABLES:
        raise ValidationFailed(
            f"path_template uses unknown variable {{{name}}}; allowed: "
            + ", ".join(f"{{{v}}}" for v in sorted(TEMPLATE_VARIABLES)),
            details=[_field(f"unknown variable {{{name}}}")],
        )


def sanitize_component(value: object, *, fallback: str = "untitled") -> str:
    """One path component from untrusted text: no separators, no dot-only names, bounded."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    text = _UNSAFE.sub("_", text.replace("/", "_").replace("\\", "_"))
    text = re.sub(r"_+", "_", re.sub(r"\s+", "_", text)).strip(" ._-")
    text = text.replace("..", "_")
    encoded = text.encode("utf-8")[:_MAX_COMPONENT]
    text = encoded.decode("utf-8", "ignore").strip(" ._-")
    return text or fallback


def render_path(template: str, values: Mapping[str, object]) -> str:
    """Render a validated template with sanitised values; the result never escapes `batch/`."""
    safe = {name: sanitize_component(values.get(name), fallback=_fallback(name)) for name in TEMPLATE_VARIABLES}
    key = validate_path_template(template).format(**safe)
    segments = key.split("/")
    if segments[0] != "batch" or any(seg in ("", ".", "..") for seg in segments):
        raise ValidationFailed(f"rendered path is not safe: {key}")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValidationFailed("rendered path is too long")
    return key


def tenant_key(tenant_id: str, relative_path: str) -> str:
    """The S3 key of a tenant-relative path: tenants never share a prefix."""
    if not _TENANT_ID.fullmatch(tenant_id):
        raise ValidationFailed(f"invalid tenant id {tenant_id!r}")
    return f"tenants/{tenant_id}/{relative_path}"


def with_suffix(path: str, suffix: str) -> str:
    """`batch/a/b.mp4` + `2` -> `batch/a/b-2.mp4` (used to avoid overwriting another file)."""
    head, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    new_name = f"{stem}-{suffix}.{ext}" if dot and stem else f"{name}-{suffix}"
    return f"{head}/{new_name}" if head else new_name


def is_valid_tenant_id(tenant_id: str) -> bool:
    return bool(_TENANT_ID.fullmatch(tenant_id))


def _fallback(name: str) -> str:
    return {"ext": "bin", "upload_date": "NA", "uploader": "NA", "id": "NA"}.get(name, "untitled")


def _field(message: str) -> dict[str, str]:
    return {"field": "path_template", "message": message}
