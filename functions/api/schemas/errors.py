"""The error envelope every non-2xx answer of the API carries (and the OpenAPI document shows)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. batch_not_found; branch on this")
    message: str = Field(description="what went wrong, in words for people")
    details: Any = Field(
        default=None, description="present when there is more to say, e.g. one entry per invalid field"
    )


class ErrorEnvelope(BaseModel):
    success: Literal[False]
    error: ErrorBody
