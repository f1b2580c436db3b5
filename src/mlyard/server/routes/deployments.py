"""Deployment records: what every machine may see of a service (admins write them).

Clients deploy through ``/api/v1/services``; these routes are the store's own view.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from mlyard.server.context import admin, reply, viewer
from mlyard.server.route import Route
from mlyard.store.records import DeploymentRecord
from mlyard.wire import codec
from mlyard.wire.requests import DeploymentStateSet
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/deployments", tags=["deployments"], route_class=Route)


@router.get("")
def list_deployments(name: str | None = None, ws: Workspace = viewer) -> Response:
    """Every deployment, or the one called ``name`` (a list of zero or one)."""
    if name is not None:
        found = ws.store.find_deployment(name)
        return reply([found] if found else [], list[DeploymentRecord])
    return reply(ws.store.list_deployments(), list[DeploymentRecord])


@router.get("/{name}")
def get_deployment(name: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_deployment(name))


@router.put("/{name}")
def put_deployment(name: str, body: dict, ws: Workspace = admin) -> Response:
    record: DeploymentRecord = codec.load(body, DeploymentRecord)
    if record.name != name:
        from mlyard.errors import InvalidInputError

        raise InvalidInputError(f"the record is named {record.name!r}, not {name!r}", field="name")
    return reply(ws.store.put_deployment(record))


@router.patch("/{name}/state")
def set_deployment_state(name: str, body: DeploymentStateSet, ws: Workspace = admin):
    return reply(ws.store.set_deployment_state(name, body.state, body.error))


@router.delete("/{name}", status_code=204)
def delete_deployment(name: str, ws: Workspace = admin) -> Response:
    ws.store.delete_deployment(name)
    return Response(status_code=204)
