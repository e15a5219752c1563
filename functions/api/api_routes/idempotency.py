"""`Idempotency-Key` for create routes: a client that retries a POST (timeout, lost response)
gets the response of the first request instead of creating a second resource.

Built on Powertools idempotency over DynamoDB (IdempotencyTable in template.yaml; the
persistence layer comes from `container.idempotency_store()`). A record is keyed by
(scope, tenant, key), so routes and tenants never share keys, and remembers a hash of the
request payload, so the same key with another body is refused. Use it from any create route::

    body = run_idempotent(
        "batch.create", tenant_id, headers.get("idempotency-key"), request.model_dump(mode="json"),
        lambda: SummaryOut.of(service.create(...)).model_dump(mode="json"),
        lambda_context=router.lambda_context,
    )

`create` must return what the route sends (JSON-serialisable): that is what a retry receives.
Without a key, `create` simply runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from mediabatch import container
from mediabatch.errors import Conflict, ValidationFailed

KEY_TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255

# One configuration for every scope: Powertools configures a persistence layer once.
_CONFIG = IdempotencyConfig(
    event_key_jmespath='["scope", "tenant_id", "key"]',
    payload_validation_jmespath="payload",
    expires_after_seconds=KEY_TTL_SECONDS,
)


def run_idempotent(
    scope: str,
    tenant_id: str,
    key: str | None,
    payload: dict[str, Any],
    create: Callable[[], dict[str, Any]],
    *,
    lambda_context: Any = None,
) -> dict[str, Any]:
    """`create()` once per (scope, tenant, key); later calls with the same key and payload get
    the first result. Raises ValidationFailed `invalid_idempotency_key` (key too long), Conflict
    `idempotency_key_reused` (same key, other payload) and `idempotency_in_progress`."""
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters", code="invalid_idempotency_key"
        )
    if lambda_context is not None:
        # Lets an in-progress record expire with the invocation instead of blocking retries.
        _CONFIG.register_lambda_context(lambda_context)
    once = idempotent_function(
        data_keyword_argument="command", persistence_store=container.idempotency_store(), config=_CONFIG
    )(_create_once)
    command = {"scope": scope, "tenant_id": tenant_id, "key": key, "payload": payload}
    try:
        return once(command=command, create=create)  # type: ignore[no-any-return]
    except IdempotencyValidationError as exc:
        raise Conflict(
            "this Idempotency-Key was already used with a different request body", code="idempotency_key_reused"
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict(
            "a request with this Idempotency-Key is still in progress; retry shortly", code="idempotency_in_progress"
        ) from exc


def _create_once(command: dict[str, Any], create: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The function Powertools records (by name: keep it). `command` identifies the call."""
    return create()
