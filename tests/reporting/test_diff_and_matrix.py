"""report diff (regressions, fixes, changed messages, coverage; exit 1 on a regression) and report matrix."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from openai_conformance.cli import main
from openai_conformance.reporting.diff import diff_runs
from openai_conformance.reporting.files import write_reports
from openai_conformance.reporting.matrix import Column, build_matrix
from openai_conformance.results.merge import load_report
from openai_conformance.results.models import Outcome
from openai_conformance.validation.violations import Violation
from tests.cli import run_cli
from tests.reporting.factories import BAD_OBJECT, NO_DONE, SLOW_WARNING, WRONG_N, operation, run

DATA = Path(__file__).resolve().parents[1] / "data"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_new_violation_kind_is_a_regression() -> None:
    old = run(operation("createChatCompletion", "/chat/completions", NO_DONE))
    new = run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N))
    diff = diff_runs(old, new)
    assert diff.exit_code == 1 and [k.check for k in diff.new_kinds] == ["semantics.choices_count"]
    assert diff.regressions == 1 and not diff.fixed
    text = diff.to_markdown()
    assert "❌ 1 regression" in text and "semantics.choices_count" in text


def test_only_fixes_is_no_regression() -> None:
    old = run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N))
    new = run(operation("createChatCompletion", "/chat/completions", NO_DONE))
    diff = diff_runs(old, new)
    assert diff.exit_code == 0 and [k.check for k in diff.fixed] == ["semantics.choices_count"]
    assert "✅ no regressions, 1 fixed" in diff.to_markdown()


def test_outcomes_that_got_worse_or_better() -> None:
    old = run(
        operation("listModels", "/models", method="get"),
        operation("createEmbedding", "/embeddings"),
        operation("createModeration", "/moderations", BAD_OBJECT),
    )
    new = run(
        operation("listModels", "/models", method="get", outcome=Outcome.UNSUPPORTED, statuses={404: 2}),
        operation("createEmbedding", "/embeddings", SLOW_WARNING),
        operation("createModeration", "/moderations"),
    )
    diff = diff_runs(old, new)
    worse = {c.operation: c for c in diff.worse}
    assert worse["listModels"].regression and worse["listModels"].new == "unsupported"
    assert not worse["createEmbedding"].regression, "a new warning is worse, not failing"
    assert [c.operation for c in diff.better] == ["createModeration"]
    assert [k.check for k in diff.new_warnings] == ["semantics.created"]
    assert diff.exit_code == 1 and diff.regressions == 1


def test_a_kind_not_judged_again_is_not_fixed() -> None:
    old = run(operation("createChatCompletion", "/chat/completions", NO_DONE))
    new = run(operation("createChatCompletion", "/chat/completions", outcome=Outcome.SKIPPED, statuses={}))
    diff = diff_runs(old, new)
    assert not diff.fixed and [k.check for k in diff.untested_kinds] == ["stream.done"]
    assert diff.exit_code == 0 and diff.coverage and diff.coverage[0].new == "skipped"


def test_changed_messages_and_lost_success_answers() -> None:
    old = run(operation("createChatCompletion", "/chat/completions", Violation("stream.done", "old words")))
    new = run(
        operation(
            "createChatCompletion",
            "/chat/completions",
            Violation("stream.done", "new words"),
            statuses={400: 2},
        )
    )
    diff = diff_runs(old, new)
    assert [(r.old_message, r.kind.message) for r in diff.reworded] == [("old words", "new words")]
    assert any(c.new == "no 2xx" for c in diff.coverage)
    assert diff.exit_code == 0
    data = json.loads(diff.to_json())
    assert data["changed_messages"][0]["old_message"] == "old words" and data["regressions"] == 0


def test_reports_of_older_formats_load() -> None:
    for name in ("report-1.0.json", "report-1.1.json", "report-1.2.json"):
        report = load_report(DATA / name)
        assert report.target.faults[0] == "ignore-n"
        assert {op.operation_id for op in report.operations} == {"createChatCompletion", "createEmbedding"}
        assert report.operations[0].findings


def test_report_diff_on_the_command_line(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write_reports(run(operation("createChatCompletion", "/chat/completions", NO_DONE)), old)
    write_reports(run(operation("createChatCompletion", "/chat/completions", NO_DONE, WRONG_N)), new)
    code, out, _ = _cli("report", "diff", str(old), str(new), "--output", str(tmp_path / "diff.md"))
    assert code == 1 and "## openai-conformance: ❌ 1 regression" in out
    assert (tmp_path / "diff.md").read_text() == out
    code, out, _ = _cli("report", "diff", str(new / "report.json"), str(old), "--format", "json")
    assert code == 0 and json.loads(out)["fixed"][0]["check"] == "semantics.choices_count"
    assert _cli("report", "diff", str(old), str(new), "--fail-on", "never")[0] == 0
    code, _, err = _cli("report", "diff", str(old), str(tmp_path / "missing"))
    assert code == 2 and "cannot read the report" in err


def test_report_diff_against_an_older_format(tmp_path: Path) -> None:
    code, out, _ = _cli("report", "diff", str(DATA / "report-1.0.json"), str(DATA / "report-1.1.json"))
    assert code == 0 and "Nothing changed" in out


def test_report_matrix_of_three_reports_is_one_table_with_three_columns(tmp_path: Path) -> None:
    folders = []
    for name, violations in (("vllm", (NO_DONE,)), ("ollama", (NO_DONE, WRONG_N)), ("litellm", ())):
        folder = tmp_path / name
        write_reports(
            run(
                operation("createChatCompletion", "/chat/completions", *violations),
                operation("listModels", "/models", method="get"),
            ),
            folder,
        )
        folders.append(str(folder))
    code, out, err = _cli("report", "matrix", *folders, "--output-dir", str(tmp_path / "m"))
    assert code == 0, err
    headers = [line for line in out.splitlines() if line.startswith("| Operation")]
    assert headers == ["| Operation | vllm | ollama | litellm |"]
    chat = next(line for line in out.splitlines() if line.startswith("| `POST /chat/completions`"))
    assert chat.split(" | ")[1:] == ["❌ 1", "❌ 2", "✅ |"]
    checks = next(line for line in out.splitlines() if line.startswith("| `semantics.choices_count`"))
    assert checks == "| `semantics.choices_count` | – | 1 | – |"
    html = (tmp_path / "m" / "matrix.html").read_text()
    assert html.count('<th class="target">') == 2 * 3
    assert (tmp_path / "m" / "matrix.md").read_text() == out


def test_matrix_labels_and_older_formats(tmp_path: Path) -> None:
    columns = [
        Column("1.0", load_report(DATA / "report-1.0.json")),
        Column("1.1", load_report(DATA / "report-1.1.json")),
    ]
    matrix = build_matrix(columns)
    assert [label for _, label, _ in matrix.operations] == ["POST /chat/completions", "POST /embeddings"]
    assert "| Operation | 1.0 | 1.1 |" in matrix.to_markdown()
    code, _, err = _cli("report", "matrix", str(DATA / "report-1.1.json"), "--label", "a", "--label", "b")
    assert code == 2 and "--label" in err


@pytest.mark.slow
def test_diff_of_real_runs_fails_on_a_regression_only(tmp_path: Path) -> None:
    selection = ["--include", "createChatCompletion,listModels"]
    both = run_cli(tmp_path / "both", *selection, "--fault", "ignore-n", "--fault", "stream-no-done")
    one = run_cli(tmp_path / "one", *selection, "--fault", "ignore-n")
    assert both.code == one.code == 1
    code, out, _ = _cli("report", "diff", str(tmp_path / "both"), str(tmp_path / "one"))
    assert code == 0 and "stream.done" in out and "Fixed" in out
    code, out, _ = _cli("report", "diff", str(tmp_path / "one"), str(tmp_path / "both"))
    assert code == 1 and "stream.done" in out and "Regressions" in out
