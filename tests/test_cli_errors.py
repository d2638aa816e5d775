"""Bad input gets one clear line and exit status 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from openai_conformance.cli import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--base-url", "ftp://x"], "--base-url must start with http"),
        (["run", "--max-examples", "0"], "--max-examples must be at least 1"),
        (["run", "--timeout", "-1"], "--timeout must be a positive number"),
        (["run", "--header", "no colon"], "is not of the form 'Name: value'"),
        (["run", "--include", "noSuchOperation"], "no operation matches"),
        (["run", "--spec", "no-such-pin-or-file"], "neither an existing path"),
        (
            ["run", "--base-url", "http://127.0.0.1:9", "--fault", "x"],
            "with --base-url it needs --upstream embedded",
        ),
        (
            ["run", "--base-url", "http://127.0.0.1:9", "--upstream", "ftp://x"],
            "--upstream must start with http",
        ),
        (
            ["run", "--base-url", "http://127.0.0.1:9", "--upstream", "embedded:0"],
            "needs a port between 1 and 65535",
        ),
        (["run", "--upstream", "embedded"], "give the proxy with --base-url"),
        (
            ["run", "--base-url", "http://127.0.0.1:9", "--upstream", "embedded", "--workers", "2"],
            "use --concurrency",
        ),
        (["run", "--upstream-header", "X-A: b"], "--upstream-header needs --upstream"),
        (["serve", "--fault", "no-such-fault"], "unknown fault"),
        (["run", "--draw-ahead", "sometimes"], "--draw-ahead must be auto, always or never"),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main([*argv, "--report-dir", str(tmp_path)] if argv[0] == "run" else argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err


def test_broken_spec_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.0.0\npaths: [\n")
    code = main(["run", "--spec", str(spec), "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "not valid YAML" in err


def test_unknown_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--no-such-flag"])
    assert info.value.code == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err


def test_checks_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks"]) == 0
    out = capsys.readouterr().out
    assert "schema.body" in out and "stream.done" in out


def test_a_closed_pipe_is_no_traceback() -> None:
    import subprocess
    import sys

    # The reader is gone before the first line is written: every write fails with EPIPE.
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_conformance", "serve", "--list-faults"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_the_documented_catalogue_is_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/checks.md is what `openai-conformance checks --markdown` prints (regenerate it with that)."""
    from openai_conformance.validation.registry import all_checks

    assert main(["checks", "--markdown"]) == 0
    printed = capsys.readouterr().out
    documented = (Path(__file__).resolve().parents[1] / "docs" / "checks.md").read_text()
    assert printed == documented
    assert all(f"`{check.id}`" in documented for check in all_checks())
