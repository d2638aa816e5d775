"""Target health: a request after which the target stops answering is a finding, not a silent end.

Every request of a run goes through one :class:`WatchedTransport`. When a request cannot even
connect, the target has gone down, and the request sent just before is what did it (a handler that
crashed the process, say). That request becomes a ``target.crashed`` finding of its operation (a
:class:`~openai_conformance.events.TargetDown` event, with its reproduction); the transport waits a
bounded time (``--restart-wait``) for the target to come back, sends the refused request once more
if it did, and otherwise says so: every later request fails at once with that one reason.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import httpx

from openai_conformance.errors import TransportError
from openai_conformance.events import TargetDown
from openai_conformance.transport.curl import to_curl
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport, TransportOptions
from openai_conformance.validation.registry import check
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    from openai_conformance.openapi.operations import Operation
    from openai_conformance.runner.pairing import Pairing

__all__ = ["WatchedTransport", "target_crashed"]


@check("target.crashed", "error")
def target_crashed(request: Request, back: bool, waited: float) -> Violation:
    """No request, valid or invalid, makes the target stop answering.

    The finding of a request after which the target refused connections (``back``: it came back).

    Reference: a request must never bring the server down: the next requests were refused
    Why: staying up is the server's, whatever a model would write; the finding needs connections refused
        after the request and not before it
    """
    how = f"it answered again after {waited:.1f} s" if back else f"it did not come back within {waited:.0f} s"
    what = f" ({request.about})" if request.about else ""
    return target_crashed.violation(f"after this request{what}, the target refused connections: {how}")


_POLL = 0.2  # seconds between two attempts to connect while waiting for the target


class WatchedTransport(HttpTransport):
    """The run's transport, which notices when the target stops answering and says after what."""

    def __init__(
        self,
        options: TransportOptions,
        base_url: str,
        *,
        restart_wait: float = 10.0,
        secrets: tuple[str, ...] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(options, base_url, **kwargs)  # type: ignore[arg-type]
        self.restart_wait = restart_wait
        self.secrets = secrets
        self.operation: Operation | None = None  # the operation whose requests are sent now
        self.down: str | None = None  # why no request can be sent any more, once the target stayed down
        self._last: tuple[Operation | None, Request] | None = None
        # The first request without an answer since the last answer: what brought the target down,
        # when it died without answering it (the requests after it may still reach a dying process).
        self._suspect: tuple[Operation | None, Request] | None = None
        self._told: list[TargetDown] = []
        self._answered = False  # a target that never answered did not go down: it was never up
        self.pairing: Pairing | None = None  # with --upstream: every request goes to the upstream too

    def take_events(self) -> list[TargetDown]:
        """The :class:`TargetDown` events noticed since the last call."""
        told, self._told = self._told, []
        return told

    def send(self, request: Request, *, stream: bool = False) -> Exchange:
        if self.down is not None:
            raise TransportError("connect", self.down)
        previous, self._last = self._last, (self.operation, request)
        try:
            exchange = super().send(request, stream=stream)
        except TransportError as exc:
            if exc.kind != "connect":
                self._suspect = self._suspect or self._last
                raise
            culprit, self._suspect = self._suspect or previous, None
            if culprit is None or not self._answered:
                raise
            back, waited = self._wait()
            self._tell(culprit, back, waited)
            if not back:
                self.down = (
                    f"the target stopped answering after {_label(culprit)} and did not come back "
                    f"within {self.restart_wait:g} s"
                )
                raise TransportError("connect", self.down) from exc
            exchange = super().send(request, stream=stream)  # it came back: this request once more
        self._suspect = None
        self._answered = True
        if self.pairing is not None:
            self.pairing.pair(exchange, self, stream=stream)
        return exchange

    def _tell(self, previous: tuple[Operation | None, Request], back: bool, waited: float) -> None:
        operation, request = previous
        if operation is None:  # the target went down after a probe of the run itself
            return
        violation = target_crashed(request, back, waited)
        self._told.append(
            TargetDown(
                operation=operation,
                violation=violation,
                curl=to_curl(request, self.secrets),
                request_size=len(request.content) + len(request.url),
                back=back,
                waited=waited,
                request_kind=f"invalid: {request.about}" if request.about else "",
                request=_label(previous) + (f", {request.about}" if request.about else ""),
            )
        )

    def _wait(self) -> tuple[bool, float]:
        """Whether the target accepts connections again within ``restart_wait``, and how long it took."""
        url = httpx.URL(self.base_url)
        port = url.port or (443 if url.scheme == "https" else 80)
        started = time.monotonic()
        deadline = started + self.restart_wait
        while True:
            try:
                with socket.create_connection((url.host, port), timeout=_POLL):
                    return True, time.monotonic() - started
            except OSError:
                pass
            if time.monotonic() + _POLL > deadline:
                return False, time.monotonic() - started
            time.sleep(_POLL)


def _label(previous: tuple[Operation | None, Request]) -> str:
    operation, request = previous
    path = request.url.split("?", 1)[0]
    named = f" ({operation.operation_id})" if operation is not None else ""
    return f"{request.method} {path}{named}"
