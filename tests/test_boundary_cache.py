"""The requests at the schema boundaries, kept for any seed and number of examples: read back when only
those differ, drawn anew when anything that decides them does, and the very requests drawing gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openai_conformance.generation.cache import BoundaryCache
from openai_conformance.generation.cases import Generator
from openai_conformance.openapi.loader import load_contract
from tests.test_draw_cache import CONTRACT, OPERATIONS, _config, _run


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OPENAI_CONFORMANCE_CACHE", str(folder))
    return folder


def _kept(folder: Path) -> dict[Path, int]:
    """The kept boundary files and when each was written."""
    return {path: path.stat().st_mtime_ns for path in (folder / "boundaries").glob("*/*.pickle")}


class _Boundaries:
    """Counts the operations whose boundaries are looked for (the coverage phase run), or forbids it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, forbidden: bool = False) -> None:
        self.operations: list[str] = []
        original = Generator.boundaries

        def counting(generator: Generator, operation: Any, *, limit: int = 100) -> Any:
            if forbidden:
                raise AssertionError(f"{operation.operation_id}: its boundaries were looked for again")
            self.operations.append(operation.operation_id)
            return original(generator, operation, limit=limit)

        monkeypatch.setattr(Generator, "boundaries", counting)


@pytest.mark.parametrize("change", [{"seed": 5}, {"max_examples": 2}], ids=["seed", "examples"])
def test_another_seed_or_number_of_examples_reads_the_boundaries_back(
    change: dict[str, Any], _own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anew, _ = _run(_config(**change, draw_cache=False))  # what drawing gives, with nothing kept
    first = _Boundaries(monkeypatch)
    _run(_config())
    assert first.operations  # the first run looked for them, and kept them
    kept = _kept(_own_cache)
    assert len(kept) == len(first.operations)
    with monkeypatch.context() as patched:
        _Boundaries(patched, forbidden=True)
        sent, _ = _run(_config(**change))  # its examples drawn anew, its boundaries read back
    assert sent == anew
    assert len(sent) > change.get("max_examples", 5) * len(OPERATIONS)  # boundaries among them


def test_what_decides_the_boundaries_finds_them_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    _run(_config())
    for change in ({"max_boundaries": 2}, {"max_tokens": 3}, {"models": ("chat-b", "embed-b")}):
        looked = _Boundaries(monkeypatch)
        sent, _ = _run(_config(**change, seed=9))
        assert looked.operations, change
        assert sent == _run(_config(**change, seed=9, draw_cache=False))[0]


def test_a_helper_process_reads_them_back_too(_own_cache: Path) -> None:
    _, where = _run(_config(draw_ahead="always"))
    assert where == "in a helper process"
    kept = _kept(_own_cache)
    assert kept
    again, where = _run(_config(draw_ahead="always", seed=5))
    assert where == "in a helper process"
    assert _kept(_own_cache) == kept  # read, not written again
    assert again == _run(_config(seed=5, draw_cache=False))[0]


def test_a_broken_boundary_file_is_found_anew_and_written_again(
    _own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(_config())
    kept = _kept(_own_cache)
    for path in kept:
        path.write_bytes(b"not a pickle")
    looked = _Boundaries(monkeypatch)
    again, _ = _run(_config(seed=5))
    assert len(looked.operations) == len(kept)
    assert again == _run(_config(seed=5, draw_cache=False))[0]
    assert all(path.read_bytes() != b"not a pickle" for path in kept)


def test_the_key_names_what_decides_the_boundaries_and_nothing_else() -> None:
    base = BoundaryCache.for_run(CONTRACT, _config())
    assert base is not None
    same = [_config(seed=1), _config(max_examples=1)]
    assert {cache.folder for c in same if (cache := BoundaryCache.for_run(CONTRACT, c))} == {base.folder}
    others = [_config(max_boundaries=1), _config(max_tokens=3)]
    folders = {cache.folder for c in others if (cache := BoundaryCache.for_run(CONTRACT, c))}
    assert len(folders) == len(others) and base.folder not in folders
    newer = load_contract(pin="f85dbe2", findings=False)
    assert (other := BoundaryCache.for_run(newer, _config())) is not None and other.folder != base.folder
    # none kept where the run sends none, or is told to keep nothing
    for config in (_config(max_boundaries=0), _config(negative=True), _config(draw_cache=False)):
        assert BoundaryCache.for_run(CONTRACT, config) is None
