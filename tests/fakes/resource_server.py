"""A server that implements only files and batches, as a third-party server might, keeping what it is sent.

A batch names its input file, which must exist (400 otherwise), so batches are reached only by a run
that feeds the ids of uploaded files into its requests. Every other route of the API is missing
(a framework's plain 404). Switchable breakages of the create: ``create-no-id`` (a file is answered
without its id, and not kept) and ``create-500``.
"""

from __future__ import annotations

import itertools
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["BREAKAGES", "create_app"]

CREATED = 1723075200
BREAKAGES = ("create-no-id", "create-500")
_PURPOSES = {"assistants", "batch", "fine-tune", "vision", "user_data", "evals"}


def _error(status: int, message: str, param: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}, status
    )


def create_app(breakage: str | None = None) -> Starlette:
    if breakage is not None and breakage not in BREAKAGES:
        raise ValueError(f"unknown breakage {breakage!r}")
    files: dict[str, dict[str, Any]] = {}
    contents: dict[str, bytes] = {}
    batches: dict[str, dict[str, Any]] = {}
    counter = itertools.count(1)

    async def list_models(request: Request) -> Response:
        model = {"id": "store-chat", "object": "model", "created": CREATED, "owned_by": "store"}
        return JSONResponse({"object": "list", "data": [model]})

    async def create_file(request: Request) -> Response:
        form = await request.form()
        upload, purpose = form.get("file"), form.get("purpose")
        if upload is None or isinstance(upload, str) or purpose not in _PURPOSES:
            return _error(400, "file and a known purpose are required", "purpose")
        data = await upload.read()
        if breakage == "create-500":
            return _error(500, "the storage is unavailable")
        file_id = f"file-{next(counter):06d}"
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": CREATED,
            "filename": upload.filename or "upload",
            "purpose": purpose,
            "status": "processed",
        }
        if breakage == "create-no-id":  # and nothing is kept either
            return JSONResponse({k: v for k, v in obj.items() if k != "id"})
        files[file_id], contents[file_id] = obj, data
        return JSONResponse(obj)

    async def list_files(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": list(files.values())})

    def _file(request: Request) -> dict[str, Any] | None:
        return files.get(request.path_params["file_id"])

    async def retrieve_file(request: Request) -> Response:
        found = _file(request)
        return JSONResponse(found) if found else _error(404, "No such file", "file_id")

    async def delete_file(request: Request) -> Response:
        found = _file(request)
        if found is None:
            return _error(404, "No such file", "file_id")
        del files[found["id"]]
        return JSONResponse({"id": found["id"], "object": "file", "deleted": True})

    async def file_content(request: Request) -> Response:
        found = _file(request)
        if found is None:
            return _error(404, "No such file", "file_id")
        return Response(contents[found["id"]], media_type="application/octet-stream")

    async def create_batch(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or body.get("input_file_id") not in files:
            return _error(400, "input_file_id names no file", "input_file_id")
        batch_id = f"batch_{next(counter):06d}"
        batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": str(body.get("endpoint", "")),
            "input_file_id": body["input_file_id"],
            "completion_window": str(body.get("completion_window", "24h")),
            "status": "validating",
            "created_at": CREATED,
        }
        return JSONResponse(batches[batch_id])

    async def list_batches(request: Request) -> Response:
        data = list(batches.values())
        after = request.query_params.get("after")
        ids = [batch["id"] for batch in data]
        if after in ids:
            data = data[ids.index(after) + 1 :]
        try:
            limit = min(max(int(request.query_params.get("limit", "20")), 1), 100)
        except ValueError:
            return _error(400, "limit must be an integer", "limit")
        page: dict[str, Any] = {"object": "list", "data": data[:limit], "has_more": len(data) > limit}
        data = data[:limit]
        if data:
            page.update(first_id=data[0]["id"], last_id=data[-1]["id"])
        return JSONResponse(page)

    async def retrieve_batch(request: Request) -> Response:
        found = batches.get(request.path_params["batch_id"])
        return JSONResponse(found) if found else _error(404, "No such batch", "batch_id")

    async def cancel_batch(request: Request) -> Response:
        found = batches.get(request.path_params["batch_id"])
        if found is None:
            return _error(404, "No such batch", "batch_id")
        if found["status"] in ("cancelling", "cancelled"):
            return _error(400, "The batch is already being cancelled")
        found.update(status="cancelling", cancelling_at=CREATED + 1)
        return JSONResponse(found)

    async def missing(request: Request) -> Response:
        return PlainTextResponse("Not Found", 404)

    routes = [
        Route("/v1/models", list_models),
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
        Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
        Route("/v1/batches", create_batch, methods=["POST"]),
        Route("/v1/batches", list_batches, methods=["GET"]),
        Route("/v1/batches/{batch_id}", retrieve_batch, methods=["GET"]),
        Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
        Route("/{rest:path}", missing, methods=["GET", "POST", "DELETE"]),
    ]
    return Starlette(routes=routes)
