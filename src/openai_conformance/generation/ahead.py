"""Requests drawn ahead in a helper process while the engine sends and judges.

Drawing requests (schemathesis + hypothesis) is most of a run's CPU time. With a helper process the
drawing of the next requests overlaps the sending and judging of the previous ones, on another core.
The helper draws each operation's requests with :func:`~openai_conformance.generation.explore.explore`,
the code the engine uses in-process, from the same contract, models and seed: the very same requests
in the very same order. A pipe carries them; its buffer bounds how far the helper runs ahead.

Whatever goes wrong with the helper (it cannot start, load the spec, or it dies) the engine draws the
rest in-process: the helper only ever saves time.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from openai_conformance.generation.request import GeneratedCase

if TYPE_CHECKING:
    from openai_conformance.config import RunConfig
    from openai_conformance.generation.request import Drawn
    from openai_conformance.openapi.loader import Contract

__all__ = ["CaseFeed", "FeedBroken", "should_draw_ahead", "start_feed"]

_MIN_DRAWS = 50  # below this many requests, starting a helper costs more than it saves
_STOP_WAIT = 1.0  # seconds to wait for the helper to end before killing it
_POLL = 0.2  # seconds between looks at the time budget while waiting for the helper


class FeedBroken(Exception):
    """The helper stopped answering; ``received`` requests of the current operation had come."""

    def __init__(self, reason: str, received: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.received = received


def start_feed(contract: Contract, config: RunConfig) -> CaseFeed | None:
    """The helper process that draws a run's requests ahead, when ``--draw-ahead`` says it pays off.

    Started as early as possible: its own start-up (imports, the spec) overlaps the parent's. When every
    operation's requests are kept from a previous run (generation/cache.py), it is started only if the
    target's models turn out to make some of them misses (:meth:`CaseFeed.begin`).
    """
    from openai_conformance.config import selected_operations
    from openai_conformance.generation.cache import DrawCache

    selected = selected_operations(contract, config)
    if not should_draw_ahead(
        config.draw_ahead, draws=len(selected) * config.max_examples, workers=config.workers
    ):
        return None
    cache = DrawCache.for_run(contract, config)
    kept = cache is not None and all(cache.has(op) for op in selected)
    try:
        return CaseFeed(config, sha256=contract.source.sha256, start=not kept)
    except (OSError, ValueError):  # no process could be started: the engine draws in-process
        return None


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def should_draw_ahead(mode: str, *, draws: int, workers: int) -> bool:
    """Whether to draw in a helper: ``always``, ``never``, or (``auto``) when it can pay off."""
    if workers > 1 or mode == "never":
        return False  # --workers: each worker draws its own operations' requests
    return mode == "always" or (draws >= _MIN_DRAWS and usable_cpus() >= 2)


class CaseFeed:
    """The parent's end: start the helper, tell it what to draw, read each operation's requests."""

    def __init__(self, config: RunConfig, *, sha256: str, start: bool = True) -> None:
        """``sha256`` is the parent's spec's: the helper draws from the very same one. ``start=False``:
        the process starts at :meth:`begin`, and only if there is enough to draw."""
        self._config = config
        self._sha256 = sha256
        self._conn: Connection | None = None
        self._process: Any = None
        self.pid: int | None = None  # ours: the only process this feed ever stops
        self._order: dict[tuple[str, str], int] = {}
        self._position = 0  # index of the next operation the helper will report on
        self.broken: str | None = None
        self._closed = False
        if start:
            self._start()

    @property
    def started(self) -> bool:
        return self._process is not None

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # the parent may run server threads: never fork them
        self._conn, child_conn = context.Pipe(duplex=True)
        self._process = context.Process(
            target=_helper_main,
            args=(child_conn, self._config, self._sha256),
            name="openai-conformance-draw",
            daemon=True,
        )
        with _sigint_ignored():  # inherited through exec: Ctrl-C is the parent's to handle
            self._process.start()
        child_conn.close()
        self.pid = self._process.pid

    def begin(self, models: list[str], operations: list[tuple[str, str]]) -> None:
        """Start drawing, in this order, for these (method, path) operations."""
        if not self.started:
            if len(operations) * self._config.max_examples < _MIN_DRAWS:
                return  # too little to draw for a helper to pay off: the engine draws it
            try:
                self._start()
            except (OSError, ValueError) as exc:
                self.broken = f"the request-drawing process could not start: {exc}"
                return
        self._order = {key: index for index, key in enumerate(operations)}
        try:
            self._connection.send(("draw", list(models), list(operations)))
        except (OSError, ValueError) as exc:
            self.broken = f"the request-drawing process did not answer: {exc}"

    @property
    def _connection(self) -> Connection:
        assert self._conn is not None, "the helper was started"
        return self._conn

    def covers(self, method: str, path: str) -> bool:
        """Whether the helper will draw (or has drawn) this operation's requests and they are still to read."""
        index = self._order.get((method, path))
        return self.broken is None and index is not None and index >= self._position

    def pump(
        self,
        method: str,
        path: str,
        emit: Callable[[GeneratedCase], None],
        *,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Drawn:
        """Hand each of the operation's requests to ``emit`` as it comes; how drawing ended.

        ``should_stop`` (the run's time budget) is asked while waiting: once it says so, the rest of
        the operation is not waited for, and the feed is done. Raises :class:`FeedBroken` if the
        helper stops before the operation's end.
        """
        from openai_conformance.generation.request import Drawn

        index = self._order[(method, path)]
        received = 0
        while True:
            if not self._ready(received):
                if should_stop():
                    self.broken = "the run's time budget ran out"
                    return Drawn()
                continue
            message = self._receive(received)
            kind, at = message[0], message[1]
            if kind == "failed":
                self._break(f"the request-drawing process failed: {message[2]}", received)
            if at < index:  # an operation the engine skipped (time budget): its requests are dropped
                continue
            if at > index:
                self._break("the request-drawing process went past an operation", received)
            if kind == "case":
                received += 1
                emit(message[2])
            else:  # "end"
                self._position = index + 1
                drawn: Drawn = message[2]
                return drawn

    def _ready(self, received: int) -> bool:
        try:
            return self._connection.poll(_POLL)
        except (EOFError, OSError):
            return True  # the next read says what happened

    def _receive(self, received: int) -> Any:
        try:
            return self._connection.recv()
        except (EOFError, OSError) as exc:
            code = self._process.exitcode
            why = f"exit status {code}" if code is not None else type(exc).__name__
            self._break(f"the request-drawing process stopped ({why})", received)

    def _break(self, reason: str, received: int) -> Any:
        self.broken = reason
        raise FeedBroken(reason, received)

    def close(self) -> None:
        """Stop the helper (it is ours, by its handle), whatever state it is in; again is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._conn is None or self._process is None:
            return  # never started
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("stop",))
        self._conn.close()
        self._process.join(_STOP_WAIT)  # it ends at its next send, or when it is done
        if self._process.is_alive():  # stuck: it holds nothing that needs a clean end
            self._process.kill()
            self._process.join(_STOP_WAIT)
        with contextlib.suppress(ValueError):
            self._process.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- the helper's side ---------------------------------------------------------------------------


class _ParentGone(BaseException):
    """The parent closed its end: stop at once (a BaseException, so hypothesis does not take it for a
    failing test and replay it)."""


def _helper_main(conn: Connection, config: RunConfig, sha256: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing the helper's libraries print is for the user
    try:
        _serve(conn, config, sha256)
    except (_ParentGone, BrokenPipeError, EOFError, ConnectionResetError):
        pass  # the parent is gone or stopped reading: nothing left to do
    except Exception as exc:  # told to the parent, which draws in-process instead
        with contextlib.suppress(OSError, ValueError):
            conn.send(("failed", -1, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _serve(conn: Connection, config: RunConfig, sha256: str) -> None:
    # Imports and the spec load overlap the parent's own start-up.
    from openai_conformance.generation.cache import BoundaryCache
    from openai_conformance.generation.cases import Generator
    from openai_conformance.generation.explore import explore_for_run
    from openai_conformance.openapi.loader import load_contract
    from openai_conformance.openapi.operations import iter_operations

    contract = load_contract(config.spec, overlays=config.overlays, findings=False)
    if contract.source.sha256 != sha256:
        raise RuntimeError("the spec changed since the run started")
    known = {(op.method, op.path): op for op in iter_operations(contract.document)}
    generator = Generator(
        contract.document, models=[], budget=config.budget, closed=contract.generation_document
    )
    message = conn.recv()  # the models come once the parent has asked the target for them
    if message[0] != "draw":
        return
    _, models, keys = message
    generator.use_models(models)
    kept = BoundaryCache.for_run(contract, config)
    for index, key in enumerate(keys):
        drawn = explore_for_run(generator, known[tuple(key)], _sender(conn, index), config, kept=kept)
        conn.send(("end", index, drawn))


def _sender(conn: Connection, index: int) -> Callable[[GeneratedCase], None]:
    def emit(case: GeneratedCase) -> None:  # hypothesis's @given takes no defaulted arguments
        try:
            conn.send(("case", index, case))
        except (OSError, ValueError) as exc:
            raise _ParentGone from exc

    return emit
