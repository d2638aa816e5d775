"""Drawing one operation's requests with hypothesis: the same code in the engine and in the helper process."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from openai_conformance.generation.cache import BoundaryCache
from openai_conformance.generation.cases import Generator
from openai_conformance.generation.models import models_for
from openai_conformance.generation.request import Drawn, GeneratedCase
from openai_conformance.openapi.operations import Operation

if TYPE_CHECKING:
    from openai_conformance.config import RunConfig

__all__ = ["Drawn", "explore"]


def explore(
    generator: Generator,
    operation: Operation,
    emit: Callable[[GeneratedCase], None],
    *,
    negative: bool,
    max_examples: int,
    seed_value: int,
    boundaries: int = 0,
    kept: BoundaryCache | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Drawn:
    """Draw up to ``max_examples`` requests for ``operation`` and hand each to ``emit``, in order;
    then (valid requests only) up to ``boundaries`` requests at the boundaries its schemas allow
    (read back from ``kept`` when a run found them before: they depend on no seed).

    The same seed gives the same requests in the same order, wherever this runs. ``emit`` never
    fails the hypothesis test, so what is drawn does not depend on what the target answers.
    KeyboardInterrupt propagates; any other failure of schemathesis or hypothesis becomes a :class:`Drawn`.
    """
    drawn = _explore(
        generator, operation, negative, lambda strategy: _run(strategy, emit, max_examples, seed_value)
    )
    if not boundaries or negative or drawn.fatal or should_stop():
        return drawn  # (``should_stop``: the run's time budget is spent, nothing more would be sent)
    try:
        at_boundaries = _at_boundaries(generator, operation, boundaries, kept)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the coverage phase gave up on this operation: the drawn ones stand
        error = f"cannot build the requests at its schema's boundaries: {type(exc).__name__}: {exc}"
        return Drawn(error=drawn.error or error.splitlines()[0], note=drawn.note)
    for case in at_boundaries:
        emit(case)
    return drawn


def explore_for_run(
    generator: Generator,
    operation: Operation,
    emit: Callable[[GeneratedCase], None],
    config: RunConfig,
    *,
    kept: BoundaryCache | None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Drawn:
    """:func:`explore` with a run's drawing settings (``--negative``, ``--max-examples``, ``--seed``,
    ``--max-boundaries``): the same, whether drawn in the run's process or ahead in a helper."""
    return explore(
        generator,
        operation,
        emit,
        negative=config.negative,
        max_examples=config.max_examples,
        seed_value=config.seed,
        boundaries=config.max_boundaries,
        kept=kept,
        should_stop=should_stop,
    )


def _at_boundaries(
    generator: Generator, operation: Operation, limit: int, kept: BoundaryCache | None
) -> list[GeneratedCase]:
    fit = models_for(operation.operation_id, generator.models)
    found = kept.read(operation, fit) if kept is not None else None
    if found is None:
        found = generator.boundaries(operation, limit=limit)
        if kept is not None:
            kept.write(operation, fit, found)
    return found


def _explore(
    generator: Generator, operation: Operation, negative: bool, draw: Callable[[Any], None]
) -> Drawn:
    """What drawing from ``operation``'s strategy gave (``draw`` runs hypothesis on a strategy)."""
    try:
        strategy = generator.strategy(operation, negative=negative)
    except Exception as exc:  # schemathesis could not build requests for this operation
        return Drawn(error=f"cannot generate requests: {type(exc).__name__}: {exc}", fatal=True)
    try:
        draw(strategy)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # hypothesis or schemathesis gave up on this operation
        if not _unsatisfiable(exc):
            return Drawn(error=_generation_error(exc))
        if negative:
            return Drawn(note="no invalid request could be made for this operation")
        # Closing the object schemas made this one unsatisfiable: draw from the spec as written.
        try:
            draw(generator.open_strategy(operation))
        except KeyboardInterrupt:
            raise
        except Exception as again:
            return Drawn(error=_generation_error(again))
    return Drawn()


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Keep hypothesis from mixing literals of the process's own source files into what it draws.

    Hypothesis draws about one value in twenty from the constants found in the "local" modules loaded
    in the process. Which those are differs between the CLI, pytest and the helper process (and with
    the working folder), so the same seed would draw different requests there; and the literals of
    whatever code runs the suite say nothing about a remote API. The hook is private to hypothesis:
    if it moves, nothing breaks here, and the reproducibility tests (tests/test_draw_ahead.py) tell.
    """
    try:
        from hypothesis.internal.conjecture import providers

        original = providers._get_local_constants
        empty = providers.Constants()  # type: ignore[attr-defined]
        cache = providers.CONSTANTS_CACHE.cache
    except (ImportError, AttributeError):
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.clear()  # values computed with the local constants
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()


def _run(strategy: Any, emit: Callable[[GeneratedCase], None], max_examples: int, seed_value: int) -> None:
    decorate: Any = given(strategy)
    test: Any = decorate(emit)
    test = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )(test)
    runner: Callable[[], None] = seed(seed_value)(test)
    with _without_local_constants():
        runner()


def _unsatisfiable(exc: Exception) -> bool:
    return "nsatisfiable" in type(exc).__name__ or "nsatisfiable" in str(exc)


def _generation_error(exc: Exception) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"cannot generate requests: {type(exc).__name__}: {first}"
