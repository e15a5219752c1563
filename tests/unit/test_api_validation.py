"""Validation errors in the user's terms: one field-path style and "did you mean"."""

from __future__ import annotations

from functions.api.api_routes.validation import details_of, field_path, not_json_message, suggest
from mediabatch.downloads.models import BatchDownloadRequest
from mediabatch.uploads.models import InitRequest


def test_field_paths_use_dots_between_names_and_brackets_for_indexes() -> None:
    assert field_path(("body", "urls", 1)) == "urls[1]"
    assert field_path(("body", "files", 0, "filename")) == "files[0].filename"
    assert field_path(("query", "limit")) == "limit"
    assert field_path(("body",)) == "body"


def test_a_misspelt_field_gets_the_closest_known_one() -> None:
    assert suggest(("body", "concurrency_limit"), BatchDownloadRequest) == "concurrent_limit"
    assert suggest(("body", "format"), BatchDownloadRequest) == "video_format"
    assert suggest(("body", "webhookUrl"), BatchDownloadRequest) == "webhook_url"
    assert suggest(("body", "files", 0, "fileName"), InitRequest) == "filename"
    assert suggest(("body", "colour_scheme"), BatchDownloadRequest) is None


def test_the_suggestion_goes_into_the_details_message() -> None:
    errors = [
        {"type": "extra_forbidden", "loc": ("body", "concurrency_limit"), "msg": "Extra inputs are not permitted"}
    ]

    assert details_of(errors, BatchDownloadRequest) == [
        {
            "field": "concurrency_limit",
            "message": "Extra inputs are not permitted; did you mean 'concurrent_limit'?",
        }
    ]


def test_a_body_that_is_not_json_names_the_content_type_we_expect() -> None:
    form = not_json_message([{"type": "content_type", "ctx": {"content_type": "application/x-www-form-urlencoded"}}])
    broken = not_json_message([{"type": "json_invalid", "ctx": {"error": "Expecting value"}}])

    assert form == "request body must be JSON (Content-Type: application/json), not application/x-www-form-urlencoded"
    assert broken is not None and "Expecting value" in broken and "application/json" in broken
    assert not_json_message([{"type": "missing"}]) is None
