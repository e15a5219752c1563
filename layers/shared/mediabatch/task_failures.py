"""What a Step Functions Catch hands on: `{"Error": ..., "Cause": ...}`, where a Lambda task's
Cause is the JSON of the function's error (`errorMessage`, `errorType`, ...)."""

from __future__ import annotations

import json

from pydantic import BaseModel


class TaskFailure(BaseModel):
    """The `{"Error", "Cause"}` a Catch puts at its ResultPath."""

    Error: str = "Unknown"
    Cause: str | None = None


def describe_failure(error: str, cause: str | None) -> str:
    """A one-line reason for people: the function's errorMessage if there is one."""
    try:
        parsed = json.loads(cause or "{}")
        message = parsed.get("errorMessage") if isinstance(parsed, dict) else None
    except json.JSONDecodeError:
        message = cause
    return str(message) if message else error
