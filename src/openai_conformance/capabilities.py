"""Capabilities: the user's names for groups of operations (``--expect chat,embeddings``)."""

from __future__ import annotations

from openai_conformance.validation.registry import check
from openai_conformance.validation.violations import Violation

__all__ = ["CAPABILITIES", "capability_of", "missing_capability"]

#: capability → the operationIds that make it up (6b8287f names; later specs keep them).
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "models": ("listModels", "retrieveModel"),
    "chat": ("createChatCompletion",),
    "completions": ("createCompletion",),
    "embeddings": ("createEmbedding",),
    "moderations": ("createModeration",),
    "files": ("createFile", "listFiles", "retrieveFile", "deleteFile", "downloadFile"),
    "images": ("createImage", "createImageEdit", "createImageVariation"),
    "audio": ("createSpeech", "createTranscription", "createTranslation"),
    "batches": ("createBatch", "retrieveBatch", "listBatches", "cancelBatch"),
    "uploads": ("createUpload", "addUploadPart", "completeUpload", "cancelUpload"),
    "fine-tuning": ("createFineTuningJob", "listPaginatedFineTuningJobs", "retrieveFineTuningJob"),
    "assistants": ("createAssistant", "listAssistants", "getAssistant", "modifyAssistant", "deleteAssistant"),
    # The newer specs' Responses API (f85dbe2): create, retrieve, delete, cancel, list the inputs.
    "responses": ("createResponse", "getResponse", "deleteResponse", "cancelResponse", "listInputItems"),
}


def capability_of(operation_id: str) -> str | None:
    """The capability an operation belongs to, if any."""
    for name, operation_ids in CAPABILITIES.items():
        if operation_id in operation_ids:
            return name
    return None


@check("capability.missing", "error")
def missing_capability(capability: str, label: str) -> Violation:
    """An operation named by --expect is implemented by the target.

    The finding of an operation the target does not implement although ``capability`` was expected.

    Reference: the user's --expect list
    Why: the user named the capability with --expect: its absence is the finding
    """
    return missing_capability.violation(
        f"--expect names {capability!r}, but the target does not implement {label}"
    )
