"""Drawn requests kept between runs (a light module: no schemathesis, no hypothesis).

The same contract, drawing settings and seed draw the very same requests, in any process and folder
(tests/test_draw_ahead.py holds that). So an operation's requests, once drawn completely, are kept in
the cache folder, and a later run with the same inputs reads them back instead of drawing them again:
drawing from the largest request schemas is most of a run's time, and runs on every change, against
several targets or nightly repeat the same drawing.

What decides the requests, and so names a kept drawing: the spec's sha256 and the overlays applied,
the contract's corrections (their format), this package's drawing code (the sources of
``openai_conformance.generation``), the versions of schemathesis and hypothesis, the run's drawing
settings (``--negative``, ``--max-examples``, ``--seed``, ``--max-boundaries``, the size budget), the
operation, and the target's models that suit it (one file for each set of models drawn with). Any
difference is a miss, and the requests are drawn as ever. A drawing cut short (the time budget, Ctrl-C)
or one that met an error is not kept. ``--no-draw-cache`` draws everything anew.

The requests at an operation's schema boundaries (``--max-boundaries``) are kept apart as well: the
coverage phase that finds them draws with a fixed seed of its own, so they depend on neither
``--seed`` nor ``--max-examples``, and a run with another seed or number of examples reads them back
(:class:`BoundaryCache`) while drawing its own examples anew. Their inputs are the others but those two.

The cache folder is the user's own (like the spec and contract kept there): a kept file that does not
read back is ignored and written anew; a folder that cannot be written costs the drawing, nothing more.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import shutil
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openai_conformance.generation.models import models_for
from openai_conformance.generation.request import Drawn, GeneratedCase
from openai_conformance.openapi.operations import Operation

if TYPE_CHECKING:
    from openai_conformance.config import RunConfig
    from openai_conformance.openapi.loader import Contract

__all__ = ["BoundaryCache", "DrawCache", "Kept"]

_FORMAT = 1  # of the kept files: bump when what they hold changes
_KEPT_RUNS = 8  # drawing settings kept at once; the least recently used beyond that are removed
_FOLDER = "draws"
_BOUNDARIES_FOLDER = "boundaries"


@dataclasses.dataclass(frozen=True, slots=True)
class Kept:
    """An operation's requests as a previous run drew them, and how that drawing ended."""

    cases: tuple[GeneratedCase, ...]
    drawn: Drawn


class _Folder:
    """A folder of kept files, one per operation and drawing; writing the first one prunes its
    neighbours (the folders of older settings)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._touched = False

    def _file(self, operation: Operation, drawing: object) -> Path:
        name = hashlib.sha256(json.dumps(drawing).encode()).hexdigest()[:16]
        return self.folder / f"{_name(operation)}.{name}.pickle"

    def _keep(self, path: Path, data: dict[str, Any]) -> None:
        if _store(path, data) and not self._touched:
            self._touched = True
            _prune(path.parent.parent, keep=path.parent)


class DrawCache(_Folder):
    """The kept drawings of one run's settings: one file per operation and models."""

    @classmethod
    def for_run(cls, contract: Contract, config: RunConfig) -> DrawCache | None:
        """The cache of this run's drawing inputs, or None when ``--no-draw-cache`` says so."""
        if not config.draw_cache:
            return None
        inputs = _inputs(contract, config)
        inputs.update(negative=config.negative, examples=config.max_examples, seed=config.seed)
        return cls(_folder(_FOLDER, inputs))

    def has(self, operation: Operation) -> bool:
        """Whether a drawing of ``operation`` is kept, for any models (those of the target are not known
        yet when this is asked)."""
        try:
            return any(self.folder.glob(f"{_name(operation)}.*.pickle"))
        except OSError:
            return False

    def read(self, operation: Operation, models: list[str], *, purpose: str = "") -> Kept | None:
        """The kept drawing of ``operation`` with these models, or None (a miss). ``purpose``: a drawing
        other than the run's own requests (the requests that make a resource, ``"setup 3"``)."""
        fit = models_for(operation.operation_id, models)
        data = _load(self._path(operation, fit, purpose), fit)
        if data is None or not isinstance(data.get("drawn"), Drawn):
            return None
        return Kept(data["cases"], data["drawn"])

    def write(
        self,
        operation: Operation,
        models: list[str],
        cases: list[GeneratedCase],
        drawn: Drawn,
        *,
        purpose: str = "",
    ) -> None:
        """Keep a complete, error-free drawing of ``operation``."""
        if drawn.error is not None or drawn.fatal:
            return
        fit = models_for(operation.operation_id, models)
        self._keep(self._path(operation, fit, purpose), {"models": fit, "cases": cases, "drawn": drawn})

    def _path(self, operation: Operation, models: list[str], purpose: str) -> Path:
        return self._file(operation, [models, purpose])


