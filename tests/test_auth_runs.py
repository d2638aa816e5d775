"""Auth on every run, without a flag: what the report says of a target that needs no key, or half of one."""

from __future__ import annotations

from pathlib import Path

from openai_conformance.openapi.loader import load_contract
from openai_conformance.scenarios.auth import NO_KEY_NEEDED
from openai_conformance.server import create_app
from tests.cli import assert_no_secret, run_cli
from tests.conftest import ServeApp

KEY = "sk-auth-runs-0123456789"
_QUICK = ("--include", "listModels", "--max-examples", "1")


def test_a_target_that_needs_no_key_is_said_so_without_a_violation(
    tmp_path: Path, serve_app: ServeApp
) -> None:
    app = create_app(load_contract(pin="6b8287f", findings=False).document)  # no key required
    with serve_app(app) as base_url:
        run = run_cli(tmp_path / "plain", "--base-url", base_url, "--api-key", KEY, *_QUICK)
        expected = run_cli(
            tmp_path / "expected", "--base-url", base_url, "--api-key", KEY, "--expect-auth", *_QUICK
        )
    assert run.code == 0 and run.violations == []
    assert run.operation("listModels")["note"] == NO_KEY_NEEDED
    assert expected.code == 1 and expected.checks("listModels") == {"auth.not_enforced"}
    assert_no_secret(run, KEY)


def test_a_wrong_key_let_in_is_caught_on_every_run(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--fault", "wrong-key-accepted", "--api-key", KEY, *_QUICK)  # no --expect-auth
    assert run.checks() == {"auth.not_enforced"} and run.code == 1
    assert run.operation("listModels")["note"] is None


def test_an_enforcing_target_passes_without_a_flag(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--api-key", KEY, *_QUICK)
    assert run.code == 0 and run.violations == [] and run.operation("listModels")["note"] is None
