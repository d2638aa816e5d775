"""Whole runs: streams and excerpts are kept where the answer was judged (worker processes too), and the
pytest entry point honours --baseline like the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.conftest import assert_report_follows_schema

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_streams_and_excerpts_come_back_from_worker_processes(tmp_path: Path) -> None:
    selection = ["--include", "Chat,Completions,Models", "--fault", "stream-chunk-object", "--seed", "4"]
    one = run_cli(tmp_path / "one", *selection)
    two = run_cli(tmp_path / "two", *selection, "--workers", "2")
    assert one.code == two.code == 1
    for run in (one, two):
        chat = run.operation("createChatCompletion")
        assert chat["streams"], "every streamed answer has its record"
        broken = [s for s in chat["streams"] if s["broke"]]
        assert broken and broken[0]["timeline"] and broken[0]["timeline"][0]["type"] == "chat.completion"
        finding = next(v for v in chat["violations"] if v["check"] == "stream.chunk_schema")
        excerpt = finding["excerpt"]
        start, end = excerpt["highlight"]
        assert excerpt["where"] == "event 0" and excerpt["text"][start:end] == '"chat.completion"'
    summary = [(s["source"], s["events"]) for s in one.operation("createChatCompletion")["streams"]]
    assert summary == [(s["source"], s["events"]) for s in two.operation("createChatCompletion")["streams"]]


def test_pytest_honours_the_baseline(pytester: pytest.Pytester, tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    selection = ["--include", "Models", "--fault", "model-owner-missing", "--max-examples", "2"]
    made = run_cli(tmp_path / "made", *selection, "--baseline", str(known), "--baseline-update")
    assert made.code == 0 and json.loads(known.read_text())["entries"]

    def suites(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess(
            str(ROOT / "suites"),
            *selection,
            *args,
            "--report-dir",
            str(tmp_path / "pytest"),
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
        )

    suites().assert_outcomes(passed=1, failed=2)
    suites("--baseline", str(known)).assert_outcomes(passed=3)
    report = json.loads((tmp_path / "pytest" / "report.json").read_text())
    assert_report_follows_schema(report)
    assert report["baseline"]["known"] == len(json.loads(known.read_text())["entries"])
    assert {v["baseline"]["status"] for op in report["operations"] for v in op["violations"]} == {"known"}
