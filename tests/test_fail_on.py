"""``--fail-on warning``: a gate that wants warnings to fail the run gets exit status 1 for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from openai_conformance.cli import main
from tests.cli import run_cli

# A fault caught by a warning-level check only: each chunk of a chat stream has its own timestamp.
_WARNED = ("--fault", "stream-created-changes", "--include", "createChatCompletion", "--max-examples", "1")


def test_warnings_pass_by_default_and_fail_with_fail_on_warning(tmp_path: Path) -> None:
    default = run_cli(tmp_path / "default", *_WARNED)
    assert default.found() and {v["severity"] for v in default.violations} == {"warning"}
    assert default.code == 0
    assert default.report["settings"]["fail_on"] == "error"
    strict = run_cli(tmp_path / "strict", *_WARNED, "--fail-on", "warning")
    assert strict.code == 1
    assert strict.report["exit_code"] == 1 and strict.report["settings"]["fail_on"] == "warning"
    assert "1 violation kind(s) found" in strict.out  # the headline counts the warning that failed it


def test_a_clean_run_passes_with_fail_on_warning(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--include", "listModels", "--max-examples", "1", "--fail-on", "warning")
    assert run.violations == [] and run.code == 0


def test_fail_on_takes_a_severity(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--fail-on", "notice"]) == 2
    err = capsys.readouterr().err
    assert "--fail-on must be error or warning, not 'notice'" in err and "Traceback" not in err
