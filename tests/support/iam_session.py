"""pytest hooks (imported by tests/conftest.py): record the AWS calls of every function the
session invokes, and at the end check them against the template's IAM policies. A call the
policy does not allow fails the session; grants no call used are reported, not failed.
The report goes to <pytest basetemp>/iam-calls.md and to the terminal."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

from localcloud.template import ACCOUNT_ID
from tests.support.aws_calls import CALLS_FILE_ENV, WORKER_HOOK, CallRecorder

_RECORDER = CallRecorder(ACCOUNT_ID)
_CLOUDS: list[Any] = []
_SUMMARY: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    from localcloud.cloud import LocalCloud

    _RECORDER.install()
    # Workers of the local cloud record their own calls into this file (they inherit every
    # LOCALCLOUD_* variable and run the hooks it lists before importing their handler).
    fd, path = tempfile.mkstemp(prefix="aws-calls-", suffix=".jsonl")
    os.close(fd)
    os.environ[CALLS_FILE_ENV] = path
    hooks = [h for h in os.environ.get("LOCALCLOUD_WORKER_HOOKS", "").split(",") if h]
    os.environ["LOCALCLOUD_WORKER_HOOKS"] = ",".join([*hooks, WORKER_HOOK])
    start = LocalCloud.start

    def remembered_start(self: LocalCloud) -> LocalCloud:
        _CLOUDS.append(self)
        return start(self)

    LocalCloud.start = remembered_start  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from localcloud.cloud import REPO_ROOT
    from tests.support.iam_policies import check, grants_by_principal, report, translate

    calls_file = os.environ.get(CALLS_FILE_ENV, "")
    if calls_file:
        _RECORDER.read_worker_calls(calls_file)
        os.unlink(calls_file)
    calls = dict(_RECORDER.calls)
    clouds = [c for c in _CLOUDS if c.resolver is not None and c.template_path == REPO_ROOT / "template.yaml"]
    if not calls or not clouds:
        return
    grants = grants_by_principal(translate(clouds[0].template_path), clouds[0].resolver)
    verdict = check(calls, grants)
    text = report(verdict, calls, grants)
    path = session.config._tmp_path_factory.getbasetemp() / "iam-calls.md"  # type: ignore[attr-defined]
    path.write_text(text)
    _SUMMARY[:] = [f"IAM check of {sum(calls.values())} AWS calls: report in {path}"]
    if verdict.denied:
        _SUMMARY.append(text)
        _SUMMARY.append(f"FAILED: {len(verdict.denied)} AWS call(s) that template.yaml's IAM policies do not allow")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        _SUMMARY.append(text[text.index("## Denied") :])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _SUMMARY:
        terminalreporter.write_line(line)
