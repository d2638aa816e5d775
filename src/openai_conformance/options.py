"""The run options, declared once and registered both on the CLI and as pytest options."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openai_conformance.errors import ConfigError

if TYPE_CHECKING:  # the pytest plugin imports this module in every pytest session: stay light
    from openai_conformance.config import RunConfig

__all__ = ["OPTIONS", "Option", "SessionOptions", "add_options", "build_config"]


@dataclass(frozen=True, slots=True)
class Option:
    """One option: its flag, how to parse it, its default and help."""

    flag: str
    dest: str
    help: str
    type: Callable[[str], Any] | None = str
    default: Any = None
    repeat: bool = False
    switch: bool = False
    metavar: str | None = None


OPTIONS: list[Option] = [
    Option(
        "--base-url",
        "base_url",
        "target base URL, with or without /v1 (default: the embedded reference server)",
        metavar="URL",
    ),
    Option(
        "--api-key", "api_key", "API key sent as a bearer token (default: $OPENAI_API_KEY)", metavar="KEY"
    ),
    Option(
        "--header", "header", "extra request header 'Name: value' (repeatable)", repeat=True, metavar="HEADER"
    ),
    Option(
        "--timeout",
        "timeout",
        "per-request timeout in seconds (default 30)",
        type=float,
        default=30.0,
        metavar="S",
    ),
    Option(
        "--stream-idle-timeout",
        "stream_idle_timeout",
        "longest silence allowed inside a stream (default 10 s)",
        type=float,
        default=10.0,
        metavar="S",
    ),
    Option(
        "--max-stream-seconds",
        "max_stream_seconds",
        "a stream that goes on longer than this is cut and reported (default 60 s)",
        type=float,
        default=60.0,
        metavar="S",
    ),
    Option(
        "--max-body-bytes",
        "max_body_bytes",
        "an answer larger than this is cut and not judged (default 16 MiB)",
        type=int,
        default=16 * 1024 * 1024,
        metavar="N",
    ),
    Option("--insecure", "insecure", "do not verify TLS certificates", type=None, switch=True, default=False),
    Option(
        "--spec",
        "spec",
        "spec to judge by: a path (file or folder of pinned copies), URL or pin name (default: pin 6b8287f)",
        metavar="SPEC",
    ),
    Option(
        "--no-overlays",
        "no_overlays",
        "judge against the raw spec, without the errata overlays",
        type=None,
        switch=True,
        default=False,
    ),
    Option(
        "--include",
        "include",
        "operations to run: tag, operationId, path glob or 'METHOD /path' (repeatable, comma-separated)",
        repeat=True,
        metavar="PATTERN",
    ),
    Option(
        "--exclude",
        "exclude",
        "operations to leave out, same patterns as --include (repeatable)",
        repeat=True,
        metavar="PATTERN",
    ),
    Option(
        "--max-examples",
        "max_examples",
        "generated requests per operation (default 5)",
        type=int,
        default=5,
        metavar="N",
    ),
    Option(
        "--seed",
        "seed",
        "random seed: the same seed sends the same requests (default 0)",
        type=int,
        default=0,
        metavar="N",
    ),
    Option(
        "--negative",
        "negative",
        "generate invalid requests instead of valid ones",
        type=None,
        switch=True,
        default=False,
    ),
    Option(
        "--no-probes",
        "no_probes",
        "send only generated requests, not the hand-picked probes",
        type=None,
        switch=True,
        default=False,
    ),
    Option(
        "--model",
        "model",
        "model id to use in requests (repeatable; default: what GET /models lists)",
        repeat=True,
        metavar="ID",
    ),
    Option(
        "--max-tokens",
        "max_tokens",
        "cap for max_tokens-like parameters in generated requests (default 16)",
        type=int,
        default=16,
        metavar="N",
    ),
    Option(
        "--max-n",
        "max_n",
        "cap for n / best_of in generated requests (default 2)",
        type=int,
        default=2,
        metavar="N",
    ),
    Option(
        "--concurrency",
        "concurrency",
        "requests in flight at once, per worker (default 1)",
        type=int,
        default=1,
        metavar="N",
    ),
    Option(
        "--workers",
        "workers",
        "processes to spread operations over (default 1)",
        type=int,
        default=1,
        metavar="N",
    ),
    Option(
        "--draw-ahead",
        "draw_ahead",
        "openai-conformance run: draw requests in a helper process while others are sent: auto (default: with 2+ CPUs, one worker and 50+ requests), always or never (under pytest, use -n N)",
        default="auto",
        metavar="WHEN",
    ),
    Option(
        "--shard",
        "shard",
        "run only shard I of N of the selected operations, e.g. 2/4 (merge with `report merge`)",
        metavar="I/N",
    ),
    Option(
        "--max-time",
        "max_time",
        "whole-run time budget in seconds; reports keep what was done",
        type=float,
        metavar="S",
    ),
    Option(
        "--report-dir",
        "report_dir",
        "where report.json, junit.xml and summary.md go (default reports/)",
        default="reports",
        metavar="DIR",
    ),
    Option(
        "--expect-auth",
        "expect_auth",
        "the target requires a key: check that no key and a wrong key get 401",
        type=None,
        switch=True,
        default=False,
    ),
    Option(
        "--expect",
        "expect",
        "capabilities the target must implement (repeatable, comma-separated): models, chat, completions, embeddings, moderations, files, images, audio, batches, uploads, fine-tuning, assistants",
        repeat=True,
        metavar="CAPS",
    ),
    Option(
        "--profile",
        "profile",
        "strict (the spec as written) or compat (nullable-but-required fields missing are warnings)",
        default="strict",
        metavar="NAME",
    ),
    Option(
        "--fault",
        "fault",
        "embedded target only: switch on one deviation of the reference server",
        metavar="ID",
    ),
]


def add_options(add: Callable[..., Any], *, dest_prefix: str = "") -> None:
    """Register every option with an argparse-style ``add_argument`` (the CLI's, or pytest's addoption)."""
    for option in OPTIONS:
        kwargs: dict[str, Any] = {
            "dest": dest_prefix + option.dest,
            "help": option.help,
            "default": option.default,
        }
        if option.switch:
            kwargs["action"] = "store_true"
        else:
            kwargs["type"] = option.type
            kwargs["metavar"] = option.metavar
            if option.repeat:
                kwargs["action"] = "append"
        try:
            add(option.flag, **kwargs)
        except ValueError:  # another pytest plugin owns the flag (pytest-base-url's --base-url)
            if not dest_prefix:
                raise


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Options about the run's surroundings rather than its requests."""

    spec: str | None
    overlays: bool
    report_dir: Path
    workers: int = 1


