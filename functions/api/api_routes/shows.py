"""Show and playlist batches (seed: podcast-show-batches.md)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from api_routes.auth import current_tenant
from api_routes.idempotency import run_idempotent
from mediabatch import container
from mediabatch.shows.models import ShowRequest, Submission
from schemas.shows import EpisodeJobOut, ShowBatchCreatedOut, ShowBatchOut

router = Router()


def _answer(submission: Submission) -> dict[str, Any]:
    if submission.single is not None:
        return EpisodeJobOut.of(submission.single).model_dump(mode="json")
    return ShowBatchCreatedOut.of(submission.batch).model_dump(mode="json")


@router.post(
    "/jobs",
    summary="Download a show, podcast feed or playlist (one job per episode), or one media URL",
    tags=["shows"],
    responses={
        202: {
            "description": "Accepted: a batch of episode jobs (a show, feed or playlist URL), or one job "
            "(a single media URL)",
            "content": {"application/json": {"model": ShowBatchCreatedOut | EpisodeJobOut}},
        }
    },
)
def create_jobs(request: Annotated[ShowRequest, Body()]) -> Response[ShowBatchCreatedOut | EpisodeJobOut]:
    tenant_id = current_tenant(router).tenant_id
    body = run_idempotent(
        "show.create",
        tenant_id,
        router.current_event.headers.get("idempotency-key"),
        request.model_dump(mode="json"),
        lambda: _answer(container.show_service().submit(tenant_id, request)),
        lambda_context=router.lambda_context,
    )
    answer: ShowBatchCreatedOut | EpisodeJobOut
    if "total_episodes" in body:
        answer = ShowBatchCreatedOut.model_validate(body)
        location = f"/batch/{answer.batch_id}"
    else:
        answer = EpisodeJobOut.model_validate(body)
        location = f"/jobs/{answer.id}"
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=answer, headers={"Location": location}
    )


@router.get("/batch/<batch_id>", summary="A show batch and its progress", tags=["shows"])
def get_show_batch(batch_id: str) -> ShowBatchOut:
    return ShowBatchOut.of(container.show_service().get_batch(current_tenant(router).tenant_id, batch_id))


@router.post(
    "/batch/<batch_id>/retry",
    summary="Run the failed episodes of a finished show batch again, in place",
    tags=["shows"],
    responses={
        200: {
            "description": "The batch, processing again with its failed episodes",
            "content": {"application/json": {"model": ShowBatchOut}},
        },
        409: {"description": "the batch is still processing, or has no failed episode"},
    },
)
def retry_show_batch(batch_id: str) -> ShowBatchOut:
    return ShowBatchOut.of(container.show_service().retry(current_tenant(router).tenant_id, batch_id))


@router.get("/jobs/<job_id>", summary="One episode job: status, title, stored file", tags=["shows"])
def get_show_job(job_id: str) -> EpisodeJobOut:
    return EpisodeJobOut.of(container.show_service().get_job(current_tenant(router).tenant_id, job_id))
