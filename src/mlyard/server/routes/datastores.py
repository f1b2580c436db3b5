"""Datastores and the files uploaded to them.

A datastore URL relative to the workspace (the folder workspace's ``./datastores/…``)
means nothing on a client's machine: records leave the server with the URL as the
server sees it, so a remote ``Datastore.url`` names where the files really are.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Response

from mlyard.names import check_name
from mlyard.server.context import admin, editor, reply, viewer
from mlyard.store.records import DatastoreRecord, FileRecord
from mlyard.tracking.validation import artifact_name
from mlyard.wire.requests import DatastoreCreate, Files
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/datastores", tags=["datastores"])


@router.post("", status_code=201)
def register_datastore(body: DatastoreCreate, ws: Workspace = admin) -> Response:
    """Register a datastore URL as the server sees it (a folder of the server, s3://…)."""
    check_name(body.name, "datastore name", field="name")
    record = ws.store.register_datastore(body.name, body.url, body.is_default)
    return reply(_as_seen(ws, record), status=201)


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
