"""Whole runs against servers that behave as servers in the field do: no false alarm, no hidden defect,
a diagnosis for every run (tests/fakes/field_servers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import CliRun, assert_no_secret, run_cli
from tests.conftest import ServeApp
from tests.fakes.field_servers import PAGES, create_app

IMPLEMENTED = {"listModels", "retrieveModel", "deleteModel", "createChatCompletion", "createEmbedding"}
# Operations the servers lack, of every method and with path parameters (mock-llm in tests/real runs all 94)
LACKING = (
    "listFiles,retrieveFile,deleteFile,createFile,downloadFile,listAssistants,deleteAssistant,cancelRun,"
    "getVectorStoreFile,createSpeech"
)
SOME = ",".join((*sorted(IMPLEMENTED), LACKING))


def _run(serve_app: ServeApp, behaviour: str, tmp_path: Path, *args: str, suffix: str = "/v1") -> CliRun:
    with serve_app(create_app(behaviour)) as url:
        return run_cli(tmp_path, "--base-url", url + suffix, "--max-examples", "2", *args)


def _found(run: CliRun) -> set[tuple[str, str, str, str, int, str]]:
    """Every finding as (operation, check, pointer, field, status, kind of request)."""
    return {
        (op["operation_id"], v["check"], v["pointer"], v["field"] or "", v["status"], v["request"])
        for op in run.operations
        for v in op["violations"]
    }


@pytest.mark.parametrize("page", sorted(PAGES.keys() - {"prism"}))
def test_a_framework_no_such_route_page_is_unsupported_for_every_method(
    serve_app: ServeApp, tmp_path: Path, page: str
) -> None:
    """Express names the method in its page (``Cannot GET /v1/files``): GET and DELETE operations the
    target lacks are unsupported as their POST siblings are, never failed; the others are judged."""
    run = _run(serve_app, page, tmp_path, "--include", SOME)
    outcomes = run.outcomes()
    assert len(outcomes) == len(IMPLEMENTED) + len(LACKING.split(","))
    assert {op for op, outcome in outcomes.items() if outcome != "unsupported"} == IMPLEMENTED
    assert {outcomes[op] for op in IMPLEMENTED - {"deleteModel"}} == {"passed"}
    assert outcomes["deleteModel"] == "not_reached"  # no model of theirs can be deleted: only 404s
    assert run.violations == [] and run.code == 0


def test_a_mock_without_v1_is_found_at_its_documented_base_url(serve_app: ServeApp, tmp_path: Path) -> None:
    """Prism's mock serves the spec's paths at its root: the probes find them there."""
    run = _run(serve_app, "no-v1", tmp_path, "--include", SOME, suffix="")
    target = run.report["target"]
    assert target["api_base"] == target["base_url"]
    assert target["example_request"] == f"GET {target['base_url']}/models"
    assert {op for op, outcome in run.outcomes().items() if outcome == "passed"} == IMPLEMENTED - {
        "deleteModel"
    }
    assert run.code == 0


def test_nothing_found_is_never_conformant(serve_app: ServeApp, tmp_path: Path) -> None:
    run = _run(serve_app, "no-v1", tmp_path, "--include", SOME, suffix="/api")
    assert run.code == 2
    assert set(run.outcomes().values()) == {"unsupported"}
    assert run.report["fatal"].startswith("no operation of the spec was found at http://127.0.0.1:")
    assert run.report["fatal"].endswith("/api/v1: is the path prefix right?")
    assert "no operation of the spec was found" in run.err


def test_a_target_that_refuses_every_request_is_told_to_check_the_key(
    serve_app: ServeApp, tmp_path: Path
) -> None:
    run = _run(serve_app, "refuse-all", tmp_path, "--api-key", "sk-wrong-0123456789")
    assert run.code == 2 and run.violations == []
    assert "the target refused every request" in run.err and "check --api-key / --header" in run.err
    assert "sk-wrong-0123456789" not in run.err + run.out


def test_a_web_page_is_not_an_openai_api(serve_app: ServeApp, tmp_path: Path) -> None:
    run = _run(serve_app, "web-page", tmp_path)
    assert run.code == 2 and run.violations == []
    assert "is not an OpenAI API" in run.err


def test_no_models_listed_and_none_given_says_which_option_to_pass(
    serve_app: ServeApp, tmp_path: Path
) -> None:
    run = _run(serve_app, "no-models", tmp_path, "--include", "createChatCompletion")
    (line,) = run.report["diagnosis"]
    assert "pass --model ID" in line and line in run.out
    named = _run(
        serve_app,
        "no-models",
        tmp_path / "named",
        "--include",
        "createChatCompletion",
        "--model",
        "mini-chat",
    )
    assert named.report["diagnosis"] == [] and named.report["target"]["models"] == ["mini-chat"]


def test_distinct_defects_are_distinct_findings(serve_app: ServeApp, tmp_path: Path) -> None:
    """A 500 for malformed JSON does not hide a 500 for a valid request; each missing field of an
    envelope or a choice is a finding; each invalid request accepted is one; counts are per status."""
    run = _run(serve_app, "many-defects", tmp_path, "--include", "createChatCompletion")
    found = _found(run)
    chat = "createChatCompletion"
    expected = {
        (chat, "errors.server_error", "", "", 500, "invalid: malformed JSON"),
        (chat, "errors.server_error", "", "", 500, "valid"),
        (chat, "errors.envelope", "/error", "type", 400, "invalid: missing required field `messages`"),
        (chat, "errors.envelope", "/error", "param", 400, "invalid: missing required field `messages`"),
        (chat, "errors.envelope", "/error", "code", 400, "invalid: missing required field `messages`"),
        (chat, "schema.body", "/choices/0", "index", 200, "valid"),
        (chat, "schema.body", "/choices/0", "logprobs", 200, "valid"),
        (chat, "errors.invalid_accepted", "", "", 200, "invalid: `temperature` out of range"),
        (chat, "errors.invalid_accepted", "", "", 200, "invalid: a text/plain body"),
    }
    assert expected <= found, sorted(expected - found)
    for violation in run.operation(chat)["violations"]:
        assert str(violation["status"]) in run.operation(chat)["statuses"]  # each is one status's


def test_one_stream_fault_does_not_hide_the_others(serve_app: ServeApp, tmp_path: Path) -> None:
    """A stream served as application/json is still read as the event stream it is: its content type
    is reported once (not also as schema.content_type), and its ids and its end are judged too."""
    run = _run(serve_app, "stream-defects", tmp_path, "--include", "createChatCompletion")
    checks = run.checks("createChatCompletion")
    assert {"stream.content_type", "stream.consistent_id", "stream.finish_reason"} <= checks
    assert "schema.content_type" not in checks
    valid = [
        v
        for v in run.operation("createChatCompletion")["violations"]
        if v["check"] == "stream.content_type" and v["request"] == "valid"
    ]
    assert len(valid) == 1


def test_the_expect_auth_reproduction_sends_the_wrong_key_it_reports(tmp_path: Path) -> None:
    key = "sk-the-valid-key-0123456789"
    run = run_cli(
        tmp_path, "--fault", "auth-not-enforced", "--include", "listModels", "--api-key", key, "--expect-auth"
    )
    refused = [v for v in run.violations if v["check"] == "auth.not_enforced"]
    by_request = {v["request"]: v["curl"] for v in refused}
    assert set(by_request) == {"invalid: no key", "invalid: a wrong key"}
    assert "Bearer sk-openai-conformance-wrong-key" in by_request["invalid: a wrong key"]
    assert "Authorization" not in by_request["invalid: no key"]
    assert_no_secret(run, key)
