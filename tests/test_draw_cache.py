"""Drawn requests kept between runs: read back only when every input is the same, and never a partial or
failed drawing; the very requests drawing gives."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from openai_conformance.config import RunConfig
from openai_conformance.generation import ahead, explore
from openai_conformance.generation.cache import DrawCache
from openai_conformance.generation.request import Drawn, GeneratedCase
from openai_conformance.openapi.loader import load_contract
from openai_conformance.openapi.operations import Operation, iter_operations
from openai_conformance.runner.drawing import CaseSource
from tests.test_draw_ahead import Sent
from tests.test_draw_ahead import _generated as generated
from tests.test_draw_ahead import _run as mocked_run

CONTRACT = load_contract(pin="6b8287f", findings=False)
# A JSON body with a model, multipart, a path parameter, a query: four kinds of kept requests.
OPERATIONS = ("createChatCompletion", "createFile", "retrieveModel", "listFiles")
BY_ID = {op.operation_id: op for op in iter_operations(CONTRACT.document)}
KEPT_NOTE = "read back from the draw cache (as a previous run with the same inputs drew them)"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OPENAI_CONFORMANCE_CACHE", str(folder))
    return folder


def _config(**changes: Any) -> RunConfig:
    config = RunConfig(
        base_url="http://127.0.0.1:1",
        max_examples=5,
        seed=4,
        models=("chat-a", "embed-b"),
        include=OPERATIONS,
        probes=False,
        max_boundaries=3,
        draw_ahead="never",
    )
    return replace(config, **changes)


def _run(config: RunConfig) -> tuple[Sent, str]:
    """The generated requests a run sends (multipart boundaries made equal), and where they came from."""
    feed = ahead.start_feed(CONTRACT, config)
    try:
        sent, run, _ = mocked_run(config, feed)
    finally:
        if feed is not None:
            feed.close()
    return generated(sent), str(run.settings["drawing"])


def _kept_files(folder: Path) -> list[Path]:
    return sorted((folder / "draws").glob("*/*.pickle"))


class _Drawings:
    """Counts the drawings made (explore's calls) and can forbid them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, forbidden: bool = False) -> None:
        self.operations: list[str] = []
        original = explore.explore

        def counting(generator: Any, operation: Operation, *args: Any, **kwargs: Any) -> Drawn:
            if forbidden:
                raise AssertionError(f"{operation.operation_id} was drawn, not read back")
            self.operations.append(operation.operation_id)
            return original(generator, operation, *args, **kwargs)

        monkeypatch.setattr(explore, "explore", counting)


def test_a_second_run_reads_back_the_very_requests_drawing_gives(
    _own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, where = _run(_config())
    assert where == "in this process"
    assert len(_kept_files(_own_cache)) == len(OPERATIONS)  # one file each
    with monkeypatch.context() as patched:
        _Drawings(patched, forbidden=True)
        again, where_again = _run(_config())
    assert where_again == KEPT_NOTE
    assert again == first
    assert len(first) >= len(OPERATIONS) * 5
    anew, where_anew = _run(_config(draw_cache=False))  # what drawing gives, without the cache
    assert where_anew == "in this process"
    assert anew == first


@pytest.mark.parametrize(
    ("change", "drawn_again"),
    [
        ({"seed": 5}, set(OPERATIONS)),
        ({"max_examples": 4}, set(OPERATIONS)),
        ({"max_boundaries": 0}, set(OPERATIONS)),
        (
            {"negative": True},
            {"createChatCompletion", "createFile", "listFiles"},
        ),  # nothing to break in the 3rd
        ({"models": ("chat-b", "embed-b")}, set(OPERATIONS)),  # each is drawn with the chat model
        ({"models": ("chat-a", "embed-c")}, set()),  # no operation of these draws an embedding model
    ],
    ids=["seed", "examples", "boundaries", "negative", "models", "unused-models"],
)
def test_another_input_draws_anew(
    change: dict[str, Any], drawn_again: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(_config())
    drawings = _Drawings(monkeypatch)
    sent, _ = _run(_config(**change))
    assert set(drawings.operations) == drawn_again
    anew, _ = _run(_config(**change, draw_cache=False))
    assert sent == anew


def test_a_broken_kept_file_is_drawn_anew_and_written_again(_own_cache: Path) -> None:
    first, _ = _run(_config())
    files = _kept_files(_own_cache)
    assert files
    for path in files:
        path.write_bytes(b"not a pickle")
    again, where = _run(_config())
    assert where == "in this process"
    assert again == first
    assert all(path.read_bytes() != b"not a pickle" for path in files)
    _, where_then = _run(_config())
    assert where_then == KEPT_NOTE


def test_no_draw_cache_keeps_nothing(_own_cache: Path) -> None:
    _run(_config(draw_cache=False))
    assert not (_own_cache / "draws").exists()


def test_a_cache_folder_that_cannot_be_written_costs_only_the_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("OPENAI_CONFORMANCE_CACHE", str(blocked))
    sent, where = _run(_config())
    assert where == "in this process"
    assert sent == _run(_config(draw_cache=False))[0]


def test_a_drawing_cut_short_or_failed_is_not_kept() -> None:
    config = _config()
    operation = BY_ID["listFiles"]
    source = CaseSource(CONTRACT, config)
    source.begin(list(config.models), [operation])
    cut: list[GeneratedCase] = []
    source.draw(operation, cut.append, should_stop=lambda: True)  # the time budget ran out meanwhile
    assert cut  # (without the requests at the boundaries: nothing more would be sent)
    cache = source.cache
    assert cache is not None and not cache.has(operation)
    cache.write(operation, list(config.models), cut, Drawn(error="cannot generate requests: …"))
    assert not cache.has(operation)
    whole: list[GeneratedCase] = []
    source.draw(operation, whole.append, should_stop=lambda: False)
    assert cache.has(operation) and len(whole) > len(cut)
    kept = cache.read(operation, list(config.models))
    assert kept is not None and list(kept.cases) == whole


def test_the_requests_that_make_resources_are_kept_too(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config()
    create = BY_ID["createFile"]
    first = CaseSource(CONTRACT, config).setup_cases(create, 3)
    assert len(first) == 3
    _Drawings(monkeypatch, forbidden=True)
    assert CaseSource(CONTRACT, config).setup_cases(create, 3) == first


def test_a_helper_starts_only_when_enough_is_left_to_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead, "usable_cpus", lambda: 2)
    include = ("createChatCompletion", "createEmbedding", "listFiles")
    config = _config(draw_ahead="always", max_examples=30, include=include)  # 30 each: a helper pays off
    first, where = _run(config)
    assert where == "in a helper process"
    feed = ahead.start_feed(CONTRACT, config)
    assert feed is not None and not feed.started and feed.pid is None  # everything is kept
    feed.close()
    assert _run(config) == (first, KEPT_NOTE)
    one_left = replace(config, models=("chat-a", "embed-c"))  # createEmbedding's are misses: 30 requests
    sent, where = _run(one_left)
    assert where == "in this process; 2 of 3 operations read back from the draw cache"
    assert sent == _run(replace(one_left, draw_cache=False, draw_ahead="never"))[0]
    two_left = replace(config, models=("chat-b", "embed-b"))  # the chat model's two: 60, the helper starts
    # (createEmbedding's drawing with embed-b is still kept beside the one with embed-c)
    sent, where = _run(two_left)
    assert where == "in a helper process; 1 of 3 operations read back from the draw cache"
    assert sent == _run(replace(two_left, draw_cache=False, draw_ahead="never"))[0]


def test_only_the_newest_settings_are_kept(_own_cache: Path) -> None:
    root = _own_cache / "draws"
    stale = [root / f"{index:032x}" for index in range(20)]
    for number, folder in enumerate(stale):
        folder.mkdir(parents=True)
        (folder / "x.pickle").write_bytes(b"")
        os.utime(folder, (1_000_000 + number, 1_000_000 + number))
    foreign = root / "not-ours"
    foreign.mkdir()
    _run(_config())
    ours = [path for path in root.iterdir() if path.name != "not-ours"]
    assert len(ours) == 8
    assert all(folder.exists() for folder in stale[-7:])  # the newest 7, and this run's
    assert not any(folder.exists() for folder in stale[:13])
    assert foreign.exists()  # not a folder this cache wrote: left alone


def test_the_key_names_every_input() -> None:
    base = DrawCache.for_run(CONTRACT, _config())
    assert base is not None
    assert DrawCache.for_run(CONTRACT, _config(draw_cache=False)) is None
    others = [
        _config(seed=1),
        _config(max_examples=1),
        _config(max_boundaries=1),
        _config(negative=True),
        _config(max_tokens=3),
    ]
    folders = {base.folder} | {cache.folder for c in others if (cache := DrawCache.for_run(CONTRACT, c))}
    assert len(folders) == len(others) + 1
    newer = load_contract(pin="f85dbe2", findings=False)
    assert (other := DrawCache.for_run(newer, _config())) is not None and other.folder != base.folder
