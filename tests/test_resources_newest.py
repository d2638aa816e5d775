"""The newest spec's resources that only some requests make fetchable: a chat completion kept only with
``store: true``, a response cancellable only when made with ``background: true``; the Responses
operations of f85dbe2's ``?beta=true`` paths; and two kinds answering the same object (roles)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openai_conformance.cli import main
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.openapi.resources import ResourceGraph

NEWEST = load_contract(pin="f85dbe2", findings=False)
OPERATIONS = list(iter_operations(NEWEST.document))
GRAPH = ResourceGraph.from_document(NEWEST.document, OPERATIONS)
BY_ID = {op.operation_id: op for op in OPERATIONS}
# Chat completions and responses: each kind's create, its retrieval, and what consumes one.
INCLUDE = (
    "createChatCompletion",
    "getChatCompletion",
    "getChatCompletionMessages",
    "deleteChatCompletion",
    "createResponse",
    "getResponse",
    "cancelResponse",
    "beta_createResponse",
    "beta_cancelResponse",
    "beta_deleteResponse",
    "beta_listInputItems",
    "create-role",
    "retrieve-role",
    "create-project-role",
    "list-project-roles",
)


def test_the_spec_says_which_creates_keep_what_they_make() -> None:
    chat = GRAPH.kinds["/chat/completions"]
    responses = GRAPH.kinds["/responses"]
    # CreateChatCompletionRequest.store defaults to false; CreateResponse.store (a 3.1 union) to true
    assert chat.stored and not chat.stored_by_default and not chat.background
    assert responses.stored and responses.stored_by_default and responses.background
    assert not chat.keeps({"model": "m"}) and not chat.keeps({"store": None}) and chat.keeps({"store": True})
    assert responses.keeps({"model": "m"}) and responses.keeps({"store": None})
    assert not responses.keeps({"store": False})
    files = GRAPH.kinds["/files"]  # no `store` to say otherwise: all it makes is kept
    assert not files.stored and files.keeps({"purpose": "batch"}) and files.keeps(None)


def test_the_beta_paths_consume_their_response_like_the_others() -> None:
    for plain, beta in (("cancelResponse", "beta_cancelResponse"), ("deleteResponse", "beta_deleteResponse")):
        assert GRAPH.consumes(BY_ID[plain]) and GRAPH.consumes(BY_ID[beta]), beta
    assert GRAPH.cancels(BY_ID["cancelResponse"]) and GRAPH.cancels(BY_ID["beta_cancelResponse"])
    assert not GRAPH.cancels(BY_ID["deleteResponse"]) and not GRAPH.cancels(BY_ID["beta_deleteResponse"])
    assert not GRAPH.consumes(BY_ID["beta_getResponse"])
    assert not GRAPH.consumes(BY_ID["beta_listInputItems"])


def test_an_object_two_kinds_answer_names_neither() -> None:
    # organization roles and project roles are both `role`: a project role's id is no organization role's
    assert "role" not in GRAPH.by_object
    assert (
        GRAPH.by_object["response"] == "/responses"
        and GRAPH.by_object["chat.completion"] == "/chat/completions"
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("newest")
    args = ["run", "--spec", "f85dbe2", "--include", ",".join(INCLUDE), "--max-examples", "4"]
    code = main([*args, "--max-boundaries", "6", "--no-probes", "--report-dir", str(folder), "--quiet"])
    assert code == 0
    result: dict[str, Any] = json.loads((folder / "report.json").read_text())
    return result


def _statuses(report: dict[str, Any], operation_id: str) -> dict[str, int]:
    (found,) = [op for op in report["operations"] if op["operation_id"] == operation_id]
    statuses: dict[str, int] = found["statuses"]
    return statuses


def test_only_stored_chat_completions_are_fetched_and_only_background_responses_cancelled(
    report: dict[str, Any],
) -> None:
    # Before: every id came from generated creates, which rarely store (404 only); every cancel named
    # a response that had finished at once (400 only).
    for operation_id in (
        "getChatCompletion",
        "getChatCompletionMessages",
        "cancelResponse",
        "beta_cancelResponse",
    ):
        assert _statuses(report, operation_id).get("200", 0) >= 1, (
            operation_id,
            _statuses(report, operation_id),
        )
    assert "400" not in _statuses(report, "cancelResponse")
    assert _statuses(report, "beta_listInputItems").get("200", 0) >= 1  # not ids a beta delete removed
    assert (
        _statuses(report, "retrieve-role").get("200", 0) >= 1
    )  # an organization role's id, not a project role's
    outcomes = {op["operation_id"]: op["outcome"] for op in report["operations"]}
    assert outcomes == dict.fromkeys(INCLUDE, "passed")
    assert report["summary"]["judged_2xx"] == len(INCLUDE)


def test_the_requests_at_the_chat_boundaries_are_ones_the_api_takes(report: dict[str, Any]) -> None:
    # `max_completion_tokens: 0` is schema-valid but refused (400): every boundary request had it
    assert _statuses(report, "createChatCompletion") == {"200": 4 + 6}