def _split(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def _headers(values: Sequence[str] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values or ():
        name, sep, content = value.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
            raise ConfigError(f"--header {value!r} is not of the form 'Name: value'")
        if any(c in content for c in "\r\n"):
            raise ConfigError(f"--header {name.strip()!r} has a line break in its value")
        headers[name.strip()] = content.strip()
    return headers


def _shard(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    index, sep, count = value.partition("/")
    try:
        shard = (int(index), int(count))
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise ConfigError(f"--shard must be I/N with 1 <= I <= N, not {value!r}")
    return shard


def _positive(name: str, value: float | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ConfigError(f"{name} must be a positive number, not {value}")


def build_config(values: dict[str, Any]) -> tuple[RunConfig, SessionOptions]:
    """A checked :class:`RunConfig` from parsed option values (CLI or pytest)."""
    from openai_conformance.config import RunConfig
    from openai_conformance.generation.hints import Budget

    base_url = values.get("base_url")
    if base_url is not None and not str(base_url).startswith(("http://", "https://")):
        raise ConfigError(f"--base-url must start with http:// or https://, not {base_url!r}")
    _positive("--timeout", values.get("timeout"))
    _positive("--stream-idle-timeout", values.get("stream_idle_timeout"))
    _positive("--max-time", values.get("max_time"), allow_none=True)
    _positive("--max-stream-seconds", values.get("max_stream_seconds"))
    _positive("--max-body-bytes", values.get("max_body_bytes"))
    for name in ("max_examples", "max_tokens", "max_n"):
        if int(values.get(name) or 0) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, not {values.get(name)}")
    if values.get("expect_auth") and not (values.get("api_key") or os.environ.get("OPENAI_API_KEY")):
        raise ConfigError("--expect-auth needs a key (--api-key or OPENAI_API_KEY) to compare against")
    if values.get("fault") and base_url:
        raise ConfigError(
            "--fault switches on a deviation of the embedded reference server; it cannot be used with --base-url"
        )
    workers = values.get("workers") or 1
    if not 1 <= int(workers) <= 64:
        raise ConfigError(f"--workers must be between 1 and 64, not {workers}")
    shard = _shard(values.get("shard"))
    if not 1 <= int(values.get("concurrency") or 1) <= 64:
        raise ConfigError(f"--concurrency must be between 1 and 64, not {values.get('concurrency')}")
    from openai_conformance.generation.ahead import AHEAD_MODES

    draw_ahead = values.get("draw_ahead") or "auto"
    if draw_ahead not in AHEAD_MODES:
        raise ConfigError(f"--draw-ahead must be auto, always or never, not {draw_ahead!r}")
    profile = values.get("profile") or "strict"
    if profile not in ("strict", "compat"):
        raise ConfigError(f"--profile must be strict or compat, not {profile!r}")
    from openai_conformance.capabilities import CAPABILITIES

    expect = _split(values.get("expect"))
    unknown = [name for name in expect if name not in CAPABILITIES]
    if unknown:
        raise ConfigError(f"--expect: unknown capability {unknown[0]!r}; known: {', '.join(CAPABILITIES)}")
    api_key = values.get("api_key") or os.environ.get("OPENAI_API_KEY") or None
    budget = Budget(
        max_tokens=int(values["max_tokens"]), n=int(values["max_n"]), best_of=int(values["max_n"])
    )
    config = RunConfig(
        base_url=base_url,
        api_key=api_key,
        headers=_headers(values.get("header")),
        timeout=float(values["timeout"]),
        stream_idle_timeout=float(values["stream_idle_timeout"]),
        max_stream_seconds=float(values["max_stream_seconds"]),
        max_body_bytes=int(values["max_body_bytes"]),
        verify_tls=not values.get("insecure"),
        include=_split(values.get("include")),
        exclude=_split(values.get("exclude")),
        max_examples=int(values["max_examples"]),
        seed=int(values["seed"]),
        negative=bool(values.get("negative")),
        models=_split(values.get("model")),
        budget=budget,
        max_time=values.get("max_time"),
        fault=values.get("fault"),
        expect_auth=bool(values.get("expect_auth")),
        expect=expect,
        profile=profile,
        probes=not values.get("no_probes"),
        shard=shard,
        concurrency=int(values.get("concurrency") or 1),
        draw_ahead=draw_ahead,
    )
    session = SessionOptions(
        spec=values.get("spec"),
        overlays=not values.get("no_overlays"),
        report_dir=Path(values.get("report_dir") or "reports"),
        workers=int(values.get("workers") or 1),
    )
    return config, session
