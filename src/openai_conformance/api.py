"""Running the suite from Python: one call, the same run as ``openai-conformance run``."""

from __future__ import annotations

from collections.abc import Sequence

from openai_conformance.config import RunConfig
from openai_conformance.events import Handler
from openai_conformance.openapi.loader import Contract, load_contract
from openai_conformance.results.models import RunResult

__all__ = ["run"]


def run(
    config: RunConfig | None = None,
    *,
    contract: Contract | None = None,
    handlers: Sequence[Handler] = (),
    write_reports: bool = False,
) -> RunResult:
    """Judge the target ``config`` names (the embedded reference server when it names none).

    ``contract`` is the loaded spec (default: the one ``config.spec`` names, with its overlays);
    ``handlers`` receive every event of the run as it happens; ``write_reports`` also writes
    report.json, report.html, junit.xml and summary.md into ``config.report_dir``. A
    ``config.baseline`` marks the known deviations (``config.baseline_update`` refreshes the file).
    Requests are drawn in this process (``--draw-ahead`` is the command line's).
    """
    from openai_conformance.reporting.files import write_reports as write
    from openai_conformance.runner import Runner, open_target

    config = config or RunConfig()
    contract = contract or load_contract(config.spec, overlays=config.overlays)
    with (
        open_target(contract, config.base_url, api_key=config.api_key, faults=config.faults) as target,
        Runner(contract, config, target) as runner,
    ):
        result = runner.collect(handlers=handlers)
        updated = None
        if config.baseline is not None:
            from openai_conformance.results.baseline import apply_baseline, load_baseline

            baseline = load_baseline(config.baseline, missing_ok=config.baseline_update)
            updated = apply_baseline(result, baseline, update=config.baseline_update)
        if write_reports:
            write(result, config.report_dir, runner.secrets)
        if updated is not None:
            updated.save()
    return result
