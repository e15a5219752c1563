"""The tenant's webhook signing secret (`/api/v1/webhooks/secret`). Checking a delivery's
signature with it: `mediabatch_client.webhooks.verify`."""

from __future__ import annotations

from mediabatch_client.resources._base import WireModel
from mediabatch_client.transport import Transport

__all__ = ["WebhookSecret", "Webhooks"]


class WebhookSecret(WireModel):
    wire_schema = "WebhookSecretOut"
    secret: str


class Webhooks:
    """`client.webhooks`: the signing secret of your webhook deliveries."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def secret(self) -> str:
        """The current `whsec_...` secret."""
        return WebhookSecret.model_validate(self._t.request("GET", "/api/v1/webhooks/secret")).secret

    def rotate_secret(self) -> str:
        """A new secret (the old one stops signing at once)."""
        data = self._t.request("POST", "/api/v1/webhooks/secret/rotate")
        return WebhookSecret.model_validate(data).secret
