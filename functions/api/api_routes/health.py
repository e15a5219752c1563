"""Liveness probe: public, touches nothing behind the API."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from schemas.health import HealthOut

router = Router()


@router.get("/health", summary="Liveness probe (no key needed)", tags=["health"])
def health() -> HealthOut:
    return HealthOut(status="ok")
