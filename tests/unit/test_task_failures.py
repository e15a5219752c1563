"""Reasons shown to users when a Step Functions task failed."""

from __future__ import annotations

import json

from mediabatch.task_failures import describe_failure


def test_a_lambda_error_shows_its_message() -> None:
    cause = json.dumps({"errorType": "NotPlayableMedia", "errorMessage": "not a playable video: no video stream"})
    assert describe_failure("NotPlayableMedia", cause) == "not a playable video: no video stream"


def test_a_timeout_without_cause_shows_the_error_name() -> None:
    assert describe_failure("States.Timeout", None) == "States.Timeout"


def test_a_plain_text_cause_is_shown_as_is() -> None:
    assert (
        describe_failure("Sandbox.Timedout", "Task timed out after 900.00 seconds")
        == "Task timed out after 900.00 seconds"
    )


def test_a_json_cause_without_message_falls_back_to_the_error() -> None:
    assert describe_failure("Lambda.Unknown", json.dumps({"errorType": "X"})) == "Lambda.Unknown"
    assert describe_failure("Lambda.Unknown", json.dumps(["not", "a", "dict"])) == "Lambda.Unknown"
