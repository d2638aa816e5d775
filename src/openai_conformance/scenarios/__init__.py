"""Hand-made requests whose right answer the API documents, run besides the generated ones.

One mechanism for all of them (:mod:`.base`, where its types are imported from): a :class:`Scenario` is reported under one operation
and runs with the :class:`ScenarioContext` the engine fills; each module declares its own in its
``SCENARIOS`` (:class:`Scenarios`), by decorating their steps. They are grouped by area: ``errors``
(invalid bodies, malformed JSON, an unknown model), ``auth``, the workflows judged across answers by
the ``state`` rules (``files``, ``batches``, ``resources``, ``threads``, ``organization``), one module per inference
operation for the parameters a fuzzer rarely sends: ``chat`` (with ``chat_tools`` and
``chat_streams``), ``completions``, ``embeddings``, ``moderations``, ``images``, ``audio``; and
``responses`` (the Responses API's workflows: stored, continued, listed, cancelled, deleted).
"""

from __future__ import annotations

from openai_conformance.scenarios import (
    audio,
    auth,
    batches,
    chat,
    chat_streams,
    chat_tools,
    completions,
    embeddings,
    errors,
    files,
    images,
    moderations,
    organization,
    resources,
    responses,
    threads,
)
from openai_conformance.scenarios.base import Scenario

__all__ = ["SCENARIOS", "get_scenario", "scenarios_for"]

#: Every scenario, in the order an operation runs its own.
SCENARIOS: tuple[Scenario, ...] = (
    *errors.SCENARIOS,
    *auth.SCENARIOS,
    *files.SCENARIOS,
    *batches.SCENARIOS,
    *resources.SCENARIOS,
    *threads.SCENARIOS,
    *organization.SCENARIOS,
    *chat.SCENARIOS,
    *chat_tools.SCENARIOS,
    *chat_streams.SCENARIOS,
    *completions.SCENARIOS,
    *embeddings.SCENARIOS,
    *moderations.SCENARIOS,
    *images.SCENARIOS,
    *audio.SCENARIOS,
    *responses.SCENARIOS,
)


def scenarios_for(operation_id: str, *, models: bool = True) -> list[Scenario]:
    """The scenarios reported under an operation; with ``models=False`` (the target lists none),
    only those that name no model of the target."""
    return [s for s in SCENARIOS if s.operation_id == operation_id and (models or not s.needs_models)]


def get_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id; ``KeyError`` when unknown."""
    for scenario in SCENARIOS:
        if scenario.id == scenario_id:
            return scenario
    raise KeyError(scenario_id)
