"""Under pytest, a workflow's finding in an operation tested before it fails the workflow's own test,
while the report files it under the operation its step called (as the CLI's does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_a_finding_in_an_operation_tested_earlier_fails_the_test_of_the_workflow_that_found_it(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # The batch workflow (createBatch) reads the output file of its batch (downloadFile, tested first):
    # the fault drops a line of it.
    result = pytester.runpytest_subprocess(
        str(ROOT / "suites"),
        *("--include", "downloadFile,createBatch", "--fault", "batch-output-drops-line"),
        *("--max-examples", "2", "--seed", "1", "--max-wait", "2"),
        *("--report-dir", str(tmp_path), "-p", "no:cacheprovider", "--rootdir", str(ROOT)),
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_operation_conforms*createBatch*", "*GET /files/{file_id}/content: state.batch_output*"]
    )
    report = json.loads((tmp_path / "report.json").read_text())
    by_id = {op["operation_id"]: op for op in report["operations"]}
    assert [v["check"] for v in by_id["downloadFile"]["violations"]] == ["state.batch_output"]
    assert by_id["downloadFile"]["outcome"] == "failed" and not by_id["createBatch"]["violations"]
