"""Answers cut by the token cap are still judged where a rule can be: with --max-tokens 1 the conformant
server passes, and JSON mode answered with prose is caught although every answer is cut."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_cli

_TEXT = (
    "--include",
    "createChatCompletion,createCompletion",
    "--max-examples",
    "2",
    "--max-boundaries",
    "10",
)


def test_a_one_token_budget_is_no_violation_on_a_conformant_server(tmp_path: Path) -> None:
    run = run_cli(tmp_path, *_TEXT, "--max-tokens", "1")
    assert run.violations == [] and run.code == 0
    assert run.report["settings"]["max_tokens"] == 1


def test_json_mode_answered_with_prose_is_caught_when_the_cap_cuts_it(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--fault", "json-mode-prose", *_TEXT, "--max-tokens", "2")
    assert run.checks() == {"semantics.json_mode"}
    messages = [v["message"] for v in run.violations]
    assert any(
        "cut by the token cap" in message and "not the start of a JSON document" in message
        for message in messages
    )
