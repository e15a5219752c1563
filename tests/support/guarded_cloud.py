"""A local cloud of its own (a child process) with small quotas and an admin token, for the
suites of rate limits and key management: the session's shared cloud keeps the template's
generous defaults and no admin token."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.localcloud_process import LocalCloudProcess

ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"
CREATE_LIMIT = 3
CREATE_WINDOW_SECONDS = 8
MAX_RUNNING_JOBS = 2
OVERRIDES = " ".join(
    [
        f"BatchCreateLimit={CREATE_LIMIT}",
        f"BatchCreateWindowSeconds={CREATE_WINDOW_SECONDS}",
        f"MaxRunningJobsPerTenant={MAX_RUNNING_JOBS}",
        f"AdminTokenSha256={hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()}",
        "UrlAllowlist=127.0.0.1",
    ]
)


@contextmanager
def guarded_cloud(data_dir: Path) -> Iterator[LocalCloudProcess]:
    with LocalCloudProcess(data_dir, overrides=OVERRIDES) as cloud:
        yield cloud
