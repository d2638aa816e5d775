"""A proxy judged beside its upstream (``--upstream``): the test proxy of tests/fakes/proxy.py, with
no rewrite (silent over every operation, streams included) and with each rewrite (its ``proxy.*``
finding and nothing else); deviations of the upstream itself attributed to the upstream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from openai_conformance.server.thread import serve_in_thread
from tests.cli import CliRun, assert_no_secret, run_cli
from tests.fakes.proxy import REWRITES, create_proxy
from tests.hostile.server import closed_port


@contextlib.contextmanager
def proxied(rewrite: str | None = None) -> Iterator[tuple[str, str]]:
    """The test proxy on a free port, forwarding to a port where ``--upstream embedded:PORT`` will
    serve the reference server; yields (the proxy's URL, the ``--upstream`` value)."""
    port = closed_port()
    with serve_in_thread(create_proxy(f"http://127.0.0.1:{port}", rewrite)) as proxy:
        yield proxy, f"embedded:{port}"


def run_through(report_dir: Path, rewrite: str | None, *args: str) -> CliRun:
    with proxied(rewrite) as (proxy, upstream):
        return run_cli(report_dir, "--base-url", proxy, "--upstream", upstream, "--seed", "7", *args)


def test_a_transparent_proxy_shows_no_difference_over_every_operation(tmp_path: Path) -> None:
    run = run_through(tmp_path, None, "--max-examples", "2")
    assert run.code == 0, run.found()
    assert run.violations == []
    assert {op["outcome"] for op in run.operations} == {"passed"}
    assert len(run.operations) > 80
    # Streams were compared too (the proxy split them, added comments and its own field to every chunk).
    streamed = run.operation("createChatCompletion")["streams"]
    assert streamed and all(stream["events"] > 2 for stream in streamed)
    assert not [line for line in run.report["diagnosis"] if "forwarded no request" in line]


@pytest.mark.parametrize("rewrite", sorted(REWRITES))
def test_each_rewrite_is_its_finding_and_nothing_else(tmp_path: Path, rewrite: str) -> None:
    operations, check = REWRITES[rewrite]
    include = [arg for operation in (*operations, "listModels") for arg in ("--include", operation)]
    run = run_through(tmp_path, rewrite, "--max-examples", "2", *include)
    assert set(run.found()) == {check}, run.found()
    assert {op["operation_id"] for op in run.operations if op["violations"]} == set(operations)
    for violation in run.violations:  # regrouped deltas: the content is intact, a warning
        assert violation["severity"] == ("warning" if rewrite == "coalesce" else "error")
        beside = violation["upstream"]
        assert beside is not None, "a proxy finding shows the upstream's answer beside the proxy's"
        assert beside["status"] >= 200 and "curl " in beside["curl"]
        assert beside["curl"] != violation["curl"]
    assert run.code == (0 if rewrite == "coalesce" else 1)


def test_a_valid_request_the_proxy_refuses_is_never_passed(tmp_path: Path) -> None:
    run = run_through(tmp_path, "refuse", "--max-examples", "2", "--include", "listBatches")
    assert run.outcome("listBatches") == "failed"
    (finding,) = run.operation("listBatches")["violations"]
    assert finding["check"] == "proxy.refused" and finding["status"] == 400
    assert finding["upstream"]["status"] == 200


def test_a_dropped_null_is_the_proxy_s_finding_with_both_excerpts(tmp_path: Path) -> None:
    run = run_through(tmp_path, "strip-nulls", "--max-examples", "2", "--include", "createChatCompletion")
    refusal = [v for v in run.violations if v["pointer"].endswith("/message/refusal")]
    assert refusal, run.found()
    finding = refusal[0]
    assert finding["check"] == "proxy.null_dropped" and finding["severity"] == "error"
    assert "schema.body" in finding["message"], "the schema violation it causes is named in it, not apart"
    assert '"refusal": null' in finding["upstream"]["excerpt"]["text"]
    assert '"refusal"' not in finding["excerpt"]["text"].split('"message"', 1)[-1].split("}", 1)[0]
    port = run.report["settings"]["upstream"].partition(":")[2]
    assert f"127.0.0.1:{port}/v1/chat/completions" in finding["upstream"]["curl"], (
        "the address to serve again"
    )
    summary, page = run.files()["summary.md"], run.files()["report.html"]
    assert "The upstream answered 200 to the same request" in summary
    assert "the upstream answered 200:" in run.files()["junit.xml"]
    assert finding["upstream"]["curl"] in summary
    assert "Upstream&#39;s answer · status 200" in page or "Upstream's answer · status 200" in page


@pytest.mark.parametrize(
    ("fault", "operation"),
    [
        ("chat-refusal-missing", "createChatCompletion"),
        ("stream-no-finish", "createChatCompletion"),
        ("unknown-model-400", "createEmbedding"),
        ("models-text-plain", "listModels"),
    ],
)
def test_a_deviation_of_the_upstream_is_the_upstream_s(tmp_path: Path, fault: str, operation: str) -> None:
    run = run_through(tmp_path, None, "--max-examples", "2", "--include", operation, "--fault", fault)
    assert set(run.found()) == {"upstream.violation"}, run.found()
    assert all(v["severity"] == "warning" for v in run.violations)
    assert run.outcome(operation) == "warned" and run.code == 0


def test_an_upstream_url_that_is_not_deterministic_compares_what_is_not_generated(tmp_path: Path) -> None:
    with serve_in_thread(_reference_app()) as upstream:
        with serve_in_thread(create_proxy(upstream)) as proxy:
            args = ("--base-url", proxy, "--upstream", f"{upstream}/v1", "--max-examples", "2")
            clean = run_cli(tmp_path / "clean", *args, "--include", "Chat", "--include", "listModels")
        with serve_in_thread(create_proxy(upstream, "rewrite-value")) as proxy:
            args = ("--base-url", proxy, "--upstream", f"{upstream}/v1", "--max-examples", "2")
            rewritten = run_cli(tmp_path / "rewritten", *args, "--include", "createEmbedding")
    assert clean.code == 0 and clean.violations == [], clean.found()
    assert set(rewritten.found()) == {"proxy.value_changed"}


def test_an_upstream_key_is_never_written(tmp_path: Path) -> None:
    secret = "sk-upstream-0123456789abcdef"
    run = run_through(
        tmp_path,
        "drop-field",
        "--max-examples",
        "1",
        "--include",
        "createChatCompletion",
        "--upstream-api-key",
        secret,
    )
    assert run.violations
    assert_no_secret(run, secret)


def _reference_app() -> Starlette:
    from openai_conformance.openapi.loader import load_contract
    from openai_conformance.server.app import create_app

    return create_app(load_contract(findings=False).document)


def test_an_unreachable_upstream_is_one_line(tmp_path: Path) -> None:
    with serve_in_thread(_reference_app()) as upstream, serve_in_thread(create_proxy(upstream)) as proxy:
        nowhere = f"http://127.0.0.1:{closed_port()}/v1"
        run = run_cli(tmp_path, "--base-url", proxy, "--upstream", nowhere, "--include", "listModels")
    assert run.code == 2
    assert "the upstream" in run.report["fatal"] and "Traceback" not in run.err
    assert len([line for line in run.err.splitlines() if "upstream" in line]) == 1


def _silent_on_embeddings(app: ASGIApp) -> ASGIApp:
    """The app, but a request for embeddings gets no answer within the run's timeout."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/embeddings"):
            await asyncio.sleep(3)
        await app(scope, receive, send)

    return wrapped


def test_an_upstream_that_stops_answering_is_a_finding_not_a_pass(tmp_path: Path) -> None:
    with (
        serve_in_thread(_reference_app()) as target_side,
        serve_in_thread(create_proxy(target_side)) as proxy,
        serve_in_thread(_silent_on_embeddings(_reference_app())) as upstream,
    ):
        args = ("--base-url", proxy, "--upstream", f"{upstream}/v1", "--timeout", "1", "--no-probes")
        run = run_cli(tmp_path, *args, "--max-examples", "1", "--include", "createEmbedding,listModels")
    assert run.outcome("listModels") == "passed"
    assert run.outcome("createEmbedding") == "warned"
    (finding,) = run.operation("createEmbedding")["violations"]
    assert finding["check"] == "upstream.unanswered" and "judged alone" in finding["message"]


def test_state_changing_requests_are_paired_with_the_upstream_s_own_ids(tmp_path: Path) -> None:
    import httpx

    # The proxy and the run share one upstream: what the proxy creates and the run's paired request
    # creates are two resources with two ids, each later request naming the run's own.
    with serve_in_thread(_reference_app()) as upstream, serve_in_thread(create_proxy(upstream)) as proxy:
        for n in range(3):  # a history of its own
            files = {"file": (f"seed-{n}.jsonl", b'{"a": 1}\n')}
            answer = httpx.post(f"{upstream}/v1/files", data={"purpose": "batch"}, files=files)
            assert answer.status_code == 200
        args = ("--base-url", proxy, "--upstream", f"{upstream}/v1", "--max-examples", "2")
        run = run_cli(tmp_path, *args, "--include", "Files")
    assert run.violations == [], run.found()
    created = run.operation("createFile")["statuses"]
    assert created.get("200"), "files were created through the proxy"
    assert run.outcome("retrieveFile") == "passed" and run.outcome("deleteFile") == "passed"


def test_the_embedded_upstream_s_address_is_said_before_the_run(tmp_path: Path) -> None:
    with proxied() as (proxy, upstream):
        args = ("--base-url", proxy, "--upstream", upstream, "--include", "listModels", "--max-examples", "1")
        run = run_cli(tmp_path, *args, quiet=False)
    port = upstream.partition(":")[2]
    said = run.out.splitlines()[0]
    assert f"the reference server on http://127.0.0.1:{port}/v1" in said
    assert f"openai-conformance serve --port {port}" in said
    assert run.code == 0


def test_the_python_api_pairs_as_the_cli_does() -> None:
    from openai_conformance import RunConfig, run

    with proxied("rewrite-value") as (proxy, upstream):
        result = run(
            RunConfig(base_url=proxy, upstream=upstream, include=("createEmbedding",), max_examples=1)
        )
    (operation,) = result.operations
    assert {finding.check for finding in operation.violations} == {"proxy.value_changed"}
    assert all(finding.upstream is not None for finding in operation.violations)


def test_a_scenario_that_breaks_on_the_upstream_s_answers_is_said_not_attributed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai_conformance.runner import compare

    def broken(self: compare.Replay, request: object, *, stream: bool = False) -> object:
        raise RuntimeError("replay broke")

    monkeypatch.setattr(compare.Replay, "send", broken)
    run = run_through(tmp_path, None, "--max-examples", "1", "--include", "createChatCompletion")
    assert run.code == 0, run.found()
    assert run.violations == []  # the proxy's answers are conformant: nothing to blame on anyone
    said = [
        error
        for error in run.operation("createChatCompletion")["errors"]
        if "broke when replayed on the upstream's answers (RuntimeError: replay broke)" in error
    ]
    assert said and all("not attributed" in error for error in said)
