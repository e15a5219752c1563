"""Storage keys from user path templates: what is accepted, what is refused and why, and that no
value, however hostile, moves a file outside the tenant's `batch/` folder."""

from __future__ import annotations

import pytest

from mediabatch.errors import ValidationFailed
from mediabatch.paths import (
    DEFAULT_PATH_TEMPLATE,
    MAX_KEY_BYTES,
    TEMPLATE_VARIABLES,
    is_valid_tenant_id,
    render_path,
    sanitize_component,
    tenant_key,
    validate_path_template,
    with_suffix,
)


def refusal(template: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as raised:
        validate_path_template(template)
    error = raised.value
    assert error.code == "validation_error"
    assert error.details and error.details[0]["field"] == "path_template"
    return error


# --------------------------------------------------------------------------- validate_path_template
@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_PATH_TEMPLATE,
        "batch/{safe_title}.{ext}",
        "batch/{uploader}/{upload_date}-{id}.{ext}",
        "batch/fixed-name.mp4",
        "batch/a/b/c/{id}_{safe_title}.{ext}",
        "batch/{{literal braces}}-{id}.{ext}",
        "batch/日本語/{safe_title}.{ext}",
    ],
)
def test_valid_templates_are_accepted_unchanged(template: str) -> None:
    assert validate_path_template(template) == template


@pytest.mark.parametrize(
    "template",
    [
        "{batch_id}/{safe_title}.{ext}",
        "/batch/{id}.{ext}",
        "Batch/{id}.{ext}",
        "batches/{id}.{ext}",
        "",
        "tenants/x/batch/{id}.{ext}",
    ],
)
def test_a_template_must_start_with_batch(template: str) -> None:
    assert "must start with 'batch/'" in refusal(template).message


@pytest.mark.parametrize("name", ["title", "url", "tenant_id", "0", "", "ext_", "BATCH_ID"])
def test_unknown_variables_are_named_with_the_allowed_ones(name: str) -> None:
    message = refusal(f"batch/{{{name}}}.mp4").message

    assert f"unknown variable {{{name}}}" in message
    for allowed in TEMPLATE_VARIABLES:
        assert f"{{{allowed}}}" in message


@pytest.mark.parametrize(
    "template",
    [
        "batch/{id:>300}.{ext}",  # format spec (padding)
        "batch/{id:.5}.{ext}",
        "batch/{id!r}.{ext}",  # conversion
        "batch/{id!s:x<9}.{ext}",
        "batch/{id.__class__}.{ext}",  # attribute access
        "batch/{id.__class__.__mro__}.{ext}",
        "batch/{id[0]}.{ext}",  # item access
        "batch/{ext.__len__}",
    ],
)
def test_format_specs_conversions_and_attribute_access_are_refused(template: str) -> None:
    refusal(template)


@pytest.mark.parametrize("template", ["batch/{id:>10}.{ext}", "batch/{id!r}.{ext}"])
def test_a_format_spec_on_a_known_variable_is_not_called_an_unknown_variable(template: str) -> None:
    message = refusal(template).message
    # The user wrote {id}, which *is* allowed; telling them it is unknown (and then listing it as
    # allowed) sends them looking for the wrong mistake.
    assert "unknown variable {id}" not in message


@pytest.mark.parametrize(
    "template",
    [
        "batch/../{id}.{ext}",
        "batch/{id}/../../x.{ext}",
        "batch/..",
        "batch/a..b/{id}.{ext}",
        "batch/{id}..{ext}",
        "batch/./{id}.{ext}",
        "batch//{id}.{ext}",
        "batch/{id}//{ext}",
        "batch/",
        "batch/{id}/",
    ],
)
def test_dot_dot_dot_and_empty_segments_are_refused(template: str) -> None:
    refusal(template)


@pytest.mark.parametrize(
    "template",
    [
        "batch/a\\{id}.{ext}",
        "batch/{id}\\..\\{ext}",
        "batch/\x00{id}.{ext}",
        "batch/{id}\n.{ext}",
        "batch/{id}\r.{ext}",
        "batch/\t{id}.{ext}",
        "batch/\x7f{id}.{ext}",
        "batch/\u202e{id}.{ext}",
        "batch/\u200b{id}.{ext}",
    ],
)
def test_backslashes_and_control_characters_are_refused(template: str) -> None:
    assert "backslashes or control characters" in refusal(template).message


@pytest.mark.parametrize("template", ["batch/{", "batch/{id", "batch/}", "batch/{id}}.{ext}"])
def test_malformed_braces_are_refused(template: str) -> None:
    refusal(template)


# --------------------------------------------------------------------------- sanitize_component
@pytest.mark.parametrize(
    "value, expected",
    [
        ("My Video", "My_Video"),
        ("a/b\\c", "a_b_c"),
        ("../../etc/passwd", "etc_passwd"),
        ("a..b", "a_b"),
        ("\x00ti\x1ftle\x7f", "title"),
        ("Ünïcödé 日本語 видео", "Ünïcödé_日本語_видео"),
        ("rock & roll: live?", "rock_roll_live"),
        ("\uff0fetc\uff0fpasswd", "etc_passwd"),  # FULLWIDTH SOLIDUS normalises to '/'
        ("report.final.v2", "report.final.v2"),
        (12345, "12345"),
    ],
)
def test_sanitize_component_keeps_text_but_not_separators(value: object, expected: str) -> None:
    assert sanitize_component(value) == expected


