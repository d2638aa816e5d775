"""LiteLLM, the most used OpenAI gateway, in front of the reference server (``--upstream embedded``):
what it changes is found, each difference the proxy's, none of the upstream's.

LiteLLM is installed by ``.ci/install-litellm`` (pinned; ``tox -e litellm``); when it is not, the test
skips and says so. Each difference asserted is beside why it is the proxy's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.hostile.server import closed_port
from tests.real.servers import LITELLM

CHAT, COMPLETION, EMBEDDING = "createChatCompletion", "createCompletion", "createEmbedding"

#: model name → LiteLLM's provider route to the upstream
_MODELS = {
    "gpt-4o-mini": "openai/gpt-4o-mini",
    "gpt-3.5-turbo-instruct": "text-completion-openai/gpt-3.5-turbo-instruct",
    "text-embedding-3-small": "openai/text-embedding-3-small",
    "omni-moderation-latest": "openai/omni-moderation-latest",
}

# (operation, check, pointer) of differences LiteLLM 1.99.4 makes, each checked against the
# reference server's answer to the same request.
TRUE_DIFFERENCES = {
    # `message.refusal: null` (required, nullable) is left out.
    (CHAT, "proxy.null_dropped", "/choices/0/message/refusal"),
    # Stream chunks lose `finish_reason: null` (required, nullable, in every chunk).
    (CHAT, "proxy.null_dropped", "/events/0/choices/0/finish_reason"),
    # An unknown model: 404 model_not_found upstream, 400 through the proxy.
    (CHAT, "proxy.status", ""),
    (EMBEDDING, "proxy.status", ""),
    # include_usage: the usage chunk comes with a choice instead of `choices: []`.
    (CHAT, "proxy.stream_usage", "/events/8/choices"),
    # Two prompts × n 2: four choices upstream, two through the proxy.
    (COMPLETION, "proxy.field_dropped", "/choices/2"),
}


def _folded(pointer: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/*", pointer)


def _config(upstream_port: int) -> str:
    entries = [
        f"  - model_name: {name}\n"
        f"    litellm_params: {{model: {route}, api_base: 'http://127.0.0.1:{upstream_port}/v1', api_key: sk-none}}"
        for name, route in _MODELS.items()
    ]
    return "model_list:\n" + "\n".join(entries) + "\n"


@pytest.mark.slow
def test_litellm_in_front_of_the_reference_server(tmp_path: Path) -> None:
    missing = LITELLM.missing()
    if missing is not None:
        pytest.skip(missing)
    port = closed_port()
    (tmp_path / "litellm.yaml").write_text(_config(port))
    include = ("--include", "Chat,Completions,Embeddings,Moderations")
    with LITELLM.running(tmp_path) as url:
        run = run_cli(
            tmp_path / "reports",
            "--base-url",
            url,
            "--upstream",
            f"embedded:{port}",
            *include,
            "--max-examples",
            "2",
            "--seed",
            "7",
        )
    # One finding per defect: array indices are folded (Finding.key), the reproduction kept is the
    # smallest request that shows it.
    found = {
        (op["operation_id"], v["check"], _folded(v["pointer"]))
        for op in run.operations
        for v in op["violations"]
    }
    expected = {(operation, check, _folded(pointer)) for operation, check, pointer in TRUE_DIFFERENCES}
    assert found >= expected, sorted(expected - found)
    # Every finding is the proxy's: the reference server keeps to the contract.
    assert not [finding for finding in found if finding[1].startswith("upstream.")], sorted(found)
    assert not [line for line in run.report["diagnosis"] if "forwarded no request" in line]
    assert run.code == 1