class BoundaryCache(_Folder):
    """The requests at each operation's schema boundaries, kept for any seed and number of examples."""

    @classmethod
    def for_run(cls, contract: Contract, config: RunConfig) -> BoundaryCache | None:
        """The boundaries kept for this run's inputs; None with ``--no-draw-cache``, or when the run
        sends none (``--max-boundaries 0``, ``--negative``)."""
        if not config.draw_cache or not config.max_boundaries or config.negative:
            return None
        return cls(_folder(_BOUNDARIES_FOLDER, _inputs(contract, config)))

    def read(self, operation: Operation, models: list[str]) -> list[GeneratedCase] | None:
        """The kept requests at ``operation``'s boundaries with these (suitable) models, or None."""
        data = _load(self._path(operation, models), models)
        return None if data is None else list(data["cases"])

    def write(self, operation: Operation, models: list[str], cases: list[GeneratedCase]) -> None:
        """Keep the requests at ``operation``'s boundaries, as the coverage phase found them."""
        self._keep(self._path(operation, models), {"models": models, "cases": cases})

    def _path(self, operation: Operation, models: list[str]) -> Path:
        return self._file(operation, models)


def _inputs(contract: Contract, config: RunConfig) -> dict[str, object]:
    """What decides both the drawn requests and those at the boundaries."""
    from openai_conformance.openapi.loader import CONTRACT_FORMAT, overlays_digest

    return {
        "format": _FORMAT,
        "spec": contract.source.sha256,
        "overlays": overlays_digest(contract.overlays),
        "contract": CONTRACT_FORMAT,
        "code": _code_digest(),
        "libraries": [_version("schemathesis"), _version("hypothesis")],
        "boundaries": config.max_boundaries,
        "budget": dataclasses.asdict(config.budget),
    }


def _folder(kind: str, inputs: dict[str, object]) -> Path:
    from openai_conformance.openapi.sources import cache_dir

    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:32]
    return cache_dir() / kind / key


def _load(path: Path, models: list[str]) -> dict[str, Any] | None:
    """A kept file's data, or None when it is absent, unreadable, of another format or other models."""
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
        if data["format"] != _FORMAT or data["models"] != models:
            return None
        data["cases"] = tuple(data["cases"])
    except Exception:  # absent, unreadable, or written by something else: draw anew
        return None
    if not all(isinstance(case, GeneratedCase) for case in data["cases"]):
        return None
    return dict(data)


def _store(path: Path, data: dict[str, Any]) -> bool:
    """Write ``data`` (with the format) to ``path`` whole or not at all; whether it was written."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            pickle.dump({"format": _FORMAT, **data}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def _name(operation: Operation) -> str:
    return hashlib.sha256(f"{operation.method} {operation.path}".encode()).hexdigest()[:24]


def _prune(root: Path, *, keep: Path) -> None:
    """Remove the least recently written settings' folders beyond the newest ``_KEPT_RUNS``."""
    with contextlib.suppress(OSError):
        os.utime(keep)
        folders = [path for path in root.iterdir() if path.is_dir() and _ours(path.name)]
        folders.sort(key=lambda path: path.stat().st_mtime, reverse=True)
        for stale in folders[_KEPT_RUNS:]:
            if stale != keep:
                shutil.rmtree(stale, ignore_errors=True)


def _ours(name: str) -> bool:
    return len(name) == 32 and all(char in "0123456789abcdef" for char in name)


@functools.cache
def _code_digest() -> str:
    """One sha256 over the sources of the drawing code (this package's ``generation`` modules), read
    once per process (the run's start and its request source both name their cache by it)."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        with contextlib.suppress(OSError):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


@functools.cache
def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""
