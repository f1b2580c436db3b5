"""The files of a datastore, as a small filesystem: what a remote client's datastore
reads and writes through (see :mod:`mlyard.data.remote_fs`).

Paths are relative to the datastore root, normalized and confined: no absolute path,
no ``..``, no NUL, and on a local folder no symlink leading outside it (listings leave
such links out, so not even the size of what they point at shows). Writes stream.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from fsspec.implementations.local import LocalFileSystem

from mlyard.data._paths import part_name, relative_path
from mlyard.data._transfer import open_file
from mlyard.data.datastore import Datastore
from mlyard.errors import ConflictError, InvalidInputError, NotFoundError
from mlyard.server.context import editor, reply, viewer
from mlyard.server.route import Route
from mlyard.server.streams import chunks, length_header, run_reading
from mlyard.wire.requests import Move
from mlyard.workspace import Workspace

router = APIRouter(
    prefix="/api/v1/datastores/{name}/fs", tags=["datastore files"], route_class=Route
)
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
    entries = [_entry(store, f) for f in found if _inside(store, f["name"])]
    return reply(entries, list[dict[str, Any]])


@router.get("/find")
def find(name: str, path: str = _PATH, withdirs: bool = False, ws: Workspace = viewer):
    """Everything under ``path`` (files, and folders with ``withdirs``), recursively."""
    store, key = _locate(ws, name, path)
    try:
        found = store._fs.find(key, withdirs=withdirs, detail=True)
    except (FileNotFoundError, NotADirectoryError):
        found = {}
    entries = [_entry(store, f) for f in found.values() if _inside(store, f["name"])]
    return reply(entries, list[dict[str, Any]])


@router.get("/file")
def read(
    name: str, path: str = _PATH, start: int = Query(0, ge=0), ws: Workspace = viewer
) -> StreamingResponse:
    """The file's bytes from offset ``start`` on (a reader that seeks asks again)."""
    store, key = _locate(ws, name, path)
    if not store._fs.isfile(key):
        raise NotFoundError(f"datastore {name!r} has no file {path!r}", field="path")
    stream = open_file(store._fs, key)
    if start:
        stream.seek(start)
    return StreamingResponse(
        chunks(stream), media_type="application/octet-stream", headers=length_header(stream)
    )


@router.put("/file", status_code=204)
async def write(request: Request, name: str, path: str = _PATH, ws: Workspace = editor):
    """Write the body to ``path`` (clients write a temporary name, then move it).

    Nothing half-written is ever at ``path``. On a folder the body goes to a temporary
    of this server process, renamed into place when whole: a server killed mid-write
    leaves only that, which `mlyard gc` removes once the process is gone. (The client's
    temporary name carries the client's pid, which means nothing on this machine.)
    """
    store, key = _locate(ws, name, path, writing=True)
    if isinstance(store._fs, LocalFileSystem):
        with _in_the_way(name, path, "path"):
            await run_reading(request, lambda body: _write_local(key, body))
        return Response(status_code=204)

    def copy(body) -> None:
        with open_file(store._fs, key, "wb") as out:
            while chunk := body.read(1 << 20):
                out.write(chunk)

    try:
        with _in_the_way(name, path, "path"):
            await run_reading(request, copy)
    except BaseException:
        with contextlib.suppress(OSError):
            store._fs.rm_file(key)  # an object store may have committed what it got
        raise
    return Response(status_code=204)


def _write_local(key: str, body: BinaryIO) -> None:
    os.makedirs(os.path.dirname(key), exist_ok=True)
    tmp = part_name(key)
    try:
        with open(tmp, "wb") as out:
            while chunk := body.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())  # durable before the rename makes it visible
        os.replace(tmp, key)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@router.post("/mv", status_code=204)
def move(name: str, body: Move, ws: Workspace = editor) -> Response:
    store, src = _locate(ws, name, body.src, writing=True, field="src")
    _, dst = _locate(ws, name, body.dst, writing=True, field="dst")
    if not store._fs.isfile(src):
        raise NotFoundError(f"datastore {name!r} has no file {body.src!r}", field="src")
    with _in_the_way(name, body.dst, "dst"):
        if isinstance(store._fs, LocalFileSystem):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
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


def _locate(
    ws: Workspace, name: str, path: str, writing: bool = False, field: str = "path"
) -> tuple[Datastore, str]:
    """The datastore and the filesystem key of ``path`` inside it, confined."""
    store = ws.get_datastore(name)
    rel = relative_path(path, field)
    if writing and not rel:
        raise InvalidInputError("a file path is needed", field=field, fix="e.g. 'raw/a.csv'")
    key = store._key(rel)
    if not _inside(store, key):
        raise InvalidInputError(
            f"{path!r} leads outside datastore {name!r} (through a symbolic link)",
            field=field,
            fix="use a path inside the datastore",
        )
    return store, key


@contextlib.contextmanager
def _in_the_way(name: str, path: str, field: str) -> Iterator[None]:
    """A folder where a file should go, or a file where a folder should: a conflict."""
    try:
        yield
    except OSError as e:
        if e.errno not in _IN_THE_WAY:
            raise
        raise ConflictError(
            f"datastore {name!r} has a file or folder in the way of {path!r}: {e.strerror}",
            field=field,
            fix="write to another path, or remove what is in the way",
        ) from None


_IN_THE_WAY = (errno.EEXIST, errno.EISDIR, errno.ENOTDIR, errno.ENOTEMPTY)


def _inside(store: Datastore, key: str) -> bool:
    """Whether ``key`` is inside the datastore, links followed (always, on a filesystem
    without links)."""
    if not isinstance(store._fs, LocalFileSystem):
        return True
    root = os.path.realpath(store._key(""))
    real = os.path.realpath(key)
    return real == root or real.startswith(root + os.sep)


def _entry(store: Datastore, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": store._rel(str(info["name"]).rstrip("/")),
        "type": "directory" if info.get("type") == "directory" else "file",
        "size": int(info.get("size") or 0),
    }
