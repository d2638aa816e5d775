"""A paired answer judged: the proxy's and the upstream's verdicts and differences, as one case's findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from openai_conformance.errors import TransportError
from openai_conformance.events import UpstreamAnswer
from openai_conformance.transport.curl import to_curl
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.transport.http import HttpTransport
from openai_conformance.validation.proxy import judge_pair, upstream_unanswered
from openai_conformance.validation.violations import Violation

if TYPE_CHECKING:
    from openai_conformance.runner.pairing import Pairing
    from openai_conformance.validation.judge import Judge

__all__ = ["UPSTREAM_KEY_VARIABLE", "Replay", "compare_case", "upstream_curl"]

#: The variable an upstream reproduction reads the upstream's key from (as --upstream-api-key does).
UPSTREAM_KEY_VARIABLE = "$OPENAI_CONFORMANCE_UPSTREAM_API_KEY"


def upstream_curl(exchange: Exchange, secrets: Sequence[str], shown: tuple[str, str] | None = None) -> str:
    """The upstream's request as a redacted reproduction that reads the upstream's key (``shown``:
    the address the run sent it to, and the one to show instead)."""
    curl = to_curl(exchange.request, secrets).replace("$OPENAI_API_KEY", UPSTREAM_KEY_VARIABLE)
    return curl.replace(shown[0], shown[1], 1) if shown else curl


def compare_case(
    pairing: Pairing,
    judge: Judge,
    operation_id: str,
    exchange: Exchange,
    violations: list[Violation],
    *,
    secrets: Sequence[str],
    upstream_violations: Sequence[Violation] | None = None,
) -> tuple[list[Violation], UpstreamAnswer | None, tuple[str, ...]]:
    """The case's violations once the upstream's answer is beside the proxy's, and notes.

    ``upstream_violations``: what the same checks found in the upstream's answer (a scenario's are
    found by replaying it on the upstream's answers); by default the per-answer checks run on it here.
    """
    upstream = exchange.upstream
    if upstream is None:
        if exchange.upstream_error is None:
            return violations, None, ()
        return [*violations, upstream_unanswered(exchange.upstream_error)], None, ()
    if upstream_violations is None:
        valid = not exchange.request.about
        try:
            upstream_violations = list(judge.judge(upstream, operation_id, valid_request=valid))
        except Exception as exc:  # the upstream's answer could not be judged: compared all the same
            note = (
                f"the upstream's answer could not be judged ({type(exc).__name__}): compared, not attributed"
            )
            return _compare(pairing, operation_id, exchange, violations, [], secrets, (note,))
    return _compare(pairing, operation_id, exchange, violations, upstream_violations, secrets, ())


def _compare(
    pairing: Pairing,
    operation_id: str,
    exchange: Exchange,
    violations: list[Violation],
    upstream_violations: Sequence[Violation],
    secrets: Sequence[str],
    notes: tuple[str, ...],
) -> tuple[list[Violation], UpstreamAnswer | None, tuple[str, ...]]:
    upstream = exchange.upstream
    assert upstream is not None
    verdicts = judge_pair(
        exchange,
        violations,
        upstream,
        upstream_violations,
        operation_id,
        deterministic=pairing.deterministic,
        declarations=pairing.declarations,
    )
    answer = UpstreamAnswer(
        status=upstream.status,
        curl=upstream_curl(upstream, secrets, pairing.shown),
        pointers=tuple(verdict.upstream_pointer for verdict in verdicts),
        exchange=upstream,
    )
    return [verdict.violation for verdict in verdicts], answer, notes


class Replay(HttpTransport):
    """A scenario's requests answered with the upstream's answers to them, in the order they were sent.

    A scenario run again on this transport says what it finds in the upstream's answers without a
    request more (its verdicts are the upstream's side of each pair). Where the scenario, led by
    the upstream's answers, asks for something else than it asked the proxy, the replay ends.
    """

    def __init__(self, real: HttpTransport, answers: Sequence[Exchange | None]) -> None:
        # It builds requests as the real transport does, and sends none.
        self.settings, self.base_url, self.api_prefix = real.settings, real.base_url, real.api_prefix
        self._client = real._client
        self._answers = list(answers)

    def close(self) -> None:
        """The client is the real transport's, to close."""

    def send(self, request: Request, *, stream: bool = False) -> Exchange:
        answer = self._answers.pop(0) if self._answers else None
        if answer is None or (answer.request.method, answer.request.path_template) != (
            request.method,
            request.path_template,
        ):
            self._answers.clear()
            raise TransportError("protocol", "the upstream's answers lead the scenario elsewhere")
        return answer
