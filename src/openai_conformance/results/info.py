"""What a run was about: the target, the spec and the settings (report.json's ``target``, ``spec``, ``settings``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

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
        data: dict[str, Any] = {"base_url": self.base_url, "embedded": self.embedded}
        if self.embedded:
            data["faults"] = list(self.faults)
        data["models"] = list(self.models)
        data["api_base"] = self.api_base or None
        data["example_request"] = self.example_request or None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        faults = data.get("faults")
        if faults is None and data.get("fault"):  # reports of format 1.0 named one fault
            faults = [data["fault"]]
        return cls(
            base_url=str(data.get("base_url") or ""),
            embedded=bool(data.get("embedded")),
            faults=tuple(str(f) for f in faults or ()),
            models=tuple(str(m) for m in data.get("models") or ()),
            api_base=str(data.get("api_base") or ""),
            example_request=str(data.get("example_request") or ""),
        )


@dataclass(frozen=True, slots=True)
class OverlayInfo:
    name: str
    title: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class SpecInfo:
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

    def to_dict(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["overlays"] = [overlay.to_dict() for overlay in self.overlays]
        data["overlay_notes"] = list(self.overlay_notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpecInfo:
        return cls(
            title=str(data.get("title") or ""),
            openapi=str(data.get("openapi") or ""),
            sha256=str(data.get("sha256") or ""),
            origin=str(data.get("origin") or ""),
            location=str(data.get("location") or ""),
            pin=data.get("pin"),
            commit=data.get("commit"),
            overlays=tuple(
                OverlayInfo(str(o.get("name", "")), str(o.get("title", "")), str(o.get("sha256", "")))
                for o in data.get("overlays") or ()
                if isinstance(o, dict)
            ),
            overlay_notes=tuple(str(n) for n in data.get("overlay_notes") or ()),
        )


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
