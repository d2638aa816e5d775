"""Which of the target's models suit which operation, from their ids alone."""

from __future__ import annotations

__all__ = ["models_for"]

# Operation families and the id fragments of the models that serve them.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "embedding": ("embed",),
    "speech": ("tts", "speech"),
    "transcription": ("whisper", "transcribe", "asr"),
    "image": ("dall-e", "image", "diffusion"),
    "moderation": ("moderation", "guard"),
}
_NON_CHAT = tuple(fragment for fragments in _FAMILIES.values() for fragment in fragments)


def _family(operation_id: str) -> str:
    op = operation_id.lower()
    if "embedding" in op:
        return "embedding"
    if "speech" in op:
        return "speech"
    if "transcription" in op or "translation" in op:
        return "transcription"
    if "image" in op:
        return "image"
    if "moderation" in op:
        return "moderation"
    return "chat"


def models_for(operation_id: str, models: list[str]) -> list[str]:
    """The models fit for an operation; all of them when none looks fit (the target decides)."""
    family = _family(operation_id)
    if operation_id == "deleteModel":  # only a fine-tuned model ("ft:…", OpenAI's ids) is the caller's
        return [m for m in models if m.startswith("ft:")] or list(models)
    if family == "chat":
        fit = [m for m in models if not any(fragment in m.lower() for fragment in _NON_CHAT)]
    else:
        fit = [m for m in models if any(fragment in m.lower() for fragment in _FAMILIES[family])]
    return fit or list(models)
