"""Services run by the server's own deployer, on the server's host.

A remote workspace's ``Model.deploy`` lands here; the server deploys through the SDK
(:mod:`mlyard.serving`) exactly as an embedded workspace would, and owns the process.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from mlyard.names import check_name
from mlyard.server.context import admin, reply, viewer
from mlyard.server.route import Route
from mlyard.serving.stages import StageLog
from mlyard.store.records import DeploymentRecord
from mlyard.wire.requests import ServiceCreate
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/services", tags=["services"], route_class=Route)


@router.post("", status_code=201)
def deploy(body: ServiceCreate, ws: Workspace = admin) -> Response:
    """Start the service and answer at once (state ``Transitioning``)."""
    check_name(body.name, "service name", field="name", max_length=63)
    record = ws.services.deploy(body.name, body.models, body.overwrite, body.deployment_config)
    return reply(record, status=201)


@router.get("/{name}/state")
def state(name: str, ws: Workspace = viewer) -> Response:
    """The state checked against the process: ``Healthy`` only if it answers."""
    record = ws.store.get_deployment(name)
    return reply({"state": ws.services.state(record), "record": record})


@router.post("/{name}/wait")
def wait(name: str, timeout: float | None = Query(None, gt=0, le=3600), ws: Workspace = viewer):
    """Wait until the service is ready (or failed); the record and the stages seen."""
    record = ws.services.wait(name, False, timeout)
    return reply({"record": record, "stages": _stages(ws, record)})


@router.get("/{name}/stages")
def stages(name: str, ws: Workspace = viewer) -> Response:
    """The stages of the service's last deployment, as ``[at, name, detail]``."""
    return reply(_stages(ws, ws.store.get_deployment(name)))


@router.get("/{name}/logs")
def logs(name: str, lines: int | None = Query(None, ge=0), ws: Workspace = viewer):
    text = ws.services.logs(ws.store.get_deployment(name), lines)
    return Response(text, media_type="text/plain; charset=utf-8")


@router.delete("/{name}", status_code=204)
def delete(name: str, ws: Workspace = admin) -> Response:
    ws.services.delete(name)
    return Response(status_code=204)


@router.post("/up")
def up(ws: Workspace = admin) -> Response:
    """Restart the server host's services whose process is gone."""
    return reply(ws.services.up(), dict[str, str])


def _stages(ws: Workspace, record: DeploymentRecord) -> list[tuple[float, str, str]]:
    if not ws.deployer.owns(record):
        return []
    log = StageLog(ws.deployer.folder(record.name).stages_path)
    return [(s.at, s.name, s.detail) for s in log.all()]
