"""Named deviations the reference server can be switched into, to prove the suite catches them.

Each fault is one declaration: its id, the one check that must report it, the operations whose
answers it changes, and the change it makes at the hook points of ``server/hooks.py`` — the
function it decorates, whose docstring describes it (fault.py shows the form).  The
conformant responders know nothing of them.  ``create_app(spec, faults=[...])`` switches some on
(``openai-conformance serve --fault ID`` one); hooks.py says how several compose.
"""

from __future__ import annotations

from collections.abc import Iterable

from openai_conformance.server.faults.errors import ERROR_FAULTS
from openai_conformance.server.faults.fault import ALL, Fault
from openai_conformance.server.faults.lifecycle import LIFECYCLE_FAULTS
from openai_conformance.server.faults.media import MEDIA_FAULTS
from openai_conformance.server.faults.organization import ORGANIZATION_FAULTS
from openai_conformance.server.faults.parameters import PARAMETER_FAULTS
from openai_conformance.server.faults.responses import RESPONSES_FAULTS
from openai_conformance.server.faults.schema import SCHEMA_FAULTS
from openai_conformance.server.faults.selection import FaultSet
from openai_conformance.server.faults.semantics import SEMANTIC_FAULTS
from openai_conformance.server.faults.state import STATE_FAULTS
from openai_conformance.server.faults.streaming import STREAMING_FAULTS

__all__ = ["ALL", "FAULTS", "Fault", "FaultSet", "get_fault", "select"]

#: Every fault by id, in declaration order (the order their hooks run in).
FAULTS: dict[str, Fault] = {
    fault.id: fault
    for fault in (
        *SCHEMA_FAULTS,
        *STREAMING_FAULTS,
        *SEMANTIC_FAULTS,
        *PARAMETER_FAULTS,
        *MEDIA_FAULTS,
        *ERROR_FAULTS,
        *STATE_FAULTS,
        *RESPONSES_FAULTS,
        *LIFECYCLE_FAULTS,
        *ORGANIZATION_FAULTS,
    )
}


def get_fault(fault_id: str) -> Fault:
    """The fault with this id; ``KeyError`` names it when unknown."""
    return FAULTS[fault_id]


def select(fault_ids: Iterable[str]) -> FaultSet:
    """The faults named (in any order, repeats ignored) as a ``FaultSet``; ValueError names an unknown id."""
    wanted = set()
    for fault_id in fault_ids:
        if fault_id not in FAULTS:
            raise ValueError(f"unknown fault {fault_id!r}")
        wanted.add(fault_id)
    return FaultSet(fault for fault_id, fault in FAULTS.items() if fault_id in wanted)
