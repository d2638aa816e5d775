"""A run on f85dbe2 judges Responses streams as they arrived: each streamed case carries its events' times,
report.json keeps them per operation and report.html draws them."""

from __future__ import annotations

import html
from pathlib import Path

from openai_conformance import RunConfig, run
from openai_conformance.events import CaseJudged, Event
from tests.cli import run_cli


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
    streams = [
        case for case in keep.judged if case.exchange and case.exchange.content_type == "text/event-stream"
    ]
    sources = {case.source for case in streams}
    assert "responses.shapes" in sources and len(streams) >= 4
    for case in streams:
        assert case.exchange is not None and case.exchange.events
        times = [event.at for event in case.exchange.events]
        assert times == sorted(times) and times[0] > 0 and times[-1] <= case.exchange.elapsed
        assert case.exchange.events[0].event == "response.created"


def test_the_report_keeps_responses_timelines_and_the_page_draws_them(tmp_path: Path) -> None:
    selection = ["--spec", "f85dbe2", "--include", "createResponse", "--max-examples", "3", "--seed", "2"]
    done = run_cli(tmp_path / "run", *selection, "--fault", "responses-text-delta-lost")
    assert done.code == 1 and done.checks("createResponse") == {"responses.text_deltas"}
    streams = done.operation("createResponse")["streams"]
    assert len(streams) >= 4, "every streamed Responses case has its record"
    for stream in streams:
        assert stream["events"] >= 2 and stream["first_event_seconds"] is not None
        assert stream["largest_gap_seconds"] is not None and stream["ended"] == "complete"
    drawn = [s for s in streams if s["timeline"]]
    assert drawn and all(s["timeline"][0]["type"] == "response.created" for s in drawn)
    assert any(s["broke"] for s in drawn), "the event the grammar found at fault is marked"
    page = html.unescape(done.files()["report.html"])
    assert 'id="streams"' in page and "response.output_text.delta" in page and "response.completed" in page
