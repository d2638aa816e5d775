"""Faults the state checks catch: a store that forgets to delete, lists that forget an object."""

from __future__ import annotations

from openai_conformance.server.faults.fault import Fault

__all__ = ["STATE_FAULTS"]

# The operations of 6b8287f that delete a stored object, and those that list objects a client can
# create (the hooks act on the store, so on other specs they reach those specs' deletes and lists).
_DELETES = (
    "deleteModel",
    "deleteFile",
    "deleteAssistant",
    "deleteThread",
    "deleteMessage",
    "deleteVectorStore",
    "deleteVectorStoreFile",
    "delete-invite",
    "delete-user",
    "delete-project-user",
    "delete-project-service-account",
    "delete-project-api-key",
)
_LISTS = (
    "listFiles",
    "listPaginatedFineTuningJobs",
    "listAssistants",
    "listMessages",
    "listRuns",
    "listRunSteps",  # a run has its steps
    "listVectorStores",
    "listVectorStoreFiles",
    "listFilesInVectorStoreBatch",
    "listBatches",
    "list-invites",
    "list-users",
    "list-projects",
    "list-project-users",
    "list-project-service-accounts",
    "list-project-api-keys",
)

STATE_FAULTS: tuple[Fault, ...] = (
    Fault(
        "delete-noop",
        "state.delete",
        "DELETE answers `deleted: true` but the resource stays retrievable.",
        operations=_DELETES,
        removal=lambda obj: False,
    ),
    Fault(
        "list-misses-newest",
        "state.list",
        "List operations leave out the most recently created item.",
        # The files lifecycle probe (under deleteFile) looks for its file in GET /files.
        operations=(*_LISTS, "deleteFile"),
        listing=lambda items: items[:-1],
    ),
)
