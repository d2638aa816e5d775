"""The newer spec (f85dbe2, OpenAPI 3.1): a large Responses answer, a long Responses stream, and a run.

What it measures, on the overlaid contract of pin f85dbe2:

1. **a large Responses answer** (``POST /responses`` → ``Response``, about 300 KB: 60 messages of
   ~4 KB text with annotations, 20 function calls, 24 declared tools), valid and with one fault at
   its very end: plain openapi-core with one warm ``OpenAPI`` object (the baseline) against
   ``SchemaValidator.check`` (the fast path first); ms per validation, the ratio, and both verdicts;
2. **a long Responses stream** (2,000 ``response.output_text.delta`` events, with the item and part
   events around them and ``response.created``/``completed`` carrying the response), each event
   judged against the member of ``ResponseStreamEvent`` its type names: the OpenAPI 3.1 validator
   alone (openapi-schema-validator, what openapi-core validates with) against the fast path first;
   ms per stream, the ratio, and the verdicts on the valid stream and on one with a broken event;
3. **a run over f85dbe2's Chat and Responses operations** against the reference server, side by side
   with ``st run`` on the same operations, examples and seed (``--phases fuzzing --mode positive``,
   the same overlaid spec): cases/s by wall time, start-up included, best of the repeats, and the
   ratio; ours with ``--no-probes`` (generated requests only, as st's fuzzing phase sends) twice: with
   ``--no-draw-cache`` (every request drawn anew, as a first run draws them) and as a repeated run
   (the requests read back from the draw cache the untimed warm-up run filled: generation/cache.py),
   and a third time with another seed each repeat ("another seed": its examples drawn anew, the
   requests at the schema boundaries, which no seed decides, read back); and once more with its scenarios and workflows on, beside st with every phase of its default run
   (examples, coverage, fuzzing, stateful). st has no such cache: it draws anew on every run.

Targets (from the issue): the fast path gives openapi-core's verdicts on both; the run is at least 4x
st's cases/s by wall time (judged both for a repeated run and for a first one).

Run: ``.venv/bin/python benchmarks/bench_responses.py [--quick] [--repeats N] [--examples N]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench_end_to_end import KEY, ToolRun, bench_env, find_st, print_targets, run_ours, run_st
from bench_validation import Answer, Ours, Plain, fmt_ms, measure

from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import iter_operations
from openai_conformance.server.app import create_app
from openai_conformance.server.thread import serve_in_thread
from openai_conformance.validation.event_schema import EventUnion, SchemaSet

PIN = "f85dbe2"
TAGS = ("Chat", "Responses")
TARGET_RUN_RATIO = 4.0
_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "the",
    "lazy",
    "dog",
    "and",
    "keeps",
    "running",
    "through",
    "the",
    "field",
]


def _text(n: int, words: int) -> str:
    return " ".join(_WORDS[(n + i) % len(_WORDS)] for i in range(words))


def _tool(n: int) -> dict[str, Any]:
    parameters = {
        "type": "object",
        "properties": {f"p{i}": {"type": "string"} for i in range(6)},
        "required": ["p0"],
    }
    return {
        "type": "function",
        "name": f"tool_{n}",
        "strict": True,
        "parameters": parameters,
        "description": _text(n, 12),
    }


def large_response(valid: bool) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    for n in range(80):
        if n % 4 == 3:
            arguments = json.dumps({"p0": _text(n, 20)})
            output.append(
                {
                    "type": "function_call",
                    "id": f"fc_{n}",
                    "call_id": f"call_{n}",
                    "name": f"tool_{n % 24}",
                    "arguments": arguments,
                    "status": "completed",
                }
            )
            continue
        annotations = [
            {
                "type": "url_citation",
                "url": f"https://example.com/{n}/{i}",
                "title": f"Source {i}",
                "start_index": i * 10,
                "end_index": i * 10 + 5,
            }
            for i in range(4)
        ]
        part = {"type": "output_text", "text": _text(n, 700), "annotations": annotations, "logprobs": []}
        output.append(
            {
                "type": "message",
                "id": f"msg_{n}",
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    # The fields of f85dbe2's example answer, as large as a long answer with tools makes them.
    body: dict[str, Any] = dict.fromkeys(
        ("error", "incomplete_details", "max_output_tokens", "previous_response_id")
    )
    body.update(id="resp_bench", object="response", created_at=1741476542, completed_at=1741476543)
    body.update(status="completed", instructions="Be thorough.", model="gpt-4.1", output=output, metadata={})
    body.update(parallel_tool_calls=True, store=True, temperature=1.0, top_p=1.0, truncation="disabled")
    body.update(reasoning={"effort": None, "summary": None}, text={"format": {"type": "text"}}, user=None)
    body.update(tool_choice="auto", tools=[_tool(n) for n in range(24)])
    details = {"input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}}
    outputs = {"output_tokens_details": {"reasoning_tokens": 0}}
    body["usage"] = {"input_tokens": 900, **details, "output_tokens": 40000, **outputs, "total_tokens": 40900}
    if not valid:  # a fault in the last message: the whole answer must be read
        last = [item for item in output if item["type"] == "message"][-1]
        last["content"][0]["annotations"][-1]["end_index"] = "five"
    return body


def long_stream(deltas: int, valid: bool) -> list[dict[str, Any]]:
    """(type, event) of a stream of one message streamed in ``deltas`` pieces."""
    pieces = [f" {_WORDS[i % len(_WORDS)]}" for i in range(deltas)]
    part = {"type": "output_text", "text": "".join(pieces), "annotations": []}
    item = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [part]}
    final = large_response(True)
    final["output"] = [item]
    opening = {
        **copy.deepcopy(final),
        "status": "in_progress",
        "output": [],
        "usage": None,
        "completed_at": None,
    }
    at = {"item_id": "msg_1", "output_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": opening},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        },
        {"type": "response.content_part.added", **at, "content_index": 0, "part": {**part, "text": ""}},
    ]
    events += [
        {"type": "response.output_text.delta", **at, "content_index": 0, "delta": p, "logprobs": []}
        for p in pieces
    ]
    events += [
        {"type": "response.output_text.done", **at, "content_index": 0, "text": part["text"], "logprobs": []},
        {"type": "response.content_part.done", **at, "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": final},
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    if not valid:
        events[deltas // 2]["delta"] = 7  # one broken delta midway
    return events


def _judge_stream(union: EventUnion, events: list[dict[str, Any]]) -> bool:
    return not any(list(union.validate(event["type"], event)) for event in events)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="short batches, one repeat of the run, 3 examples (< 60 s)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="batches per measurement, runs per tool (5 and 3; quick: 3 and 1)",
    )
    parser.add_argument(
        "--examples", type=int, default=None, help="examples per operation in the run (10; quick: 3)"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    runs = args.repeats or (1 if args.quick else 3)
    examples = args.examples or (3 if args.quick else 10)
    batch = 0.05 if args.quick else 0.25
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="oc-bench-responses-"))
    env = bench_env(work)
    contract = load_contract(pin=PIN, findings=False)
    print(
        f"contract: {contract.title}, pin {PIN} (OpenAPI {contract.document.get('openapi')}); repeats={repeats}"
    )
    rows: list[tuple[str, str, bool | None]] = []  # None: shown, not judged

    # -- 1. a large Responses answer ----------------------------------------------------------------
    warm, ours = Plain(contract, warm=True), Ours(contract)
    answers = {
        valid: Answer("Response", "POST", "/responses", 200, json.dumps(large_response(valid)).encode())
        for valid in (True, False)
    }
    print(
        f"\n1. a large Responses answer ({len(answers[True].body) // 1024} KB): ms per validation (best; median)"
    )
    for valid, answer in answers.items():
        exchange = Ours.exchange(answer)
        t_warm = measure(partial(warm.verdict, answer), repeats=repeats, batch_seconds=batch, max_loops=1000)
        t_ours = measure(
            partial(ours.verdict_of, exchange), repeats=repeats, batch_seconds=batch, max_loops=1000
        )
        same = warm.verdict(answer) == ours.verdict_of(exchange) == valid
        print(
            f"   {'valid' if valid else 'invalid':<8} openapi-core {fmt_ms(t_warm.best_ms)} ({t_warm.median_ms:.2f})"
            f" | ours {fmt_ms(t_ours.best_ms)} ({t_ours.median_ms:.2f}) | {t_warm.best_ms / t_ours.best_ms:6.1f}x"
            f" | verdicts: openapi-core {warm.verdict(answer)}, ours {ours.verdict_of(exchange)}"
        )
        rows.append(
            (
                f"large answer ({'valid' if valid else 'invalid'}): same verdict as openapi-core",
                str(same),
                same,
            )
        )

    # -- 2. a long Responses stream --------------------------------------------------------------------
    deltas = 500 if args.quick else 2000
    fast = EventUnion.of(SchemaSet(contract.document), "ResponseStreamEvent")
    plain = EventUnion.of(SchemaSet(contract.document, fast=False), "ResponseStreamEvent")
    print(
        f"\n2. a Responses stream of {deltas + 7} events: ms per stream, each event against its member (best; median)"
    )
    for valid in (True, False):
        events = long_stream(deltas, valid)
        t_plain = measure(
            partial(_judge_stream, plain, events), repeats=repeats, batch_seconds=batch, max_loops=100
        )
        t_fast = measure(
            partial(_judge_stream, fast, events), repeats=repeats, batch_seconds=batch, max_loops=100
        )
        verdicts = (_judge_stream(plain, events), _judge_stream(fast, events))
        same = verdicts[0] == verdicts[1] == valid
        print(
            f"   {'valid' if valid else 'invalid':<8} OAS 3.1 validator {fmt_ms(t_plain.best_ms)} ({t_plain.median_ms:.2f})"
            f" | ours {fmt_ms(t_fast.best_ms)} ({t_fast.median_ms:.2f}) | {t_plain.best_ms / t_fast.best_ms:6.1f}x"
            f" | verdicts: plain {verdicts[0]}, ours {verdicts[1]}"
        )
        rows.append(
            (
                f"stream ({'valid' if valid else 'invalid'}): same verdict as the OAS 3.1 validator",
                str(same),
                same,
            )
        )

    # -- 3. a run over Chat and Responses ------------------------------------------------------------------
    operations = [op.operation_id for op in iter_operations(contract.document) if set(op.tags) & set(TAGS)]
    spec_file = work / "openapi-overlaid.json"
    spec_file.write_text(json.dumps(contract.document, default=str), encoding="utf-8")  # YAML dates
    st = find_st()
    spec = ["--spec", PIN]  # the subprocesses run on the same pin
    print(
        f"\n3. {len(operations)} operations (tags {', '.join(TAGS)}) × {examples} examples, seed 0, the reference server"
    )
    ours_runs: list[ToolRun] = []  # repeated runs: the requests read back from the draw cache
    cold_runs: list[ToolRun] = []  # first runs: every request drawn anew
    seed_runs: list[ToolRun] = []  # another seed: the examples drawn anew, the boundaries read back
    full_runs: list[ToolRun] = []
    st_runs: list[ToolRun] = []
    st_all_runs: list[ToolRun] = []  # st with its default phases (examples, coverage, fuzzing, stateful)
    generated = ["--no-probes", *spec]
    with serve_in_thread(create_app(contract.document, api_key=KEY)) as server:
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        base_url = server + "/v1"
        run_ours(base_url, operations, 1, work, env, generated)  # untimed warm-up of each tool
        run_ours(base_url, operations, examples, work, env, generated)  # (this one fills the draw cache)
        run_ours(base_url, operations, examples, work, env, spec)
        run_st(st, spec_file, base_url, operations, 1, work, env)
        for index in range(runs):
            order = ("ours", "cold", "seed", "st") if index % 2 == 0 else ("st", "seed", "cold", "ours")
            for tool in order:  # (alternating)
                if tool == "ours":
                    ours_runs.append(run_ours(base_url, operations, examples, work, env, generated))
                elif tool == "seed":
                    another = [*generated, "--seed", str(101 + index)]  # (the last --seed counts)
                    seed_runs.append(run_ours(base_url, operations, examples, work, env, another))
                elif tool == "cold":
                    cold_runs.append(
                        run_ours(base_url, operations, examples, work, env, [*generated, "--no-draw-cache"])
                    )
                else:
                    st_runs.append(run_st(st, spec_file, base_url, operations, examples, work, env))
            full_runs.append(run_ours(base_url, operations, examples, work, env, spec))
            phases = "examples,coverage,fuzzing,stateful"
            st_all_runs.append(
                run_st(st, spec_file, base_url, operations, examples, work, env, phases=phases)
            )
            print(
                f"   run {index + 1}: ours, repeated {ours_runs[-1].cases} cases in {ours_runs[-1].wall:.2f} s"
                f" = {ours_runs[-1].rate:.1f}/s | ours, drawn anew {cold_runs[-1].cases} cases in"
                f" {cold_runs[-1].wall:.2f} s = {cold_runs[-1].rate:.1f}/s"
                f" | ours, another seed {seed_runs[-1].cases} cases in {seed_runs[-1].wall:.2f} s"
                f" = {seed_runs[-1].rate:.1f}/s"
                f" | st {st_runs[-1].cases} cases in {st_runs[-1].wall:.2f} s = {st_runs[-1].rate:.1f}/s"
                f"\n          ours with scenarios, repeated {full_runs[-1].cases} cases in {full_runs[-1].wall:.2f} s"
                f" = {full_runs[-1].rate:.1f}/s | st, every phase: {st_all_runs[-1].cases} cases in"
                f" {st_all_runs[-1].wall:.2f} s = {st_all_runs[-1].rate:.1f}/s"
            )
    st_best = max(r.rate for r in st_runs)
    st_median = statistics.median(r.rate for r in st_runs)
    ratios = {
        "repeated": (
            max(r.rate for r in ours_runs) / st_best,
            statistics.median(r.rate for r in ours_runs) / st_median,
        ),
        "drawn anew": (
            max(r.rate for r in cold_runs) / st_best,
            statistics.median(r.rate for r in cold_runs) / st_median,
        ),
        "another seed": (
            max(r.rate for r in seed_runs) / st_best,
            statistics.median(r.rate for r in seed_runs) / st_median,
        ),
    }
    with_scenarios = max(r.rate for r in full_runs) / st_best
    every_phase = max(r.rate for r in full_runs) / max(r.rate for r in st_all_runs)
    for label, (best, median) in ratios.items():
        print(f"   cases/s, wall, ours ({label})/st: best {best:.2f}x, median {median:.2f}x")
    print(
        f"   ours with its scenarios (repeated)/st {with_scenarios:.2f}x;"
        f" each tool's whole run (ours with scenarios, st with every phase) {every_phase:.2f}x"
    )
    note = " (quick: not judged)" if args.quick else ""
    for label, (best, median) in ratios.items():
        for kind, ratio in (("best", best), ("median", median)):
            rows.append(
                (
                    f"run, {label}, ≥ {TARGET_RUN_RATIO:g}x st's cases/s (wall, {kind}){note}",
                    f"{ratio:.2f}x",
                    None if args.quick else ratio >= TARGET_RUN_RATIO,
                )
            )

    print("\ntargets:")
    print_targets(rows, 66)
    shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
