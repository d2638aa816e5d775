"""How a fault is declared: the decorated function is its hook, its docstring its description."""

from __future__ import annotations

from typing import Any

import pytest

from openai_conformance.server.call import Call
from openai_conformance.server.faults.fault import ALL, BODY_AND_EVENTS, CHAT, Faults
from openai_conformance.server.hooks import REQUEST
from openai_conformance.server.routing import Operation

_SENT = {"n": 2, "stop": "x"}
_CHAT_CALL = Call(Operation("POST", "/chat/completions", CHAT, {}), {}, body=_SENT, sent=_SENT)


def test_the_function_is_the_hook_and_its_first_paragraph_the_description() -> None:
    faults = Faults()

    @faults.declare("a-fault", "semantics.stop", CHAT, ("listModels", "retrieveModel"), at=REQUEST)
    def _same(call: Call) -> Call:
        """One sentence,
        on two lines.

        Notes for whoever reads the code, not the description.
        """
        return call

    (fault,) = faults
    assert (fault.id, fault.check) == ("a-fault", "semantics.stop")
    assert fault.description == "One sentence, on two lines."
    assert fault.operations == (CHAT, "listModels", "retrieveModel")
    assert fault.hooks == {"request": _same}
    assert fault.reaches(_CHAT_CALL) and len(faults) == 1


def test_a_body_edit_becomes_the_answer_and_events_hooks() -> None:
    faults = Faults()

    @faults.declare("b-fault", "semantics.created", ALL, at=BODY_AND_EVENTS)
    def _edit(body: Any) -> None:
        """Edits."""
        body["edited"] = True

    (fault,) = faults
    assert fault.everywhere and set(fault.hooks) == {"answer", "events"}
    events: list[Any] = [{}, {}]
    assert fault.hooks["events"](_CHAT_CALL, events) == [{"edited": True}, {"edited": True}]


def test_call_without_drops_fields_from_the_body_it_acts_on_only() -> None:
    call = _CHAT_CALL.without("stop")
    assert call.body == {"n": 2} and call.sent == {"n": 2, "stop": "x"}


def test_a_fault_without_a_description_is_refused() -> None:
    faults = Faults()
    with pytest.raises(TypeError, match="c-fault"):
        faults.declare("c-fault", "semantics.stop", CHAT, at=REQUEST)(lambda call: call)
    assert len(faults) == 0
