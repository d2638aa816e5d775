"""What a run is asked to do: one frozen value whose fields declare the options (a light module).

Each field is declared once, with its flag, help, parsing, checks and how the report shows it
(:func:`~openai_conformance.options.option`). The CLI (``openai-conformance run``) and the pytest
plugin register the same options from here, :meth:`RunConfig.from_values` builds and checks a config
from what either parsed, and :meth:`RunConfig.describe` is the settings section of the report.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openai_conformance.errors import ConfigError
from openai_conformance.generation.hints import Budget
from openai_conformance.openapi.operations import Operation, iter_operations, select_operations
from openai_conformance.options import (
    at_least,
    between,
    comma_list,
    declared_options,
    http_url,
    listed,
    number,
    option,
    raw_value,
    shard,
    switch,
    text,
)
from openai_conformance.options import (
    headers as header_values,
)

if TYPE_CHECKING:
    from openai_conformance.openapi.loader import Contract

__all__ = [
    "DRAW_AHEAD_MODES",
    "EMBEDDED_UPSTREAM_PORT",
    "FAIL_ON",
    "PROFILES",
    "REPORT_FORMATS",
    "RunConfig",
    "add_options",
    "selected_operations",
]

PROFILES = ("strict", "compat")
FAIL_ON = ("error", "warning")
DRAW_AHEAD_MODES = ("auto", "always", "never")
_CAPABILITY_NAMES = (
    "models, chat, completions, embeddings, moderations, files, images, audio, batches, uploads, "
    "fine-tuning, assistants"
)


def _known_names(flag: str, values: Any, known: Collection[str], what: str) -> tuple[str, ...]:
    names = comma_list(flag, values)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"{flag}: unknown {what} {unknown[0]!r}; known: {', '.join(known)}")
    return names


def _capabilities(flag: str, values: Any) -> tuple[str, ...]:
    from openai_conformance.capabilities import CAPABILITIES

    return _known_names(flag, values, CAPABILITIES, "capability")


def _path(flag: str, value: Any) -> Path:
    return Path(value or "reports")


def _file(flag: str, value: Any) -> Path | None:
    if not value:
        return None
    path = Path(value)
    if path.is_dir():
        raise ConfigError(f"{flag} names a file, not the folder {value!r}")
    return path


REPORT_FORMATS = ("github", "none")


#: Where ``--upstream embedded`` serves the reference server for the proxy to forward to.
EMBEDDED_UPSTREAM_PORT = 8001


def _upstream(flag: str, value: Any) -> str | None:
    """A URL, ``embedded`` or ``embedded:PORT`` (kept as given; runner/upstream.py opens it)."""
    if not value:
        return None
    text = str(value)
    if text == "embedded" or text.startswith("embedded:"):
        port = text.partition(":")[2] or str(EMBEDDED_UPSTREAM_PORT)
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{flag} embedded:PORT needs a port between 1 and 65535, not {port!r}")
        return f"embedded:{int(port)}"
    return http_url(flag, text)


def _reports(flag: str, values: Any) -> tuple[str, ...]:
    return _known_names(flag, values, REPORT_FORMATS, "output")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything a run needs to know; checked eagerly, picklable (workers and the drawing helper get it)."""

    # -- the target --------------------------------------------------------------------------
    base_url: str | None = text(
        "--base-url",
        "target base URL, with or without /v1 (default: the embedded reference server)",
        metavar="URL",
        convert=http_url,
        report=None,
    )
    # A secret: never written anywhere.
    api_key: str | None = text(
        "--api-key",
        "API key sent as a bearer token (default: $OPENAI_API_KEY)",
        metavar="KEY",
        env="OPENAI_API_KEY",
        report=None,
    )
    # Header values may hold credentials: the report names the headers only.
    headers: dict[str, str] = option(
        "--header",
        "extra request header 'Name: value' (repeatable)",
        factory=dict,
        metavar="HEADER",
        repeat=True,
        convert=header_values,
        report="header_names",
        to_report=sorted,
    )
    timeout: float = number("--timeout", 30.0, "per-request timeout in seconds (default 30)", parse=float)
    stream_idle_timeout: float = number(
        "--stream-idle-timeout", 10.0, "longest silence allowed inside a stream (default 10 s)", parse=float
    )
    max_stream_seconds: float = number(
        "--max-stream-seconds",
        60.0,
        "a stream that goes on longer than this is cut and reported (default 60 s)",
        parse=float,
    )
    max_body_bytes: int = number(
        "--max-body-bytes",
        16 * 1024 * 1024,
        "an answer larger than this is cut and not judged (default 16 MiB)",
    )
    restart_wait: float = number(
        "--restart-wait",
        10.0,
        "how long to wait for a target that stopped answering to come back (default 10 s)",
        parse=float,
    )
    verify_tls: bool = switch("--insecure", "do not verify TLS certificates", on=True, report=None)
    # -- the spec and the operations ------------------------------------------------------------
    # The report's spec section says which spec was used.
    spec: str | None = text(
        "--spec",
        "spec to judge by: a path (file or folder of pinned copies), URL or pin name (default: pin 6b8287f)",
        metavar="SPEC",
        report=None,
    )
    overlays: bool = switch(
        "--no-overlays", "judge against the raw spec, without the errata overlays", on=True, report=None
    )
    include: tuple[str, ...] = listed(
        "--include",
        "operations to run: tag, operationId, path glob or 'METHOD /path' (repeatable, comma-separated)",
    )
    exclude: tuple[str, ...] = listed(
        "--exclude", "operations to leave out, same patterns as --include (repeatable)"
    )
    shard: tuple[int, int] | None = text(
        "--shard",
        "run only shard I of N of the selected operations, e.g. 2/4 (merge with `report merge`)",
        metavar="I/N",
        convert=shard,
        to_report=lambda value: f"{value[0]}/{value[1]}" if value else None,
    )
    # -- the requests ---------------------------------------------------------------------------
    max_examples: int = number(
        "--max-examples", 5, "generated requests per operation (default 5)", convert=at_least(1)
    )
    seed: int = number(
        "--seed", 0, "random seed: the same seed sends the same requests (default 0)", convert=None
    )
    negative: bool = switch(
        "--negative",
        "generate invalid requests instead of valid ones",
        report="mode",
        to_report=lambda value: "negative" if value else "positive",
    )
    probes: bool = switch(
        "--no-probes", "send only generated requests, not the hand-picked probes and scenarios", on=True
    )
    max_boundaries: int = number(
        "--max-boundaries",
        100,
        "valid requests at each schema's boundaries (every enum member and default, minimum, maximum, "
        "minItems/maxItems, min/maxLength) per operation, besides the drawn ones; 0 sends none (default 100)",
        convert=at_least(0),
    )
    models: tuple[str, ...] = listed(
        "--model", "model id to use in requests (repeatable; default: what GET /models lists)", metavar="ID"
    )
    max_tokens: int = number(
        "--max-tokens",
        16,
        "cap for max_tokens-like parameters in generated requests (default 16)",
        convert=at_least(1),
    )
    max_n: int = number(
        "--max-n", 2, "cap for n / best_of in generated requests (default 2)", convert=at_least(1)
    )
    # -- how the run goes ---------------------------------------------------------------------------
    concurrency: int = number(
        "--concurrency", 1, "requests in flight at once, per worker (default 1)", convert=between(1, 64)
    )
    workers: int = number(
        "--workers", 1, "processes to spread operations over (default 1)", convert=between(1, 64)
    )
    draw_ahead: str = text(
        "--draw-ahead",
        "openai-conformance run: draw requests in a helper process while others are sent: auto "
        "(default: with 2+ CPUs, one worker and 50+ requests), always or never (under pytest, use -n N)",
        default="auto",
        metavar="WHEN",
        choices=DRAW_AHEAD_MODES,
    )
    draw_cache: bool = switch(
        "--no-draw-cache",
        "draw every request anew, instead of reading back what a run with the same spec, drawing "
        "settings and seed drew (kept in the cache folder)",
        on=True,
    )
    max_time: float | None = number(
        "--max-time", None, "whole-run time budget in seconds; reports keep what was done", parse=float
    )
    max_wait: float = number(
        "--max-wait",
        5.0,
        "how long a workflow polls a lifecycle (a batch, a run) or waits for a lagging list (default 5 s)",
        parse=float,
    )
    report_dir: Path = text(
        "--report-dir",
        "where report.json, report.html, junit.xml and summary.md go (default reports/)",
        default=Path("reports"),
        metavar="DIR",
        convert=_path,
        report=None,
    )
    report: tuple[str, ...] = listed(
        "--report",
        "more output: github (workflow annotations and a job summary; on by default when "
        "GITHUB_ACTIONS=true), none (not even that)",
        metavar="FORMAT",
        convert=_reports,
        report=None,
        cli_only=True,
    )
    # -- known deviations -------------------------------------------------------------------------
    # The report's baseline section names the file and what it said.
    baseline: Path | None = text(
        "--baseline",
        "a file of known deviations: the findings it lists are reported as known and do not fail the "
        "run; new ones do",
        metavar="FILE",
        convert=_file,
        report=None,
    )
    baseline_update: bool = switch(
        "--baseline-update",
        "write or refresh the --baseline file from this run: new findings added, fixed ones dropped",
        report=None,
        cli_only=True,
    )
    # -- what is expected of the target --------------------------------------------------------------
    expect_auth: bool = switch(
        "--expect-auth", "the target requires a key: check that no key and a wrong key get 401"
    )
    expect: tuple[str, ...] = listed(
        "--expect",
        f"capabilities the target must implement (repeatable, comma-separated): {_CAPABILITY_NAMES}",
        metavar="CAPS",
        convert=_capabilities,
    )
    profile: str = text(
        "--profile",
        "strict (the spec as written) or compat (nullable-but-required fields missing are warnings)",
        default="strict",
        metavar="NAME",
        choices=PROFILES,
    )
    fail_on: str = text(
        "--fail-on",
        "the least severe violation that fails the run (exit status 1): error (default) or warning",
        default="error",
        metavar="SEVERITY",
        choices=FAIL_ON,
    )
    faults: tuple[str, ...] = listed(
        "--fault",
        "embedded target (or --upstream embedded) only: switch on a deviation of the reference "
        "server (repeatable; see serve --list-faults)",
        metavar="ID",
    )
    # -- a proxy and its upstream ----------------------------------------------------------------------
    upstream: str | None = text(
        "--upstream",
        "the target is a proxy: send every request to its upstream too and compare the answers; "
        f"a URL, or embedded (the reference server on 127.0.0.1:{EMBEDDED_UPSTREAM_PORT}, "
        "embedded:PORT elsewhere) to configure as the proxy's upstream",
        metavar="URL|embedded",
        convert=_upstream,
    )
    # A secret: never written anywhere.
    upstream_api_key: str | None = text(
        "--upstream-api-key",
        "API key for the upstream (default: $OPENAI_CONFORMANCE_UPSTREAM_API_KEY)",
        metavar="KEY",
        env="OPENAI_CONFORMANCE_UPSTREAM_API_KEY",
        report=None,
    )
    upstream_headers: dict[str, str] = option(
        "--upstream-header",
        "extra header 'Name: value' for the upstream (repeatable)",
        factory=dict,
        metavar="HEADER",
        repeat=True,
        convert=header_values,
        report="upstream_header_names",
        to_report=sorted,
    )

    def __post_init__(self) -> None:
        embedded_upstream = bool(self.upstream and self.upstream.startswith("embedded:"))
        if self.faults and self.base_url and not embedded_upstream:
            raise ConfigError(
                "--fault switches on a deviation of the embedded reference server; with --base-url it "
                "needs --upstream embedded (the faults are then the upstream's)"
            )
        if self.upstream and not self.base_url:
            raise ConfigError("--upstream compares a proxy with its upstream: give the proxy with --base-url")
        if self.upstream and self.workers > 1:
            raise ConfigError(
                "--upstream pairs every request with its upstream's in one sequence; it cannot be used "
                "with --workers (use --concurrency)"
            )
        if self.upstream_headers and not self.upstream:
            raise ConfigError("--upstream-header needs --upstream URL")
        if self.baseline_update and self.baseline is None:
            raise ConfigError("--baseline-update needs --baseline FILE: the file to write")
        if self.expect_auth and not self.api_key:
            raise ConfigError("--expect-auth needs a key (--api-key or OPENAI_API_KEY) to compare against")
        if self.faults:
            from openai_conformance.server.faults import FAULTS

            unknown = [name for name in self.faults if name not in FAULTS]
            if unknown:
                raise ConfigError(f"unknown fault {unknown[0]!r}; see openai-conformance serve --list-faults")

    @property
    def budget(self) -> Budget:
        """The caps for generation-size parameters of generated requests."""
        return Budget(max_tokens=self.max_tokens, n=self.max_n, best_of=self.max_n)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> RunConfig:
        """A checked config from parsed option values, keyed by field name (the CLI's or pytest's)."""
        fields: dict[str, Any] = {}
        for field, declared in declared_options(cls):
            value = raw_value(field, declared, values)
            if value is None or value == []:
                continue  # not given: the declared default
            fields[field.name] = declared.convert(declared.flag, value) if declared.convert else value
        return cls(**fields)

    def describe(self) -> dict[str, Any]:
        """The settings section of the report: every reported option (never the key or header values)."""
        settings: dict[str, Any] = {}
        for field, declared in declared_options(type(self)):
            if declared.report is None:
                continue
            value = getattr(self, field.name)
            settings[declared.report or field.name] = (
                declared.to_report(value) if declared.to_report else value
            )
        return settings


