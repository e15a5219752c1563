"""`Idempotency-Key` for batch creation: a client that retries a POST (timeout, lost response)
gets the batch it already created instead of a second one. Built on Powertools idempotency
with its DynamoDB persistence layer (IdempotencyTable in template.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from mediabatch.downloads.models import BatchDownloadRequest
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.errors import Conflict, ValidationFailed

KEY_TTL_SECONDS = 24 * 3600


class CreateBatch:
    """`create(tenant_id, idempotency_key, request) -> batch summary`."""

    def __init__(
        self, config: IdempotencyConfig, create: Callable[[str, str | None, BatchDownloadRequest], dict[str, Any]]
    ) -> None:
        self.config = config
        self._create = create

    def __call__(
        self, tenant_id: str, idempotency_key: str | None, request: BatchDownloadRequest, lambda_context: Any = None
    ) -> dict[str, Any]:
        if lambda_context is not None:
            # Lets an in-progress record expire with the invocation instead of blocking retries.
            self.config.register_lambda_context(lambda_context)
        return self._create(tenant_id, idempotency_key, request)


def idempotent_batch_creation(service: BatchDownloadService, table_name: str, dynamodb: Any) -> CreateBatch:
    persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb)
    config = IdempotencyConfig(
        event_key_jmespath='["tenant_id", "idempotency_key"]',
        payload_validation_jmespath="request",
        expires_after_seconds=KEY_TTL_SECONDS,
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="command", persistence_store=persistence, config=config
    )
    def create_once(command: dict[str, Any]) -> dict[str, Any]:
        request = BatchDownloadRequest.model_validate(command["request"])
        return service.create(command["tenant_id"], request).summary()

    def create(tenant_id: str, idempotency_key: str | None, request: BatchDownloadRequest) -> dict[str, Any]:
        if not idempotency_key:
            return service.create(tenant_id, request).summary()
        if len(idempotency_key) > 255:
            raise ValidationFailed("Idempotency-Key must be at most 255 characters", code="invalid_idempotency_key")
        command = {
            "tenant_id": tenant_id,
            "idempotency_key": idempotency_key,
            "request": request.model_dump(mode="json"),
        }
        try:
            return create_once(command=command)  # type: ignore[no-any-return]
        except IdempotencyValidationError as exc:
            raise Conflict(
                "this Idempotency-Key was already used with a different request body", code="idempotency_key_reused"
            ) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise Conflict(
                "a request with this Idempotency-Key is still in progress; retry shortly",
                code="idempotency_in_progress",
            ) from exc

    return CreateBatch(config, create)
