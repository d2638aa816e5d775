"""Faults the state checks catch in the store: a delete that keeps the object, a list that forgets one.

(The faults of one step of a workflow — a retrieve or update that drifts, content that changes, a
lifecycle that moves backwards — are in lifecycle.py.)
"""

from __future__ import annotations

from openai_conformance.server.faults.fault import Faults
from openai_conformance.server.hooks import LISTING, REMOVAL, StoredObject

__all__ = ["STATE_FAULTS"]

STATE_FAULTS = Faults()
fault = STATE_FAULTS.declare

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
# The workflows that delete what they created and look it up again, and those that list it.
_DELETING_WORKFLOWS = ("createFile", "createAssistant", "createThread", "createVectorStore")
_LISTING_WORKFLOWS = (
    "createFile",
    "createBatch",
    "createAssistant",
    "createThread",
    "createVectorStore",
    "createFineTuningJob",
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


@fault("delete-noop", "state.delete", _DELETES, _DELETING_WORKFLOWS, at=REMOVAL)
def _kept(obj: StoredObject) -> bool:
    """DELETE answers `deleted: true` but the resource stays retrievable."""
    return False


@fault("list-misses-newest", "state.list", _LISTS, _LISTING_WORKFLOWS, at=LISTING)
def _without_newest(items: list[StoredObject]) -> list[StoredObject]:
    """List operations leave out the most recently created item."""
    return items[:-1]
