"""Whole runs: the main job, every operation of both pinned specs, and the pytest entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openai_conformance.cli import main
from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # whole runs: `pytest -m "not slow"` leaves them out while developing


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "report.json").read_text())
    return data


def test_main_job_is_conformant_over_every_operation(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--max-examples", "3", "--seed", "5")
    code, report = run.code, run.report
    assert report["summary"]["operations"] == 94
    assert report["target"]["embedded"] is True
    problems = [
        (op["operation_id"], op["violations"], op["errors"])
        for op in report["operations"]
        if op["outcome"] != "passed"
    ]
    assert problems == []
    # Every operation was judged on a success answer (ids the server made fed the requests).
    assert report["summary"]["judged_2xx"] == 94 and all(op["reached"] for op in report["operations"])
    assert "94/94 operations judged on a 2xx answer" in run.out
    assert code == 0
    assert any("user_id" in f["message"] for f in report["spec_findings"])


def test_compat_profile_is_conformant_too(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--profile", "compat", "--max-examples", "2")
    code, report = run.code, run.report
    assert code == 0
    assert report["settings"]["profile"] == "compat" and report["summary"]["operations"] == 94
    assert report["summary"]["warnings"] == 0  # the reference server omits no nullable field either


def test_newest_spec_runs_over_all_its_operations_with_no_tool_error_and_no_violation(tmp_path: Path) -> None:
    # Ten requests at the boundaries of each of its 288 operations, spread over all it has.
    run = run_cli(tmp_path, "--spec", "f85dbe2", "--max-examples", "1", "--max-boundaries", "10")
    code, report = run.code, run.report
    assert report["summary"]["operations"] == 288
    assert report["fatal"] is None
    assert [op["operation_id"] for op in report["operations"] if op["outcome"] == "error"] == []
    # The reference server reads the 3.1 spec's schemas in their own dialect (`type: "null"`, ...),
    # answers its declared statuses, and the judge reads binary bodies, event streams and the
    # discriminators whose values name no schema as the spec means them: no violation.
    violations = [(op["operation_id"], v["check"]) for op in report["operations"] for v in op["violations"]]
    assert violations == []
    assert code == 0


def _suites(pytester: pytest.Pytester, tmp_path: Path, *args: str) -> pytest.RunResult:
    """``pytest suites …`` in a subprocess, as a user runs it, reports into ``tmp_path``."""
    return pytester.runpytest_subprocess(
        str(ROOT / "suites"),
        *args,
        "--report-dir",
        str(tmp_path),
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(ROOT),
    )


def test_pytest_entry_point_runs_the_same_engine(pytester: pytest.Pytester, tmp_path: Path) -> None:
    result = _suites(
        pytester,
        tmp_path,
        "--include",
        "Models,createEmbedding",
        "--max-examples",
        "2",
    )
    result.assert_outcomes(passed=4)
    report = _report(tmp_path)
    assert report["settings"]["runner"] == "pytest"
    assert {op["operation_id"] for op in report["operations"]} == {
        "listModels",
        "retrieveModel",
        "deleteModel",
        "createEmbedding",
    }


def test_pytest_entry_point_fails_on_a_fault(pytester: pytest.Pytester, tmp_path: Path) -> None:
    from openai_conformance.server.faults import FAULTS

    fault = next(f for f in FAULTS.values() if f.check == "schema.body")
    result = _suites(
        pytester,
        tmp_path,
        "--fault",
        fault.id,
        "--max-examples",
        "3",
        "--max-boundaries",
        "0",  # the drawn requests show it: what is tested here is how pytest reports it
    )
    assert result.ret == 1
    report = _report(tmp_path)
    assert any(v["check"] == "schema.body" for op in report["operations"] for v in op["violations"])


def test_pytest_xdist_workers_write_one_report(pytester: pytest.Pytester, tmp_path: Path) -> None:
    result = _suites(
        pytester,
        tmp_path,
        "-n",
        "2",
        "--include",
        "Models,createEmbedding,createModeration",
        "--max-examples",
        "2",
    )
    result.assert_outcomes(passed=5)
    report = _report(tmp_path)
    assert len(report["operations"]) == 5 and report["summary"]["passed"] == 5


def test_shards_merge_into_the_whole_run(tmp_path: Path) -> None:
    common = ["run", "--include", "Models,Embeddings,Moderations,Files", "--max-examples", "1", "-q"]
    assert main([*common, "--shard", "1/2", "--report-dir", str(tmp_path / "a")]) == 0
    assert main([*common, "--shard", "2/2", "--report-dir", str(tmp_path / "b")]) == 0
    a, b = _report(tmp_path / "a"), _report(tmp_path / "b")
    assert a["summary"]["operations"] + b["summary"]["operations"] == 10
    assert not {op["operation_id"] for op in a["operations"]} & {op["operation_id"] for op in b["operations"]}
    code = main(
        [
            "report",
            "merge",
            str(tmp_path / "a"),
            str(tmp_path / "b" / "report.json"),
            "--report-dir",
            str(tmp_path / "m"),
        ]
    )
    merged = _report(tmp_path / "m")
    assert code == 0 and merged["summary"]["operations"] == 10 and merged["settings"]["merged_from"] == 2


def test_workers_give_the_same_verdicts(tmp_path: Path) -> None:
    common = ["run", "--include", "Models,Embeddings,Chat", "--max-examples", "2", "--seed", "3", "-q"]
    assert main([*common, "--report-dir", str(tmp_path / "one")]) == 0
    assert main([*common, "--workers", "2", "--report-dir", str(tmp_path / "two")]) == 0
    one, two = _report(tmp_path / "one"), _report(tmp_path / "two")
    assert [op["operation_id"] for op in one["operations"]] == [
        op["operation_id"] for op in two["operations"]
    ]
    assert [op["outcome"] for op in one["operations"]] == [op["outcome"] for op in two["operations"]]
    # where the requests were drawn: the workers, not the parent (which drew none)
    assert two["settings"]["drawing"] == "in each of 2 worker processes, for its own operations"
    assert one["settings"]["drawing"] != two["settings"]["drawing"]


def test_negative_mode_is_silent_on_the_reference_server_and_catches_accepted_garbage(tmp_path: Path) -> None:
    assert main(["run", "--negative", "--max-examples", "4", "--report-dir", str(tmp_path / "ok"), "-q"]) == 0
    report = _report(tmp_path / "ok")
    assert report["settings"]["mode"] == "negative" and report["summary"]["cases"] > 100
    assert [op["operation_id"] for op in report["operations"] if op["outcome"] in ("failed", "error")] == []
    code = main(
        [
            "run",
            "--negative",
            "--fault",
            "invalid-accepted",
            "--include",
            "Chat,Completions,Embeddings,Files",
            "--max-examples",
            "4",
            "--report-dir",
            str(tmp_path / "bad"),
            "-q",
        ]
    )
    checks = {v["check"] for op in _report(tmp_path / "bad")["operations"] for v in op["violations"]}
    assert code == 1 and "errors.invalid_accepted" in checks


def test_concurrency_keeps_the_verdicts(tmp_path: Path) -> None:
    common = ["run", "--include", "Chat,Embeddings,Models,Files", "--max-examples", "4", "--seed", "2", "-q"]
    assert main([*common, "--report-dir", str(tmp_path / "one")]) == 0
    assert main([*common, "--concurrency", "4", "--report-dir", str(tmp_path / "four")]) == 0
    one, four = _report(tmp_path / "one"), _report(tmp_path / "four")
    assert one["summary"]["cases"] == four["summary"]["cases"]
    assert four["settings"]["concurrency"] == 4
    code = main(
        [*common, "--concurrency", "4", "--fault", "chat-object-plural", "--report-dir", str(tmp_path / "f")]
    )
    assert code == 1


def test_compat_profile_makes_a_missing_nullable_field_a_warning(tmp_path: Path) -> None:
    common = ["run", "--fault", "chat-refusal-missing", "--include", "Chat", "--max-examples", "2", "-q"]
    assert main([*common, "--report-dir", str(tmp_path / "strict")]) == 1
    assert main([*common, "--profile", "compat", "--report-dir", str(tmp_path / "compat")]) == 0
    found = [v for op in _report(tmp_path / "compat")["operations"] for v in op["violations"]]
    assert found and {(v["check"], v["severity"]) for v in found} == {("schema.body", "warning")}
    assert all("refusal" in v["message"] for v in found)


def test_the_cli_and_pytest_give_the_same_operations_and_violations(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """The same options, two faults at once, one shard: both entry points consume the same events."""
    args = (
        *("--include", "Models,Chat,Embeddings,Moderations,Completions", "--shard", "1/2"),
        *("--seed", "4", "--max-examples", "2", "--fault", "ignore-n", "--fault", "moderations-status-203"),
    )
    cli = run_cli(tmp_path / "cli", *args)
    suites = _suites(pytester, tmp_path / "pytest", *args)
    by_pytest = _report(tmp_path / "pytest")

    def verdicts(report: dict[str, Any]) -> list[Any]:
        return [
            (
                op["operation_id"],
                op["outcome"],
                op["cases"],
                op["statuses"],
                sorted((v["check"], v["pointer"], v["message"], v["occurrences"]) for v in op["violations"]),
            )
            for op in report["operations"]
        ]

    assert [op["operation_id"] for op in cli.operations] == [
        "createChatCompletion",
        "createEmbedding",
        "retrieveModel",
        "createModeration",
    ]
    assert verdicts(by_pytest) == verdicts(cli.report)
    assert {"semantics.choices_count", "schema.status_code"} <= cli.checks()  # both faults found
    assert cli.code == 1 and suites.ret == 1
    assert by_pytest["settings"]["shard"] == "1/2" and by_pytest["target"]["faults"] == [
        "ignore-n",
        "moderations-status-203",
    ]


def test_pytest_honours_the_time_budget(pytester: pytest.Pytester, tmp_path: Path) -> None:
    suites = _suites(pytester, tmp_path, "--include", "Chat,Models,Embeddings", "--max-time", "0.2")
    report = _report(tmp_path)
    notes = [op["note"] for op in report["operations"]]
    assert report["interrupted"] == "the run's time budget of 0.2 s ran out"
    assert "not run: time budget exhausted" in notes and len(notes) == 5
    assert suites.ret == 0  # what ran passed; what did not is skipped, and the report says why


def test_pytest_says_when_the_target_cannot_be_tested(pytester: pytest.Pytester, tmp_path: Path) -> None:
    from tests.hostile.server import closed_port

    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    suites = _suites(pytester, tmp_path, "--base-url", base_url, "--include", "Models", "--timeout", "2")
    report = _report(tmp_path)
    assert report["fatal"] and "cannot be reached" in report["fatal"]
    assert report["exit_code"] == 2
    suites.assert_outcomes(failed=3)
    suites.stdout.fnmatch_lines(["*could not test: the target at * cannot be reached*"])
