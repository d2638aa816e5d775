"""Differential test: the fast body check never changes a verdict of plain openapi-core.

The corpus, on both pinned specs (OpenAPI 3.0 and 3.1): every operation's answers from the reference
server (generated requests, probes and scenarios, streams included), and for each JSON body a set of
mutants (a field dropped, retyped, nulled, a float for an integer, an unknown enum value). Each is
judged with and without the fast path; the violations must be identical, to the message. The events
of the streams are held to their validators the same way: chat chunks, and on f85dbe2 every typed
event (Responses, speech, transcriptions, images) against the member of its union.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from openai_conformance.config import RunConfig
from openai_conformance.openapi.loader import Contract, load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.runner import Runner, embedded_target
from openai_conformance.transport.exchange import Exchange
from openai_conformance.transport.sse import events_of
from openai_conformance.validation.event_schema import EventUnion, SchemaSet
from openai_conformance.validation.fast import FastBodies, responses_of
from openai_conformance.validation.schema import SchemaValidator
from openai_conformance.validation.stream import create_chunk_validator
from openai_conformance.validation.stream_kinds import stream_kinds

_REPLACEMENTS: list[Any] = [None, 1.5, "x", 7, True, [], {}, "not-an-enum-value"]


# How many operations answer JSON in each pin's corpus, and how many of their verdicts are at least
# valid and invalid (the corpus must exercise both sides of every validator).
_FLOORS = {"6b8287f": (85, 150, 300), "f85dbe2": (230, 400, 800)}


@pytest.fixture(scope="module", params=["6b8287f", pytest.param("f85dbe2", marks=pytest.mark.slow)])
def contract(request: pytest.FixtureRequest) -> Contract:
    return load_contract(pin=str(request.param), findings=False)


@pytest.fixture(scope="module")
def corpus(contract: Contract) -> list[Exchange]:
    exchanges: list[Exchange] = []
    with embedded_target(contract, api_key=None) as base_url:
        engine = Runner(contract, RunConfig(max_examples=3, seed=11), base_url)
        send = engine.transport.send

        def recording_send(request: Any, *, stream: bool = False) -> Exchange:
            exchange = send(request, stream=stream)
            if "openai-conformance-no-such-route" not in request.url:  # not an operation of the spec
                exchanges.append(exchange)
            return exchange

        engine.transport.send = recording_send  # type: ignore[method-assign]
        engine.collect()
        engine.close()
    return exchanges


def _pin(contract: Contract) -> str:
    pin = contract.source.pin
    return pin.name if pin is not None else ""


def _positions(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _positions(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            yield from _positions(item, (*path, index))


def _mutants(body: Any, rng: random.Random, count: int = 4) -> Iterator[Any]:
    positions = [p for p in _positions(body) if p]
    for _ in range(min(count, len(positions))):
        path = rng.choice(positions)
        mutant = copy.deepcopy(body)
        parent = mutant
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[path[-1]]
        else:
            original = parent[path[-1]]
            parent[path[-1]] = (
                float(original)
                if isinstance(original, int) and not isinstance(original, bool)
                else rng.choice(_REPLACEMENTS)
            )
        yield mutant


def _with_body(exchange: Exchange, body: Any) -> Exchange:
    return Exchange(
        exchange.request, exchange.status, exchange.headers, json.dumps(body).encode(), exchange.elapsed
    )


def test_fast_path_verdicts_equal_openapi_core(contract: Contract, corpus: list[Exchange]) -> None:
    fast, plain = SchemaValidator(contract), SchemaValidator(contract, fast=False)
    rng = random.Random(5)
    verdicts = {"valid": 0, "invalid": 0}
    operations = set()
    for exchange in corpus:
        if exchange.content_type != "application/json":
            continue
        try:
            body = exchange.json()
        except ValueError:
            continue
        operations.add((exchange.request.method, exchange.request.path_template))
        for candidate in (exchange, *(_with_body(exchange, m) for m in _mutants(body, rng))):
            expected = list(plain.check(candidate))
            assert list(fast.check(candidate)) == expected, (
                candidate.request.path_template,
                candidate.body[:300],
            )
            verdicts["invalid" if expected else "valid"] += 1
    floor_operations, floor_valid, floor_invalid = _FLOORS[_pin(contract)]
    assert len(operations) >= floor_operations  # every operation that answers JSON took part
    assert verdicts["valid"] >= floor_valid and verdicts["invalid"] >= floor_invalid, verdicts


def test_fast_path_chunk_verdicts_equal_the_plain_validator(
    contract: Contract, corpus: list[Exchange]
) -> None:
    fast = create_chunk_validator(contract.document, "chat")
    plain = create_chunk_validator(contract.document, "chat", fast=False)
    rng = random.Random(9)
    chunks = []
    for exchange in corpus:
        if (
            exchange.request.path_template == "/chat/completions"
            and exchange.content_type == "text/event-stream"
        ):
            events, _ = events_of(exchange)
            chunks += [json.loads(e.data) for e in events if e.data.startswith("{")]
    assert len(chunks) >= 10
    judged = {"valid": 0, "invalid": 0}
    for chunk in chunks:
        for candidate in (chunk, *_mutants(chunk, rng, 6)):
            expected = list(plain(candidate))
            assert list(fast(candidate)) == expected, candidate
            judged["invalid" if expected else "valid"] += 1
    assert judged["valid"] >= 10 and judged["invalid"] >= 20, judged


def test_fast_path_event_verdicts_equal_the_plain_validator(
    contract: Contract, corpus: list[Exchange]
) -> None:
    kinds = {k.schema: k for k in stream_kinds(contract.document).values() if k.typed}
    if not kinds:
        pytest.skip(f"{_pin(contract)} declares no typed event stream")
    fast_set, plain_set = SchemaSet(contract.document), SchemaSet(contract.document, fast=False)
    by_path = {k.operation_id: k for k in kinds.values()}
    templates = {op.operation_id: op.path for op in iter_operations(contract.document)}
    unions = {
        templates[op]: (EventUnion.of(fast_set, k.schema), EventUnion.of(plain_set, k.schema))
        for op, k in by_path.items()
        if op in templates
    }
    rng = random.Random(13)
    judged = {"valid": 0, "invalid": 0}
    types: set[str] = set()
    for exchange in corpus:
        pair = unions.get(exchange.request.path_template)
        if pair is None or exchange.content_type != "text/event-stream":
            continue
        fast, plain = pair
        for event in events_of(exchange)[0]:
            value = json.loads(event.data)
            kind = value.get("type")
            if kind not in fast.members:
                continue
            types.add(kind)
            for candidate in (value, *_mutants(value, rng, 4)):
                expected = list(plain.validate(kind, candidate))
                assert list(fast.validate(kind, candidate)) == expected, candidate
                judged["invalid" if expected else "valid"] += 1
    assert {
        "response.created",
        "response.output_text.delta",
        "response.completed",
        "speech.audio.delta",
    } <= types
    assert judged["valid"] >= 100 and judged["invalid"] >= 200, judged


def test_the_fast_path_covers_the_success_answers_of_both_pins() -> None:
    """Every 2xx JSON answer gets a fast validator, on 3.0 and 3.1, but those whose schema is no valid
    2020-12 schema (f85dbe2's fine-tuning job: a 3.0 boolean exclusiveMinimum under 3.1, a spec finding)."""
    for pin, uncovered in (("6b8287f", set()), ("f85dbe2", {"/fine_tuning/jobs"})):
        document = load_contract(pin=pin, findings=False).document
        fast = FastBodies(document)
        answers = [
            (method, path, int(status), media)
            for (method, path), declared in responses_of(document).items()
            for status, response in declared.items()
            if status.startswith("2") and isinstance(response, dict)
            for media in response.get("content") or {}
            if media == "application/json"
        ]
        missed = {(m, p) for m, p, status, media in answers if fast.validator(m, p, status, media) is None}
        assert {path for _, path in missed if not path.startswith(tuple(uncovered))} == set(), pin
        assert len(answers) - len(missed) >= (93 if pin == "6b8287f" else 271), (pin, len(missed))
