"""The ready workflows of docs/workflows/: every openai-conformance command they run is valid, and they
have what a nightly run and a PR gate need (schedule, spec cache, baseline, artefacts)."""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from openai_conformance.cli import _parser
from openai_conformance.config import RunConfig

WORKFLOWS = Path(__file__).resolve().parents[2] / "docs" / "workflows"
_EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")
_VARIABLE = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")
_SHELL = {"&&", "||", ";", "|", ">", ">>", "&"}


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def _value(name: str, raw: str) -> str:
    if "URL" in name:
        return "https://server.invalid/v1"
    return _EXPRESSION.sub("x", raw) or "x"


def _substitute(env: dict[str, Any], match: re.Match[str]) -> str:
    return _value(match.group(1), str(env.get(match.group(1), "x")))


def _triggers(document: dict[str, Any]) -> dict[str, Any]:
    """The ``on:`` of a workflow (YAML 1.1 reads the bare key ``on`` as True)."""
    triggers: dict[str, Any] = document.get("on") or dict(document).get(True) or {}  # type: ignore[call-overload]
    return triggers


def _commands(document: dict[str, Any]) -> list[list[str]]:
    """Each openai-conformance command line of the workflow, with its variables given plausible values."""
    found = []
    for step in _steps(document):
        script = step.get("run")
        if not script:
            continue
        env = {**(document.get("env") or {}), **(step.get("env") or {})}
        for line in str(script).splitlines():
            line = _EXPRESSION.sub("x", line.strip())
            if not line.startswith("openai-conformance"):
                continue
            line = _VARIABLE.sub(functools.partial(_substitute, env), line)
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words = []
            for word in lexer:
                if word in _SHELL:
                    break
                words.append(word)
            found.append(words)
    return found


@pytest.mark.parametrize("name", ["conformance-nightly.yml", "conformance-pr.yml"])
def test_every_command_the_workflow_runs_is_valid(name: str) -> None:
    commands = _commands(_load(name))
    assert any(words[1] == "run" for words in commands)
    for words in commands:
        args = _parser().parse_args(words[1:])  # exits (a test failure) on an unknown flag or value
        if args.command == "run":
            config = RunConfig.from_values(vars(args))
            assert config.baseline is not None, "a gate judges against its baseline"
            assert config.base_url and config.base_url.startswith("http")
            assert config.max_time, "a gate bounds its time"


@pytest.mark.parametrize("name", ["conformance-nightly.yml", "conformance-pr.yml"])
def test_the_workflow_caches_the_spec_and_keeps_the_report(name: str) -> None:
    document = _load(name)
    steps = _steps(document)
    cache = document["env"]["OPENAI_CONFORMANCE_CACHE"]
    spec_cache = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    assert spec_cache and cache.endswith(spec_cache[0]["with"]["path"])
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and all(s.get("if") == "always()" for s in uploads), (
        "the report is kept when the gate fails"
    )
    for step in steps:
        if "uses" in step:
            assert re.search(r"@v\d+$", step["uses"]), f"{step['uses']} is not pinned to a major version"


def test_the_nightly_is_scheduled_and_the_gate_runs_on_pull_requests() -> None:
    nightly, gate = _load("conformance-nightly.yml"), _load("conformance-pr.yml")
    assert _triggers(nightly)["schedule"][0]["cron"]
    assert "pull_request" in _triggers(gate)
    diffs = [words for words in _commands(nightly) if words[1:3] == ["report", "diff"]]
    assert diffs, "the nightly says what changed since the last one"
