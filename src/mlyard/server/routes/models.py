"""The model registry: versions, aliases, tags."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mlyard.names import check_name
from mlyard.server.context import Version, editor, reply, viewer
from mlyard.server.gate import creator
from mlyard.server.route import Route
from mlyard.store.records import ModelVersionRecord, RegisteredModelRecord
from mlyard.wire.requests import AliasSet, ModelVersionCreate, ModelVersionQuery, TagKeys, Tags
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/models", tags=["models"], route_class=Route)


@router.post("/{name}/versions", status_code=201)
def create_model_version(
    name: str, body: ModelVersionCreate, request: Request, ws: Workspace = editor
):
    check_name(name, "model name", field="name")
    fields = body.model_dump() | {"created_by": creator(request, body.created_by)}
    record = ws.store.create_model_version(name, **fields)
    return reply(record, status=201)


@router.get("")
def list_models(name: str | None = None, ws: Workspace = viewer) -> Response:
    return reply(ws.store.list_models(name), list[RegisteredModelRecord])


@router.post("/versions/query")
def list_model_versions(body: ModelVersionQuery, ws: Workspace = viewer) -> Response:
    """Versions of ``name`` (or of every model) carrying all ``tags`` (None: any value)."""
    return reply(ws.store.list_model_versions(body.name, body.tags), list[ModelVersionRecord])


@router.get("/{name}/versions/latest")
def get_latest_model_version(name: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_model_version(name, None))


@router.get("/{name}/versions/{version}")
def get_model_version(name: str, version: Version, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_model_version(name, version))


@router.get("/{name}/aliases/{alias}")
def get_model_version_by_alias(name: str, alias: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_model_version_by_alias(name, alias))


@router.put("/{name}/aliases/{alias}", status_code=204)
def set_model_alias(name: str, alias: str, body: AliasSet, ws: Workspace = editor):
    check_name(alias, "alias", field="alias")
    ws.store.set_model_alias(name, alias, body.version)
    return Response(status_code=204)


@router.delete("/{name}/aliases/{alias}", status_code=204)
def delete_model_alias(name: str, alias: str, ws: Workspace = editor) -> Response:
    ws.store.delete_model_alias(name, alias)
    return Response(status_code=204)


@router.patch("/{name}/versions/{version}/tags", status_code=204)
def set_model_version_tags(name: str, version: Version, body: Tags, ws: Workspace = editor):
    ws.store.set_model_version_tags(name, version, body.tags)
    return Response(status_code=204)


@router.post("/{name}/versions/{version}/tags/delete", status_code=204)
def delete_model_version_tags(name: str, version: Version, body: TagKeys, ws: Workspace = editor):
    ws.store.delete_model_version_tags(name, version, body.keys)
    return Response(status_code=204)
