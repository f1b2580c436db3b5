"""Versioned datasets: register a version, read one, list them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mlyard.names import check_name
from mlyard.server.context import Version, editor, reply, viewer
from mlyard.server.gate import creator
from mlyard.server.route import Route
from mlyard.store.records import DatasetVersionRecord
from mlyard.wire.requests import DatasetVersionCreate
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"], route_class=Route)


@router.post("/{name}/versions")
def create_dataset_version(
    name: str, body: DatasetVersionCreate, request: Request, ws: Workspace = editor
):
    """The next version of ``name``, or the existing one with the same fingerprint."""
    check_name(name, "dataset name", field="name")
    record, created = ws.store.create_dataset_version(
        name,
        body.kind,
        body.fingerprint,
        body.spec,
        body.files,
        body.profile,
        body.description,
        body.tags,
        created_by=creator(request, body.created_by),
    )
    return reply({"record": record, "created": created}, dict[str, DatasetVersionRecord | bool])


@router.get("")
def list_dataset_versions(name: str | None = None, ws: Workspace = viewer) -> Response:
    """All versions of ``name``, or the latest version of every dataset."""
    return reply(ws.store.list_dataset_versions(name), list[DatasetVersionRecord])


@router.get("/{name}/versions/latest")
def get_latest_dataset_version(name: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_dataset_version(name, None))


@router.get("/{name}/versions/{version}")
def get_dataset_version(name: str, version: Version, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_dataset_version(name, version))


@router.get("/{name}/fingerprints/{fingerprint}")
def find_dataset_version(name: str, fingerprint: str, ws: Workspace = viewer) -> Response:
    """The version with this fingerprint, or ``null``."""
    return reply(ws.store.find_dataset_version(name, fingerprint), DatasetVersionRecord | None)
