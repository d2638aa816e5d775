"""The run's time budget (``--max-time``): asked before each request, remembered once it ran out."""

from __future__ import annotations

import time

__all__ = ["TimeBudget"]


class TimeBudget:
    """A deadline that remembers whether anything was cut short by it."""

    def __init__(self, max_time: float | None, *, started: float | None = None) -> None:
        self.max_time = max_time
        start = time.monotonic() if started is None else started
        self.deadline = start + max_time if max_time else None
        self.ran_out = False  # something was cut short, or not run, because the budget was spent

    def past(self) -> bool:
        """Whether the budget is spent (and remember that something was cut short)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.ran_out = True
        return self.ran_out

    @property
    def reason(self) -> str:
        return f"the run's time budget of {self.max_time or 0:g} s ran out"
