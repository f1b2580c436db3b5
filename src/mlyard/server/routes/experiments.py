"""Experiments: create, read, find by name, count their runs."""

from __future__ import annotations

from fastapi import APIRouter, Response

from mlyard.names import check_name
from mlyard.server.context import editor, reply, viewer
from mlyard.server.route import Route
from mlyard.store.records import ExperimentRecord
from mlyard.wire.requests import ExperimentCreate, RunCounts
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"], route_class=Route)


@router.post("", status_code=201)
def create_experiment(body: ExperimentCreate, ws: Workspace = editor) -> Response:
    check_name(body.name, "experiment name", field="name")
    return reply(ws.store.create_experiment(body.name, body.artifact_location), status=201)


@router.get("")
def list_experiments(name: str | None = None, ws: Workspace = viewer) -> Response:
    """Every experiment, or the one called ``name`` (a list of zero or one)."""
    if name is not None:
        found = ws.store.find_experiment(name)
        return reply([found] if found else [], list[ExperimentRecord])
    return reply(ws.store.list_experiments(), list[ExperimentRecord])


@router.get("/{experiment_id}")
def get_experiment(experiment_id: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_experiment(experiment_id))


@router.post("/run-counts")
def count_runs(body: RunCounts, ws: Workspace = viewer) -> Response:
    return reply(ws.store.count_runs(body.experiment_ids), dict[str, int])
