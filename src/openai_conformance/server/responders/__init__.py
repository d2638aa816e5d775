"""The conformant responders: one per operation of the spec, chosen by operationId or by path shape.

Model endpoints have their own (chat, completions, embeddings, moderations, images, audio, models),
files, uploads and threads theirs; every other collection of the spec gets the generic
create/retrieve/list/modify/delete of ``Resources``; anything else answers the minimal body its
200 schema allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from openai_conformance.server.answers import Answer, Reply
from openai_conformance.server.call import Call
from openai_conformance.server.core import Server
from openai_conformance.server.responders import files, media, models, responses, threads
from openai_conformance.server.responders.chat import chat
from openai_conformance.server.responders.completions import completions
from openai_conformance.server.responders.embeddings import embeddings
from openai_conformance.server.responders.resources import Resources
from openai_conformance.server.routing import Operation

__all__ = ["Responder", "responders"]

#: Answers one validated request of its operation (raises ``RequestError`` to refuse it).
Responder = Callable[[Call], Reply]

_BY_SERVER: dict[str, Callable[[Server, Call], Reply]] = {
    "listModels": models.list_models,
    "retrieveModel": models.retrieve_model,
    "deleteModel": models.delete_model,
    "createChatCompletion": chat,
    "createCompletion": completions,
    "createEmbedding": embeddings,
    "createModeration": media.moderations,
    "createImage": media.images,
    "createImageEdit": media.images,
    "createImageVariation": media.images,
    "createSpeech": media.speech,
    "createTranscription": media.transcription,
    "createTranslation": media.transcription,
    "createResponse": responses.create_response,
    "getResponse": responses.retrieve_response,
    "deleteResponse": responses.delete_response,
    "cancelResponse": responses.cancel_response,
    "Getinputtokencounts": responses.count_input_tokens,
}
_BY_RESOURCES: dict[str, Callable[[Resources, Call], Reply]] = {
    "createFile": files.create_file,
    "listFiles": files.list_files,
    "retrieveFile": files.retrieve_file,
    "deleteFile": files.delete_file,
    "downloadFile": files.download_file,
    "createUpload": files.create_upload,
    "addUploadPart": files.add_upload_part,
    "completeUpload": files.complete_upload,
    "cancelUpload": files.cancel_upload,
    "createThread": threads.create_thread,
    "createThreadAndRun": threads.create_thread_and_run,
    "listFilesInVectorStoreBatch": threads.list_batch_files,
    "listInputItems": responses.list_input_items,
}


def responders(server: Server) -> dict[str, Responder]:
    """The responder of every operation of ``server``'s spec, by operationId."""
    resources = Resources(server)
    table: dict[str, Responder] = {}
    for op in server.router.operations:
        # The newer spec's `?beta=true` twins of the Responses operations are served alike.
        name = op.operation_id.removeprefix("beta_")
        if name in _BY_SERVER:
            table[op.operation_id] = partial(_BY_SERVER[name], server)
        elif name in _BY_RESOURCES:
            table[op.operation_id] = partial(_BY_RESOURCES[name], resources)
        else:
            table[op.operation_id] = _generic(server, resources, op)
    return table


def _generic(server: Server, resources: Resources, op: Operation) -> Responder:
    """The responder of an operation without a dedicated one, chosen from the shape of its path."""
    on_collection = {"GET": resources.list, "POST": resources.create}
    on_item = {"GET": resources.retrieve, "POST": resources.modify, "DELETE": resources.delete}
    kind = resources.kinds.get(op.path)
    if kind is not None and op.method in on_collection:
        return partial(on_collection[op.method], kind)
    match = re.fullmatch(r"(.*)/\{[^}/]+\}", op.path)
    if match and match.group(1) in resources.kinds and op.method in on_item:
        return partial(on_item[op.method], resources.kinds[match.group(1)])
    match = re.fullmatch(r"(.*)/\{[^}/]+\}/([^{}/]+)", op.path)
    if match and match.group(1) in resources.kinds:
        owner = resources.kinds[match.group(1)]
        if op.method == "POST":
            return partial(resources.action, owner, match.group(2))

        def sub_list(call: Call) -> Reply:
            resources.get(owner, call.path_args)
            return resources.list(None, call, [])

        return sub_list
    if op.success_media == "application/sdp":  # f85dbe2's POST /realtime/calls answers the SDP answer
        return partial(_sdp_answer, server)
    return lambda call: Answer(server.template(call.op))


# The least SDP answer a WebRTC peer parses (no media: the reference server carries no audio).
_SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def _sdp_answer(server: Server, call: Call) -> Reply:
    """A created realtime call: its SDP answer, and where to control it (``Location``)."""
    call_id = server.store.new_id("rtc_", call.body)
    status = int(call.op.success_status) if call.op.success_status.isdigit() else 201
    return Answer(
        raw=_SDP.encode(),
        media_type="application/sdp",
        status=status,
        headers={"Location": f"/v1/realtime/calls/{call_id}"},
    )