@pytest.mark.parametrize(
    "value", ["", None, ".", "..", "...", "/", "\\", " ", "___", "-", "\x00", "\u202e", "\u2025", "/../"]
)
def test_sanitize_component_falls_back_when_nothing_usable_is_left(value: object) -> None:
    assert sanitize_component(value) == "untitled"
    assert sanitize_component(value, fallback="NA") == "NA"


@pytest.mark.parametrize("value", ["x" * 500, "日" * 200, "é" * 300, "a" + "🎬" * 100, ("ab" * 60) + "日本"])
def test_sanitize_component_is_bounded_in_utf8_bytes_without_splitting_characters(value: str) -> None:
    result = sanitize_component(value)

    encoded = result.encode("utf-8")  # would raise on a half character
    assert 0 < len(encoded) <= 120
    assert value.startswith(result)


# --------------------------------------------------------------------------- render_path
HOSTILE = [
    "..",
    "../..",
    "../../../tenants/other/batch/x",
    "/etc/passwd",
    "\\..\\..\\windows",
    "batch/../..",
    "%2e%2e%2f",
    "..%2f..%2f",
    "\x00",
    "\n../",
    ".",
    "./.",
    "…",
    "\u2025",
    "\uff0e\uff0e\uff0f",
    "/",
    "//",
    " ",
    "",
    "\u202e../",
    "a/../../b",
    "~",
    "~/.ssh/id_rsa",
    "C:\\Windows",
    "{batch_id}",
    "{0}",
    "%s%s%n",
    "x" * 5000,
    "日" * 1000,
    None,
    "\ud800",
]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize(
    "template", [DEFAULT_PATH_TEMPLATE, "batch/{uploader}/{upload_date}/{id}-{safe_title}.{ext}", "batch/{safe_title}"]
)
def test_render_path_never_leaves_batch_whatever_the_values(template: str, hostile: object) -> None:
    values = {name: hostile for name in TEMPLATE_VARIABLES}

    key = render_path(template, values)

    segments = key.split("/")
    assert segments[0] == "batch"
    assert not any(seg in ("", ".", "..") for seg in segments)
    assert ".." not in key and "\\" not in key and "\x00" not in key and "\n" not in key
    assert len(segments) == template.count("/") + 1  # a value never adds a folder
    assert len(key.encode("utf-8")) <= MAX_KEY_BYTES


def test_render_path_fills_the_template_with_sanitised_values() -> None:
    key = render_path(DEFAULT_PATH_TEMPLATE, {"batch_id": "batch_1", "safe_title": "My Clip: Part 1/2", "ext": "mp4"})

    assert key == "batch/batch_1/My_Clip_Part_1_2.mp4"


def test_render_path_uses_fallbacks_for_missing_values() -> None:
    key = render_path("batch/{uploader}/{upload_date}/{id}/{safe_title}.{ext}", {})

    assert key == "batch/NA/NA/NA/untitled.bin"


def test_render_path_refuses_an_invalid_template() -> None:
    with pytest.raises(ValidationFailed):
        render_path("../{safe_title}.{ext}", {"safe_title": "x", "ext": "mp4"})


def test_render_path_refuses_a_key_that_would_be_too_long() -> None:
    template = "batch/" + "/".join(["{safe_title}"] * 8) + ".{ext}"

    with pytest.raises(ValidationFailed, match="too long"):
        render_path(template, {"safe_title": "x" * 200, "ext": "mp4"})


# --------------------------------------------------------------------------- tenant_key
@pytest.mark.parametrize("tenant", ["tenant-a", "T_1", "a", "x" * 64, "0123"])
def test_tenant_key_prefixes_the_tenant(tenant: str) -> None:
    assert tenant_key(tenant, "batch/b/c.mp4") == f"tenants/{tenant}/batch/b/c.mp4"
    assert is_valid_tenant_id(tenant)


@pytest.mark.parametrize(
    "tenant",
    ["", "x" * 65, "a/b", "..", "../other", "a b", "a.b", "ä", "a\\b", "a\x00", "tenant-a/../tenant-b", "\ntenant"],
)
def test_tenant_key_rejects_bad_tenant_ids(tenant: str) -> None:
    with pytest.raises(ValidationFailed, match="invalid tenant id"):
        tenant_key(tenant, "batch/b/c.mp4")
    assert not is_valid_tenant_id(tenant)


def test_a_tenant_id_with_a_trailing_newline_is_rejected() -> None:
    assert not is_valid_tenant_id("tenant-a\n")
    with pytest.raises(ValidationFailed):
        tenant_key("tenant-a\n", "batch/b/c.mp4")


# --------------------------------------------------------------------------- with_suffix
@pytest.mark.parametrize(
    "path, suffix, expected",
    [
        ("batch/a/b.mp4", "2", "batch/a/b-2.mp4"),
        ("batch/a/b.tar.gz", "3", "batch/a/b.tar-3.gz"),
        ("batch/a/noext", "2", "batch/a/noext-2"),
        ("batch/a.dir/noext", "2", "batch/a.dir/noext-2"),
        ("batch/a/.hidden", "2", "batch/a/.hidden-2"),
        ("b.mp4", "10", "b-10.mp4"),
    ],
)
def test_with_suffix_adds_the_suffix_before_the_extension(path: str, suffix: str, expected: str) -> None:
    assert with_suffix(path, suffix) == expected