def add_options(add: Callable[..., Any], *, dest_prefix: str = "", cli: bool = True) -> None:
    """Register every option with an argparse-style ``add_argument`` (the CLI's, or pytest's addoption)."""
    for field, declared in declared_options(RunConfig):
        if declared.cli_only and not cli:
            continue
        kwargs: dict[str, Any] = {"dest": dest_prefix + field.name, "help": declared.help, "default": None}
        if declared.parse is None:
            kwargs["action"] = "store_true"
            kwargs["default"] = False
        else:
            kwargs["type"] = declared.parse
            kwargs["metavar"] = declared.metavar
            if declared.repeat:
                kwargs["action"] = "append"
        try:
            add(declared.flag, **kwargs)
        except ValueError:  # another pytest plugin owns the flag (pytest-base-url's --base-url)
            if not dest_prefix:
                raise


def selected_operations(contract: Contract, config: RunConfig) -> list[Operation]:
    """The operations ``--include``, ``--exclude`` and ``--shard`` select, in the spec's order."""
    selected = select_operations(iter_operations(contract.document), config.include, config.exclude)
    if not selected:
        raise ConfigError("no operation matches the --include/--exclude patterns")
    if config.shard:
        index, count = config.shard
        selected = selected[index - 1 :: count]
    return selected
