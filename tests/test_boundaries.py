"""Requests at the boundaries each schema allows: drawn with the coverage phase, within the budget, the
same in every process, and a 5xx on one of them reported with the request and the boundary it hit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openai_conformance.generation.cases import Generator
from openai_conformance.generation.hints import Budget
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import Operation, iter_operations
from tests.cli import run_cli

CONTRACT = load_contract(pin="6b8287f", findings=False)
MODELS = ["chat-a", "chat-b", "embed-c"]


def _operation(operation_id: str) -> Operation:
    return next(op for op in iter_operations(CONTRACT.document) if op.operation_id == operation_id)


def _generator(budget: Budget | None = None) -> Generator:
    return Generator(
        CONTRACT.document, models=MODELS, budget=budget or Budget(), closed=CONTRACT.generation_document
    )


def _bodies(operation_id: str) -> list[dict[str, Any]]:
    return [case.body for case in _generator().boundaries(_operation(operation_id))]


def test_embeddings_get_each_enum_member_and_the_array_limits() -> None:
    bodies = _bodies("createEmbedding")
    assert {body.get("encoding_format") for body in bodies} >= {"float", "base64"}
    sizes = {len(body["input"]) for body in bodies if isinstance(body["input"], list)}
    assert 2048 in sizes  # input at its maxItems
    assert any(body.get("dimensions") == 1 for body in bodies)  # dimensions at its minimum
    assert {body["model"] for body in bodies} == {"embed-c"}  # the target's embedding model


def test_chat_boundaries_stay_within_the_budget_and_are_each_sent_once() -> None:
    budget = Budget(max_tokens=3, n=2)
    cases = _generator(budget).boundaries(_operation("createChatCompletion"))
    bodies = [case.body for case in cases]
    assert len(bodies) >= 30 and all(case.boundary for case in cases)
    assert all((body.get("max_tokens") or 0) <= 3 and (body.get("n") or 1) <= 2 for body in bodies)
    assert any(isinstance(body.get("stop"), list) and len(body["stop"]) == 4 for body in bodies)
    assert {body["model"] for body in bodies} == {"chat-a", "chat-b"}  # the target's chat models, in turn
    keys = [json.dumps(body, sort_keys=True) for body in bodies]
    assert len(keys) == len(set(keys))


def test_boundaries_are_the_same_every_time() -> None:
    first = [
        (case.path, case.body, case.query) for case in _generator().boundaries(_operation("createCompletion"))
    ]
    again = [
        (case.path, case.body, case.query) for case in _generator().boundaries(_operation("createCompletion"))
    ]
    assert first == again and first


def test_query_parameters_get_each_enum_member_too() -> None:
    queries = [case.query for case in _generator().boundaries(_operation("list-audit-logs"))]
    events = {event for query in queries for event in query.get("event_types[]", [])}
    assert {
        "api_key.created",
        "api_key.updated",
        "user.deleted",
    } <= events  # the first, by default, and the rest


def test_a_5xx_at_a_boundary_is_reported_with_the_request(tmp_path: Path) -> None:
    fault = ("--fault", "boundary-server-error", "--include", "createChatCompletion", "--no-probes")
    run = run_cli(tmp_path / "on", *fault, "--max-examples", "1", "--seed", "3")
    assert run.checks() == {"errors.server_error"} and run.code == 1
    found = run.operation("createChatCompletion")["violations"][0]
    assert "a valid request at a boundary of its schema" in found["message"] and found["status"] == 500
    assert '"stop"' in found["curl"] and run.report["settings"]["max_boundaries"] == 100


def test_max_boundaries_bounds_them_and_zero_sends_none(tmp_path: Path) -> None:
    quick = ("--include", "createEmbedding", "--no-probes", "--max-examples", "2")
    without = run_cli(tmp_path / "without", *quick, "--max-boundaries", "0")
    three = run_cli(tmp_path / "three", *quick, "--max-boundaries", "3")
    with_them = run_cli(tmp_path / "with", *quick)
    assert without.operation("createEmbedding")["cases"] == 2
    assert three.operation("createEmbedding")["cases"] == 5
    assert with_them.operation("createEmbedding")["cases"] > 5
    assert without.report["settings"]["max_boundaries"] == 0 and without.code == with_them.code == 0


def test_more_boundaries_than_the_limit_are_spread_over_all_of_them() -> None:
    everything = _generator().boundaries(_operation("createChatCompletion"), limit=10_000)
    ten = _generator().boundaries(_operation("createChatCompletion"), limit=10)
    assert len(ten) == 10 and ten[0] == everything[0]
    positions = [everything.index(case) for case in ten]
    assert positions == sorted(positions) and positions[-1] >= len(everything) * 8 // 10
