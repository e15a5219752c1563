"""docs/deploy.md's cost and limits tables are computed from the template, the ASL files and
docs/performance.md (bench/aws_cost.py): they must be the ones those files give today."""

from __future__ import annotations

import pytest

from bench import aws_cost


def test_the_cost_section_of_docs_deploy_md_is_current() -> None:
    text = aws_cost.DOC.read_text()
    start, end = text.index(aws_cost.START), text.index(aws_cost.END) + len(aws_cost.END)
    assert text[start:end] + "\n" == aws_cost.render(), "stale: rerun `python -m bench.aws_cost`"


def test_the_download_cost_counts_the_templates_memory_and_the_asl_transitions() -> None:
    functions, arch = aws_cost.template_functions()
    outer, per_item = aws_cost.transitions("batch_download.asl.json")
    assert (outer, per_item) == (2, 1)  # RunJobs + FinalizeBatch a batch; RunDownloadJob a job
    lines = aws_cost.downloads(1000, functions, arch, aws_cost.measured())
    gb_s = next(ln for ln in lines if ln.what.startswith("Lambda RunDownloadJobFunction (")).quantity
    seconds = aws_cost.download_job_seconds(int(functions["RunDownloadJobFunction"]["MemorySize"]), aws_cost.measured())
    assert gb_s == pytest.approx(int(functions["RunDownloadJobFunction"]["MemorySize"]) / 1024 * seconds * 1000)
