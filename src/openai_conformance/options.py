"""How a run option is declared: once, as a field of :class:`~openai_conformance.config.RunConfig`.

A field made with :func:`option` carries its flag, help, metavar, how a command-line value is parsed
and checked, which environment variable stands in for it, and how it appears in the report's
settings. The CLI's flags, the pytest options, ``RunConfig.from_values`` and ``RunConfig.describe``
are all read from those declarations (this module is light: the pytest plugin imports it in every
pytest session).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openai_conformance.errors import ConfigError

__all__ = [
    "Option",
    "at_least",
    "between",
    "choice",
    "comma_list",
    "declared_options",
    "header_lines",
    "headers",
    "http_url",
    "listed",
    "number",
    "option",
    "positive",
    "secret",
    "shard",
    "switch",
    "text",
]

#: Turns what the command line (or pytest, or the environment) gave into the field's value, or
#: raises ConfigError naming the flag and the value.
Convert = Callable[[str, Any], Any]


@dataclass(frozen=True, slots=True)
class Option:
    """One run option: its flag and help, how it is parsed, checked and reported."""

    flag: str
    help: str
    metavar: str | None = None
    parse: Callable[[str], Any] | None = str  # each command-line value; None: a switch (no value)
    repeat: bool = False  # the flag may be given several times (a list reaches ``convert``)
    invert: bool = False  # a switch that turns the field off (``--no-probes`` → ``probes=False``)
    env: str | None = None  # read from the environment when the flag is absent
    convert: Convert | None = None  # raw value → field value (and its checks)
    report: str | None = ""  # key in the report's settings ("" = the field name; None = never reported)
    to_report: Callable[[Any], Any] | None = None  # the field's value as the report shows it
    cli_only: bool = False  # ``openai-conformance run`` only, not a pytest option


def option(
    flag: str,
    help: str,
    *,
    default: Any = None,
    factory: Callable[[], Any] | None = None,
    **declaration: Any,
) -> Any:
    """A :class:`RunConfig` field declared with its option (``default`` or ``factory`` as dataclasses)."""
    metadata = {"option": Option(flag, help, **declaration)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def switch(flag: str, help: str, *, on: bool = False, **declaration: Any) -> Any:
    """A flag without a value; ``on=True``: the field is True unless the flag is given (``--no-…``)."""
    return option(flag, help, default=on, parse=None, invert=on, **declaration)


def number(
    flag: str, default: float | None, help: str, *, parse: Callable[[str], Any] = int, **declaration: Any
) -> Any:
    """A number (``int`` unless ``parse`` says ``float``), positive unless ``convert`` says otherwise."""
    declaration.setdefault("convert", positive)
    declaration.setdefault("metavar", "S" if parse is float else "N")
    return option(flag, help, default=default, parse=parse, **declaration)


def text(flag: str, help: str, *, default: Any = None, **declaration: Any) -> Any:
    """A string, or one of ``choices``."""
    choices = declaration.pop("choices", None)
    if choices:
        declaration["convert"] = choice(*choices)
    return option(flag, help, default=default, **declaration)


def listed(flag: str, help: str, *, metavar: str = "PATTERN", **declaration: Any) -> Any:
    """A repeatable, comma-separated list (a tuple; the report shows a list)."""
    declaration.setdefault("convert", comma_list)
    return option(flag, help, default=(), metavar=metavar, repeat=True, to_report=list, **declaration)


def secret(flag: str, help: str, *, env: str) -> Any:
    """A credential (an API key), from the flag or ``env``: the report never shows it."""
    return text(flag, help, metavar="KEY", env=env, report=None)


def header_lines(flag: str, help: str, *, report: str) -> Any:
    """Repeatable ``Name: value`` headers (a dict); values may hold credentials, so the report
    shows the header names only, under ``report``."""
    return option(
        flag,
        help,
        factory=dict,
        metavar="HEADER",
        repeat=True,
        convert=headers,
        report=report,
        to_report=sorted,
    )


def declared_options(config_class: type) -> list[tuple[dataclasses.Field[Any], Option]]:
    """The fields of ``config_class`` that declare an option, in declaration order."""
    return [
        (field, field.metadata["option"])
        for field in dataclasses.fields(config_class)
        if isinstance(field.metadata.get("option"), Option)
    ]


def raw_value(field: dataclasses.Field[Any], declared: Option, values: Mapping[str, Any]) -> Any:
    """What the user gave for a field: the parsed flag, else the environment, else None."""
    value = values.get(field.name)
    if declared.parse is None:  # a switch: absent is False
        given = bool(value)
        return (not given) if declared.invert else given
    if value in (None, []) and declared.env:
        value = os.environ.get(declared.env) or None
    return value


# -- converters: each names the flag and the value it refuses -----------------------------------------


def positive(flag: str, value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{flag} must be a positive number, not {value}")
    return value


def at_least(minimum: int) -> Convert:
    def convert(flag: str, value: Any) -> int:
        if not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{flag} must be at least {minimum}, not {value}")
        return value

    return convert


def between(low: int, high: int) -> Convert:
    def convert(flag: str, value: Any) -> int:
        if not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{flag} must be between {low} and {high}, not {value}")
        return value

    return convert


def choice(*names: str) -> Convert:
    def convert(flag: str, value: Any) -> str:
        if value not in names:
            listed = ", ".join(names[:-1]) + " or " + names[-1]
            raise ConfigError(f"{flag} must be {listed}, not {value!r}")
        return str(value)

    return convert


def comma_list(flag: str, values: Any) -> tuple[str, ...]:
    """Repeatable, comma-separated values as one tuple (``--include a,b --include c``)."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(part.strip() for value in values for part in str(value).split(",") if part.strip())


def http_url(flag: str, value: Any) -> str | None:
    if value is not None and not str(value).startswith(("http://", "https://")):
        raise ConfigError(f"{flag} must start with http:// or https://, not {value!r}")
    return None if value is None else str(value)


def headers(flag: str, values: Sequence[str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values or ():
        name, sep, content = value.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
            raise ConfigError(f"{flag} {value!r} is not of the form 'Name: value'")
        if any(c in content for c in "\r\n"):
            raise ConfigError(f"{flag} {name.strip()!r} has a line break in its value")
        result[name.strip()] = content.strip()
    return result


def shard(flag: str, value: Any) -> tuple[int, int] | None:
    if not value:
        return None
    index, sep, count = str(value).partition("/")
    try:
        parsed = (int(index), int(count))
    except ValueError:
        parsed = (0, 0)
    if not sep or not 1 <= parsed[0] <= parsed[1]:
        raise ConfigError(f"{flag} must be I/N with 1 <= I <= N, not {value!r}")
    return parsed
