"""Webhook signing secret wire shape."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookSecretOut(BaseModel):
    secret: str = Field(description="Standard Webhooks signing secret (`whsec_` + base64 of 32 random bytes)")

    @classmethod
    def of(cls, secret: str) -> WebhookSecretOut:
        return cls(secret=secret)
