"""Field types that every job shape shares (URL batch jobs and show episode jobs), so their
descriptions in the OpenAPI document are written once."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

JobStatus = Annotated[str, Field(description="queued, running, completed, failed or cancelled")]
JobErrorText = Annotated[str | None, Field(description="why the job failed or was cancelled, in words for people")]
JobErrorCode = Annotated[
    str | None,
    Field(
        description="stable reason of a failure: not_found, forbidden, no_media_found, network, tls, timeout, "
        "too_large, refused_address, ... (docs/api.md, 'Job failures')"
    ),
]
JobErrorDetail = Annotated[str | None, Field(description="the source's own error text, when there is one")]
