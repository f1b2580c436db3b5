"""Datastores and the files uploaded to them.

A datastore URL relative to the workspace (the folder workspace's ``./datastores/…``)
means nothing on a client's machine: records leave the server with the URL as the
server sees it, so a remote ``Datastore.url`` names where the files really are.
"""

from __future__ import annotations

import os
from dataclasses import replace

from fastapi import APIRouter, Response

from mlyard.errors import InvalidInputError
from mlyard.names import check_name
from mlyard.server.context import admin, editor, reply, viewer
from mlyard.server.route import Route
from mlyard.store.records import DatastoreRecord, FileRecord
from mlyard.tracking.validation import artifact_name
from mlyard.wire.requests import DatastoreCreate, Files
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/datastores", tags=["datastores"], route_class=Route)


@router.post("", status_code=201)
def register_datastore(body: DatastoreCreate, ws: Workspace = admin) -> Response:
    """Register a datastore URL as the server sees it (a folder of the server, s3://…)."""
    check_name(body.name, "datastore name", field="name")
    url = _server_url(body.url)
    record = ws.store.register_datastore(body.name, url, body.is_default)
    return reply(_as_seen(ws, record), status=201)


def _server_url(url: str) -> str:
    """``url`` if the server can tell where it is: a URL with a scheme, an absolute
    folder of the server's, or ``./…`` inside the workspace — never a folder relative
    to wherever the server process happened to start."""
    if any(ord(c) < 32 for c in url):
        raise InvalidInputError(
            f"datastore URL {url!r} contains control characters", field="url", fix=_URL_FIX
        )
    if "://" in url or os.path.isabs(url) or url.startswith("./"):
        return url
    raise InvalidInputError(
        f"datastore URL {url!r} is a relative folder: the server cannot tell where it is",
        field="url",
        fix=_URL_FIX,
    )


_URL_FIX = "give an absolute folder of the server, './name' inside the workspace, or s3://…"


@router.get("")
def list_datastores(ws: Workspace = viewer) -> Response:
    return reply([_as_seen(ws, r) for r in ws.store.list_datastores()], list[DatastoreRecord])


@router.get("/default")
def get_default_datastore(ws: Workspace = viewer) -> Response:
    return reply(_as_seen(ws, ws.store.get_datastore(None)))


@router.get("/{name}")
def get_datastore(name: str, ws: Workspace = viewer) -> Response:
    return reply(_as_seen(ws, ws.store.get_datastore(name)))


@router.post("/{name}/files", status_code=204)
def record_datastore_files(name: str, body: Files, ws: Workspace = editor) -> Response:
    files = [FileRecord(artifact_name(f.path, "path"), f.sha256, f.size) for f in body.files]
    ws.store.record_datastore_files(name, files)
    return Response(status_code=204)


@router.get("/{name}/files")
def get_datastore_files(name: str, prefix: str = "", ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_datastore_files(name, prefix), list[FileRecord])


def _as_seen(ws: Workspace, record: DatastoreRecord) -> DatastoreRecord:
    return replace(record, url=ws.resolve_url(record.url))
