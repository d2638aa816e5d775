"""Real OpenAI-compatible servers from PyPI and npm, judged over the whole spec: every finding true.

Each test asserts the exact set of what the run found (operation, check, pointer, field, status, kind
of request) and the exact set of operations the server implements: anything more would be a false
alarm or an operation misjudged, anything less a hidden defect. Why each finding is true is said
beside it. The servers are installed by ``.ci/install-real-servers`` (pinned versions); a server that
is not installed is skipped, saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import CliRun, run_cli
from tests.real.servers import SERVERS

Found = tuple[str, str, str, str, int, str]  # operation, check, pointer, field, status, request

CHAT = "createChatCompletion"
_UNKNOWN = "invalid: an unknown model"

# The API answers an unknown model 404 model_not_found; these mocks answer any model.
_ANY_MODEL = (CHAT, "errors.unknown_model", "", "", 200, _UNKNOWN)
# `choices[].logprobs` and `message.refusal` are required (nullable) in 2.3.0: these leave them out.
_NO_LOGPROBS = (CHAT, "schema.body", "/choices/0", "logprobs", 200, "valid")
_NO_REFUSAL = (CHAT, "schema.body", "/choices/0/message", "refusal", 200, "valid")
# Features the echo servers do not implement, each asked for explicitly by a scenario.
_UNIMPLEMENTED = {
    (CHAT, "semantics.choices_count", "/choices", "", 200, "valid"),  # n: 2 gives one choice
    (CHAT, "semantics.choices_count", "", "", 200, "valid"),  # n: 2 streamed gives one choice
    (CHAT, "semantics.json_schema", "/choices/0/message/content", "", 200, "valid"),  # not JSON
    (CHAT, "semantics.logprobs", "/choices/0/logprobs", "", 200, "valid"),  # logprobs: true → null
    (CHAT, "semantics.tool_choice", "/choices/0/message/tool_calls", "", 200, "valid"),  # no tool call
    (CHAT, "stream.usage", "", "", 200, "valid"),  # include_usage: no usage chunk
}

EXPECTED: dict[str, tuple[dict[str, str], set[Found]]] = {
    # fakellm 0.3.5: chat only (no /v1/models: the run says which --model to pass); an echo.
    "fakellm": (
        {CHAT: "failed"},
        {
            _ANY_MODEL,
            _NO_LOGPROBS,
            _NO_REFUSAL,
            # an echo: `n: 2` gives one choice, json_schema is answered with prose, logprobs with null
            (CHAT, "semantics.choices_count", "/choices", "", 200, "valid"),
            (CHAT, "semantics.json_schema", "/choices/0/message/content", "", 200, "valid"),
            (CHAT, "semantics.logprobs", "/choices/0/logprobs", "", 200, "valid"),
        },
    ),
    # fastapi-openai-compat 1.4.0 with the echo app of its README (tests/real/apps/echo_compat.py).
    "fastapi-openai-compat": (
        {CHAT: "failed", "listModels": "passed"},
        {
            _ANY_MODEL,
            *_UNIMPLEMENTED,
            (CHAT, "semantics.json_mode", "/choices/0/message/content", "", 200, "valid"),  # not JSON
            # FastAPI's 422 {"detail": [...]} instead of the error envelope, for each invalid body
            (CHAT, "errors.envelope", "", "error", 422, "invalid: missing required field `messages`"),
            (CHAT, "errors.envelope", "", "error", 422, "invalid: `messages` of the wrong type"),
            (CHAT, "errors.envelope", "", "error", 422, "invalid: malformed JSON"),
            (CHAT, "errors.envelope", "", "error", 422, "invalid: a text/plain body"),
            # and for a valid request its request model refuses (a body the spec allows)
            (CHAT, "errors.envelope", "", "error", 422, "valid"),
            # temperature is not bounded: `temperature: 5` is answered 200
            (CHAT, "errors.invalid_accepted", "", "", 200, "invalid: `temperature` out of range"),
            # null where the schema has no null: `tool_calls` and `usage` of the answer, `tool_calls`
            # of each chunk's delta (the API leaves them out)
            (CHAT, "schema.body", "/choices/0/message/tool_calls", "", 200, "valid"),
            (CHAT, "schema.body", "/usage", "", 200, "valid"),
            (CHAT, "stream.chunk_schema", "/events/0/choices/0/delta/tool_calls", "", 200, "valid"),
            (CHAT, "stream.chunk_schema", "/events/0/choices/0/delta/tool_calls", "", 200, _UNKNOWN),
            # its streams end without `data: [DONE]`
            (CHAT, "stream.done", "", "", 200, "valid"),
            (CHAT, "stream.done", "", "", 200, _UNKNOWN),
        },
    ),
    # @dwmkerr/mock-llm 0.1.29 (Express) with its default rules: chat echoes, /v1/models* a list.
    "mock-llm": (
        {CHAT: "failed", "listModels": "failed", "retrieveModel": "failed"},
        {
            _ANY_MODEL,
            *_UNIMPLEMENTED,
            _NO_LOGPROBS,
            _NO_REFUSAL,
            # its templates put the prompt into JSON unescaped: a prompt with quotes gets 500, flat
            (CHAT, "errors.server_error", "", "", 500, "valid"),
            (CHAT, "errors.envelope", "/error", "", 500, "valid"),  # {"error": "SyntaxError", …}
            (CHAT, "errors.envelope", "/error", "", 400, "invalid: malformed JSON"),
            # it answers every body 200, however invalid
            (CHAT, "errors.invalid_accepted", "", "", 200, "invalid: missing required field `messages`"),
            (CHAT, "errors.invalid_accepted", "", "", 200, "invalid: `messages` of the wrong type"),
            (CHAT, "errors.invalid_accepted", "", "", 200, "invalid: `temperature` out of range"),
            (CHAT, "errors.invalid_accepted", "", "", 200, "invalid: a text/plain body"),
            # no `created`, no choice `index` (so the choices are not 0..n-1 either)
            (CHAT, "schema.body", "", "created", 200, "valid"),
            (CHAT, "schema.body", "/choices/0", "index", 200, "valid"),
            (CHAT, "semantics.choices_count", "/choices/0/index", "", 200, "valid"),
            (CHAT, "stream.chunk_schema", "/events/0", "created", 200, "valid"),
            (CHAT, "stream.chunk_schema", "/events/0", "created", 200, _UNKNOWN),
            # its models have no `created`; GET /v1/models/{model} answers the list
            ("listModels", "schema.body", "/data/0", "created", 200, "valid"),
            ("retrieveModel", "schema.body", "", "id", 200, "valid"),
            ("retrieveModel", "schema.body", "", "created", 200, "valid"),
            ("retrieveModel", "schema.body", "", "owned_by", 200, "valid"),
            ("retrieveModel", "schema.body", "/object", "", 200, "valid"),
            # the models workflow retrieves each listed id (its steps reported under retrieveModel)
            # and gets the list too, whose `id` is not the one asked for
            ("retrieveModel", "state.retrieve", "/id", "", 200, "valid"),
        },
    ),
}


def _found(run: CliRun) -> set[Found]:
    return {
        (op["operation_id"], v["check"], v["pointer"], v["field"] or "", v["status"], v["request"])
        for op in run.operations
        for v in op["violations"]
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_server_is_judged_truly(name: str, tmp_path: Path) -> None:
    server = SERVERS[name]
    missing = server.missing()
    if missing is not None:
        pytest.skip(missing)
    implemented, expected = EXPECTED[name]
    with server.running(tmp_path) as url:  # without /v1: the probes find where the API is
        run = run_cli(tmp_path / "reports", "--base-url", url, "--max-examples", "2", "--seed", "0")
    assert run.report["target"]["api_base"] == url + "/v1"
    outcomes = {op: outcome for op, outcome in run.outcomes().items() if outcome != "unsupported"}
    assert outcomes == implemented
    found = _found(run)
    assert found == expected, {
        "not expected": sorted(found - expected),
        "not found": sorted(expected - found),
    }
    assert run.code == 1
    says_which_model = any("pass --model ID" in line for line in run.report["diagnosis"])
    assert says_which_model == (name == "fakellm")  # the only one that lists no model
