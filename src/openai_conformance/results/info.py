"""What a run was about: the target, the spec and the settings (report.json's ``target``, ``spec``, ``settings``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .record import Record, from_record, record_of, records_of

__all__ = ["OverlayInfo", "Settings", "SpecInfo", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    """The server a run judged."""

    base_url: str
    embedded: bool = False  # the reference server the run started itself
    faults: tuple[str, ...] = ()  # the reference server's deviations switched on (embedded only)
    models: tuple[str, ...] = ()  # the models requests named
    api_base: str = ""  # where the spec's paths were sent: the base URL with or without /v1, as probed
    example_request: str = ""  # one request as sent, "GET http://host/v1/models": where requests went

    def to_dict(self) -> dict[str, Any]:
        data = record_of(self, blank_as_none=("api_base", "example_request"))
        if not self.embedded:
            del data["faults"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        faults = data.get("faults")
        if faults is None and data.get("fault"):  # reports of format 1.0 named one fault
            faults = [data["fault"]]
        return from_record(cls, {**data, "faults": faults})


@dataclass(frozen=True, slots=True)
class OverlayInfo(Record):
    name: str
    title: str
    sha256: str


@dataclass(frozen=True, slots=True)
class SpecInfo(Record):
    """The identity of the spec a run judged by, and the corrections applied to it."""

    title: str = ""
    openapi: str = ""
    sha256: str = ""
    origin: str = ""  # pin, path, url, …
    location: str = ""
    pin: str | None = None
    commit: str | None = None
    overlays: tuple[OverlayInfo, ...] = ()
    overlay_notes: tuple[str, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpecInfo:
        return from_record(cls, data, overlays=records_of(OverlayInfo, data.get("overlays")))


@dataclass(frozen=True, slots=True)
class Settings:
    """How a run was made: the reported options, and what the run loop decided by itself."""

    options: dict[str, Any] = field(default_factory=dict)  # RunConfig.describe(): never the key
    runner: str = "cli"  # "cli" (openai-conformance run) or "pytest"
    drawing: str = ""  # where requests were drawn (this process, a helper process, …)
    merged_from: int | None = None  # how many reports `report merge` joined into this one

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def to_dict(self) -> dict[str, Any]:
        data = {**self.options, "runner": self.runner, "drawing": self.drawing}
        if self.merged_from is not None:
            data["merged_from"] = self.merged_from
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        own = ("runner", "drawing", "merged_from")
        merged = data.get("merged_from")
        return cls(
            options={k: v for k, v in data.items() if k not in own},
            runner=str(data.get("runner") or "cli"),
            drawing=str(data.get("drawing") or ""),
            merged_from=int(merged) if isinstance(merged, int) else None,
        )
