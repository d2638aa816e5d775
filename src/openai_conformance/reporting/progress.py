"""A live progress display on a terminal: operations done of all, cases, violation kinds, time left.

A handler of the run's events beside the console (:class:`~openai_conformance.reporting.console.ConsoleReporter`),
sharing its rich Console: on a terminal it keeps one live line at the bottom of the screen while the
console's lines scroll above it, and removes it when the run ends; anywhere else (a pipe, a file,
CI, a dumb terminal) it shows nothing at all, so piped output stays the plain line per operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from openai_conformance.events import (
    CaseJudged,
    Event,
    OperationFinished,
    OperationStarted,
    RunFinished,
    RunStarted,
)

__all__ = ["ProgressDisplay", "ProgressState"]


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressState:
    """What the display shows, kept from the events (pure: the tests read it without a terminal)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.total = 0
        self.done = 0
        self.cases = 0
        self.kinds: set[tuple[str, tuple[object, ...]]] = set()
        self.current: list[str] = []
        self._done_at: list[float] = []

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.total = len(event.operations)
            self.started = self.clock()
        elif isinstance(event, OperationStarted):
            self.current.append(event.operation.label)
        elif isinstance(event, CaseJudged):
            if event.status is not None:
                self.cases += 1
            for violation in event.violations:
                if violation.severity == "error":
                    self.kinds.add((event.operation.operation_id, violation.key))
        elif isinstance(event, OperationFinished):
            label = event.operation.label
            if label in self.current:
                self.current.remove(label)
            self.done += 1
            self._done_at.append(self.clock())
            # The collector's verdict wins over what the cases showed (an unsupported operation has none).
            self.kinds = {k for k in self.kinds if k[0] != event.operation.operation_id}
            self.kinds |= {
                (event.operation.operation_id, f.key)
                for f in event.result.findings.values()
                if f.severity == "error"
            }

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    @property
    def remaining(self) -> float | None:
        """Seconds left, from the pace of the operations done so far (None until one is done)."""
        if not self.done or not self.total or self.done >= self.total:
            return None
        pace = (self._done_at[-1] - self.started) / self.done
        return max(0.0, pace * (self.total - self.done) - (self.clock() - self._done_at[-1]))

    def line(self, width: int = 100) -> Text:
        """The one line the display shows."""
        bar_width = 20
        filled = round(bar_width * self.done / self.total) if self.total else 0
        text = Text()
        text.append("━" * filled, style="green")
        text.append("━" * (bar_width - filled), style="grey30")
        text.append(f" {self.done}/{self.total} operations", style="bold")
        text.append(f" · {self.cases} cases")
        kinds = len(self.kinds)
        text.append(f" · {kinds} violation kind{'s' if kinds != 1 else ''}", style="red" if kinds else "")
        text.append(f" · {_clock(self.elapsed)} elapsed")
        remaining = self.remaining
        text.append(
            f" · ~{_clock(remaining)} left" if remaining is not None else " · estimating…", style="dim"
        )
        if self.current:
            text.append(f" · {self.current[-1]}", style="cyan")
        text.truncate(max(20, width - 1), overflow="ellipsis")
        return text


class _Line:
    def __init__(self, state: ProgressState, console: Console) -> None:
        self.state, self.console = state, console

    def __rich__(self) -> RenderableType:
        return self.state.line(self.console.width)


class ProgressDisplay:
    """The live line on a terminal; nothing at all elsewhere. Call :meth:`close` when the run is over."""

    def __init__(self, console: Console, *, enabled: bool | None = None) -> None:
        self.console = console
        self.state = ProgressState()
        self.enabled = (console.is_terminal and not console.is_dumb_terminal) if enabled is None else enabled
        self._live: Live | None = None

    def handle(self, event: Event) -> None:
        self.state.handle(event)
        if not self.enabled:
            return
        if isinstance(event, RunStarted) and self._live is None:
            self._live = Live(
                _Line(self.state, self.console),
                console=self.console,
                refresh_per_second=4,
                transient=True,  # gone when the run ends: the console's summary follows
            )
            self._live.start()
        elif isinstance(event, RunFinished):
            self.close()
        elif self._live is not None:
            self._live.refresh()

    def close(self) -> None:
        """Remove the live line (idempotent)."""
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
