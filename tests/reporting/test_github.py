"""GitHub Actions output: annotations for the headline and each new violation, and a job summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from openai_conformance.reporting.document import report_document
from openai_conformance.reporting.github import github_enabled, job_summary, workflow_commands, write_github
from openai_conformance.results.baseline import Baseline, BaselineEntry, apply_baseline
from openai_conformance.validation.violations import Violation
from tests.cli import run_cli
from tests.reporting.factories import NO_DONE, WRONG_N, operation, run


def test_on_when_asked_or_under_actions() -> None:
    assert github_enabled(("github",), {})
    assert github_enabled((), {"GITHUB_ACTIONS": "true"})
    assert not github_enabled((), {})
    assert not github_enabled(("none",), {"GITHUB_ACTIONS": "true"})


def test_a_command_per_new_violation_with_the_headline_first() -> None:
    failing = run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N))
    known = next(f for f in failing.operations[0].findings.values() if f.check == "stream.done")
    apply_baseline(
        failing,
        Baseline(Path("k.json"), [BaselineEntry("createChatCompletion", "stream.done", known.signature)]),
    )
    lines = workflow_commands(report_document(failing))
    assert lines[0].startswith("::error title=openai-conformance%3A 1 violation kind::")
    assert len(lines) == 2, "the known finding is not annotated"
    assert lines[1].startswith("::error title=semantics.choices_count on POST /chat/completions::")
    assert "%0AReproduce: curl" in lines[1] and "\n" not in lines[1]


def test_workflow_command_values_are_escaped() -> None:
    tricky = Violation("schema.body", "50% off\r\nnext line", "/a,b:c")
    lines = workflow_commands(report_document(run(operation("createEmbedding", "/embeddings", tricky))))
    assert "50%25 off%0D%0Anext line" in lines[1]
    clean = workflow_commands(report_document(run(operation("listModels", "/models", method="get"))))
    assert clean == [
        "::notice title=openai-conformance%3A Conformant::no violation in 1 of 1 operation(s) tested"
    ]


def test_the_job_summary(tmp_path: Path) -> None:
    failing = run(operation("createChatCompletion", "/chat/completions", NO_DONE))
    summary = tmp_path / "summary.md"
    lines = write_github(
        report_document(failing), report_dir="reports", environ={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    text = summary.read_text()
    assert text.startswith("## ❌ openai-conformance: 1 violation kind")
    assert "| `POST /chat/completions` | `stream.done` |" in text and "reports/report.html" in text
    assert len(lines) == 2
    assert job_summary(report_document(failing)) in text


@pytest.mark.slow
def test_under_github_actions_the_run_annotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_cli(tmp_path / "r", "--include", "createChatCompletion", "--fault", "stream-no-done")
    assert result.code == 1
    commands = [line for line in result.out.splitlines() if line.startswith("::")]
    assert commands[0].startswith("::error title=openai-conformance")
    assert len(commands) == 1 + len(result.violations)
    assert "stream.done" in summary.read_text()
    quiet = run_cli(tmp_path / "q", "--include", "createChatCompletion", "--report", "none")
    assert not [line for line in quiet.out.splitlines() if line.startswith("::")]
