"""Records as report.json holds them: a dataclass's fields written out as JSON values, and read back.

Reading is lenient, because reports of older formats and hand-edited baselines are read too: a
missing or empty value takes the field's default, and a value is converted to the field's declared
type (``str``, ``int``, ``float``, ``bool``, their optional forms and ``tuple[str, ...]``). A field of
any other type is read by the caller and passed in by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

__all__ = ["Record", "from_record", "record_of", "records_of"]

T = TypeVar("T")


#: How a value of each declared type is read, and what a required field of it is when missing.
_READERS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "str": (str, ""),
    "int": (int, 0),
    "float": (float, 0.0),
    "bool": (bool, False),
    "str | None": (str, None),
    "int | None": (int, None),
    "float | None": (float, None),
    "tuple[str, ...]": (lambda value: tuple(str(item) for item in value), ()),
}


class Record:
    """A record written out by its fields, each as its JSON value (``to_dict``); the subclass (a
    slotted dataclass) says how it is read back."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return record_of(self)


def _written(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_written(item) for item in value]
    return value


def record_of(obj: Any, *, blank_as_none: Collection[str] = ()) -> dict[str, Any]:
    """The fields of the dataclass ``obj`` in declaration order, nested records written by their
    ``to_dict``, tuples as lists; the fields named in ``blank_as_none`` as ``null`` when empty."""
    data = {field.name: _written(getattr(obj, field.name)) for field in dataclasses.fields(obj)}
    for name in blank_as_none:
        data[name] = data[name] or None
    return data


def from_record(cls: type[T], data: Mapping[str, Any], **given: Any) -> T:
    """An instance of the dataclass ``cls`` from ``data``; the fields in ``given`` are taken as they are."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in given or not field.init:
            continue
        known = _READERS.get(str(field.type))
        if known is None:
            raise TypeError(f"{cls.__name__}.{field.name} ({field.type}) must be given")
        read, empty = known
        has_default = (
            field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        )
        value = data.get(field.name)
        try:
            if value is not None and value != "":
                values[field.name] = read(value)
                continue
        except (TypeError, ValueError):
            pass  # a value of the wrong kind counts as missing
        if not has_default:
            values[field.name] = empty
    return cls(**values, **given)


def records_of(
    cls: type[T], items: Any, read: Callable[[Mapping[str, Any]], T] | None = None
) -> tuple[T, ...]:
    """Every object of the list ``items`` read as a ``cls`` (by ``read`` when given); anything else skipped."""
    reader = read or (lambda item: from_record(cls, item))
    return tuple(reader(item) for item in items or () if isinstance(item, dict))
