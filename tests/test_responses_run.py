"""A run on f85dbe2 judges Responses streams as they arrived: each streamed case carries its events' times."""

from __future__ import annotations

from openai_conformance import RunConfig, run
from openai_conformance.events import CaseJudged, Event


class Keep:
    """A handler that keeps the judged cases with their answers."""

    def __init__(self) -> None:
        self.judged: list[CaseJudged] = []

    def handle(self, event: Event) -> None:
        if isinstance(event, CaseJudged) and event.exchange is not None:
            self.judged.append(event)


def test_streamed_responses_cases_carry_their_events_and_arrival_times() -> None:
    keep = Keep()

    config = RunConfig(spec="f85dbe2", include=("createResponse",), max_examples=3, seed=2)
    result = run(config, handlers=[keep])
    assert result.exit_code == 0
    streams = [case for case in keep.judged if case.exchange and case.exchange.content_type == "text/event-stream"]
    sources = {case.source for case in streams}
    assert "responses.shapes" in sources and len(streams) >= 4
    for case in streams:
        assert case.exchange is not None and case.exchange.events
        times = [event.at for event in case.exchange.events]
        assert times == sorted(times) and times[0] > 0 and times[-1] <= case.exchange.elapsed
        assert case.exchange.events[0].event == "response.created"
