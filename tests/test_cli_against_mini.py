"""The CLI end to end against a small conformant server and against each single deviation of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openai_conformance.cli import main
from tests.conftest import ServeApp
from tests.fakes.mini_server import DEVIATIONS, create_app

KEY = "sk-mini-secret-0123456789"
OPERATIONS = "listModels,retrieveModel,deleteModel,createChatCompletion,createEmbedding"


def _run(base_url: str, report_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "run",
            "--base-url",
            base_url,
            "--api-key",
            KEY,
            "--include",
            OPERATIONS,
            "--max-examples",
            "4",
            "--report-dir",
            str(report_dir),
            "--quiet",
            *extra,
        ]
    )
    return code, json.loads((report_dir / "report.json").read_text())


def test_conformant_server_passes(serve_app: ServeApp, tmp_path: Path) -> None:
    with serve_app(create_app()) as url:
        code, report = _run(url, tmp_path)
    assert code == 0
    assert report["summary"]["violations"] == 0
    # deleteModel answers 404 "no fine-tuned models here" to every request: judged, never reached.
    assert report["summary"]["passed"] == 4 and report["summary"]["not_reached"] == 1
    outcomes = {op["operation_id"]: op["outcome"] for op in report["operations"]}
    assert outcomes["deleteModel"] == "not_reached"
    assert report["summary"]["cases"] > 5


# Where else a deviation shows: the models workflow (reported under listModels) retrieves every listed model.
SEEN_THROUGH_A_WORKFLOW = {"retrieveModel": {"listModels"}}


@pytest.mark.parametrize("deviation", sorted(DEVIATIONS))
def test_each_deviation_is_caught(serve_app: ServeApp, tmp_path: Path, deviation: str) -> None:
    operation_id, check = DEVIATIONS[deviation]
    with serve_app(create_app(deviation)) as url:
        code, report = _run(url, tmp_path)
    assert code == 1
    found = [
        (op["operation_id"], v["check"], v["pointer"])
        for op in report["operations"]
        for v in op["violations"]
    ]
    assert (operation_id, check) in {(op, c) for op, c, _ in found}, found
    allowed = {operation_id, *SEEN_THROUGH_A_WORKFLOW.get(operation_id, ())}
    assert all(op in allowed for op, _, _ in found), f"other operations flagged too: {found}"


def test_pointers_name_the_offending_value(serve_app: ServeApp, tmp_path: Path) -> None:
    expected = {
        "wrong-object": "/object",
        "float-created": "/data/0/created",
        "missing-required": "/choices/0/message",
        "bad-enum": "/choices/0/finish_reason",
    }
    for deviation, pointer in expected.items():
        with serve_app(create_app(deviation)) as url:
            _, report = _run(url, tmp_path / deviation)
        pointers = [v["pointer"] for op in report["operations"] for v in op["violations"]]
        assert pointer in pointers, (deviation, pointers)


def test_the_key_never_appears_in_reports(
    serve_app: ServeApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # echo-key makes the server put the Authorization header in its body: the worst case for leaks.
    with serve_app(create_app("echo-key")) as url:
        _run(url, tmp_path)
    out = capsys.readouterr()
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(), path.name
    assert KEY not in out.out + out.err
    report = json.loads((tmp_path / "report.json").read_text())
    curls = [v["curl"] for op in report["operations"] for v in op["violations"]]
    assert curls and all("$OPENAI_API_KEY" in c for c in curls)


def test_unreachable_target_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            "--base-url",
            "http://127.0.0.1:9",
            "--report-dir",
            str(tmp_path),
            "--quiet",
            "--timeout",
            "2",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err and "cannot be reached" in err[-1]
    assert (tmp_path / "report.json").exists()


def test_operations_the_target_lacks_are_unsupported_not_failed(serve_app: ServeApp, tmp_path: Path) -> None:
    with serve_app(create_app()) as url:
        code, report = _run(url, tmp_path, "--include", "Files")
    outcomes = {op["operation_id"]: op["outcome"] for op in report["operations"]}
    assert outcomes["createFile"] == "unsupported" and outcomes["retrieveFile"] == "unsupported"
    assert (
        outcomes["retrieveModel"] == "passed"
    )  # its 404s for unknown models are API errors, not missing routes
    assert code == 0 and report["summary"]["unsupported"] == 5


def test_expect_turns_a_missing_capability_into_a_failure(serve_app: ServeApp, tmp_path: Path) -> None:
    with serve_app(create_app()) as url:
        code, report = _run(url, tmp_path, "--include", "Files", "--expect", "files,chat")
    failed = [op for op in report["operations"] if op["outcome"] == "failed"]
    assert code == 1
    assert failed and all(v["check"] == "capability.missing" for op in failed for v in op["violations"])
    assert {
        op["operation_id"] for op in report["operations"] if op["operation_id"] == "createChatCompletion"
    } == {"createChatCompletion"}


def test_expect_responses_on_a_target_without_the_responses_api(serve_app: ServeApp, tmp_path: Path) -> None:
    with serve_app(create_app()) as url:
        code, report = _run(
            url, tmp_path, "--spec", "f85dbe2", "--include", "Responses", "--expect", "responses"
        )
    outcomes = {op["operation_id"]: op["outcome"] for op in report["operations"]}
    expected = {"createResponse", "getResponse", "deleteResponse", "cancelResponse", "listInputItems"}
    assert {op for op, outcome in outcomes.items() if outcome == "failed"} == expected
    assert outcomes["beta_createResponse"] == "unsupported" and code == 1
