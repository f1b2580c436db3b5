"""The files of a datastore, as a small filesystem: what a remote client's datastore
reads and writes through (see :mod:`mlyard.data.remote_fs`).

Paths are relative to the datastore root, normalized and confined: no absolute path,
no ``..``, and on a local folder no symlink leading outside it. Writes stream.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from fsspec.implementations.local import LocalFileSystem

from mlyard.data._paths import relative_path
from mlyard.data.datastore import Datastore
from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.server.context import editor, reply, viewer
from mlyard.server.streams import chunks, length_header, run_reading
from mlyard.wire.requests import Move
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/datastores/{name}/fs", tags=["datastore files"])
_PATH = Query("", max_length=4096)


@router.get("/info")
def info(name: str, path: str = _PATH, ws: Workspace = viewer) -> Response:
    """``{name, type, size}`` of a file or folder; 404 if there is none."""
    store, key = _locate(ws, name, path)
    try:
        found = store._fs.info(key)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"datastore {name!r} has nothing at {path!r}", field="path") from None
    return reply(_entry(store, found))


@router.get("/ls")
def ls(name: str, path: str = _PATH, ws: Workspace = viewer) -> Response:
    store, key = _locate(ws, name, path)
    try:
        found = store._fs.ls(key, detail=True)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"datastore {name!r} has no folder {path!r}", field="path") from None
    return reply([_entry(store, f) for f in found], list[dict[str, Any]])


@router.get("/find")
def find(name: str, path: str = _PATH, withdirs: bool = False, ws: Workspace = viewer):
    """Everything under ``path`` (files, and folders with ``withdirs``), recursively."""
    store, key = _locate(ws, name, path)
    try:
        found = store._fs.find(key, withdirs=withdirs, detail=True)
    except (FileNotFoundError, NotADirectoryError):
        found = {}
    return reply([_entry(store, f) for f in found.values()], list[dict[str, Any]])


@router.get("/file")
def read(name: str, path: str = _PATH, ws: Workspace = viewer) -> StreamingResponse:
    store, key = _locate(ws, name, path)
    if not store._fs.isfile(key):
        raise NotFoundError(f"datastore {name!r} has no file {path!r}", field="path")
    stream = store._fs.open(key, "rb")
    return StreamingResponse(
        chunks(stream), media_type="application/octet-stream", headers=length_header(stream)
    )


@router.put("/file", status_code=204)
async def write(request: Request, name: str, path: str = _PATH, ws: Workspace = editor):
    """Write the body to ``path`` (clients write a temporary name, then move it)."""
    store, key = _locate(ws, name, path, writing=True)

    def copy(body) -> None:
        fs = store._fs
        if isinstance(fs, LocalFileSystem):
            os.makedirs(os.path.dirname(key), exist_ok=True)
        with fs.open(key, "wb") as out:
            while chunk := body.read(1 << 20):
                out.write(chunk)

    try:
        await run_reading(request, copy)
    except BaseException:
        with contextlib.suppress(OSError):
            store._fs.rm_file(key)  # nothing half-written stays
        raise
    return Response(status_code=204)


@router.post("/mv", status_code=204)
def move(name: str, body: Move, ws: Workspace = editor) -> Response:
    store, src = _locate(ws, name, body.src, writing=True)
    _, dst = _locate(ws, name, body.dst, writing=True)
    if isinstance(store._fs, LocalFileSystem):
        os.replace(src, dst)  # atomic on one disk
    else:
        store._fs.mv(src, dst)
    return Response(status_code=204)


@router.delete("/file", status_code=204)
def remove(name: str, path: str = _PATH, ws: Workspace = editor) -> Response:
    store, key = _locate(ws, name, path, writing=True)
    if not store._fs.isfile(key):
        raise NotFoundError(f"datastore {name!r} has no file {path!r}", field="path")
    store._fs.rm_file(key)
    return Response(status_code=204)


def _locate(ws: Workspace, name: str, path: str, writing: bool = False) -> tuple[Datastore, str]:
    """The datastore and the filesystem key of ``path`` inside it, confined."""
    store = ws.get_datastore(name)
    rel = relative_path(path, "path")
    if writing and not rel:
        raise InvalidInputError("a file path is needed", field="path", fix="e.g. 'raw/a.csv'")
    key = store._key(rel)
    if isinstance(store._fs, LocalFileSystem):
        root = os.path.realpath(store._key(""))
        real = os.path.realpath(key)
        if real != root and not real.startswith(root + os.sep):
            raise InvalidInputError(
                f"{path!r} leads outside datastore {name!r} (through a symbolic link)",
                field="path",
                fix="use a path inside the datastore",
            )
    return store, key


def _entry(store: Datastore, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": store._rel(str(info["name"]).rstrip("/")),
        "type": "directory" if info.get("type") == "directory" else "file",
        "size": int(info.get("size") or 0),
    }
