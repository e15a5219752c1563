"""pytest hooks (imported by tests/conftest.py): record the AWS calls of every function the
session invokes, and at the end check them against the template's IAM policies. A call the
policy does not allow fails the session; grants no call used are reported, not failed.
The report goes to <pytest basetemp>/iam-calls.md and to the terminal."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.template import ACCOUNT_ID
from tests.support.aws_calls import CallRecorder

_RECORDER = CallRecorder(ACCOUNT_ID)
_CLOUDS: list[Any] = []
_SUMMARY: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    from localcloud.cloud import LocalCloud

    _RECORDER.install()
    start = LocalCloud.start

    def remembered_start(self: LocalCloud) -> LocalCloud:
        _CLOUDS.append(self)
        return start(self)

    LocalCloud.start = remembered_start  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from localcloud.cloud import REPO_ROOT
    from tests.support.iam_policies import check, grants_by_principal, report, translate

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
