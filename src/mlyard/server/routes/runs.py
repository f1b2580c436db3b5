"""Runs: start, log (one batch per request), end, search, histories, files.

What arrives is checked as the SDK checks it (:mod:`mlyard.tracking.validation`):
a REST client is a caller like any other.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mlyard.server.context import editor, reply, viewer
from mlyard.server.gate import creator
from mlyard.server.route import Route
from mlyard.store.records import FileRecord, RunRecord
from mlyard.tracking import validation as v
from mlyard.tracking.context import USER
from mlyard.wire.requests import Batch, Files, Heartbeat, RunCreate, RunEnd, RunLost, RunSearch
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/runs", tags=["runs"], route_class=Route)


@router.post("", status_code=201)
def create_run(body: RunCreate, request: Request, ws: Workspace = editor) -> Response:
    user = creator(request, body.user_id) or body.user_id
    tags = _texts(body.tags, "tag", v.MAX_TAG)
    if USER in tags:
        tags[USER] = user
    record = ws.store.create_run(
        body.experiment_id,
        body.name,
        user,
        tags,
        start_time=body.start_time,
        host=body.host,
        pid=body.pid,
    )
    return reply(record, status=201)


@router.get("/{run_id}")
def get_run(run_id: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_run(run_id))


@router.post("/{run_id}/batch", status_code=204)
def log_batch(run_id: str, body: Batch, ws: Workspace = editor) -> Response:
    metrics, params, tags = _checked(body)
    ws.store.log_batch(run_id, metrics, params, tags)
    return Response(status_code=204)


@router.post("/{run_id}/end", status_code=204)
def end_run(run_id: str, body: RunEnd, ws: Workspace = editor) -> Response:
    metrics, params, tags = _checked(body)
    error = v.text_value("error", body.error, "run", 100_000) if body.error else None
    ws.store.end_run(
        run_id, body.status, body.end_time, error, metrics=metrics, params=params, tags=tags
    )
    return Response(status_code=204)


@router.post("/{run_id}/lost")
def mark_lost(run_id: str, body: RunLost, ws: Workspace = editor) -> Response:
    return reply({"ended": ws.store.mark_lost(run_id, body.end_time, body.reason)})


@router.post("/heartbeat", status_code=204)
def heartbeat(body: Heartbeat, ws: Workspace = editor) -> Response:
    ws.store.heartbeat(body.run_ids, body.at)
    return Response(status_code=204)


@router.get("/{run_id}/metrics")
def get_metric_history(run_id: str, key: str, ws: Workspace = viewer) -> Response:
    return reply(ws.store.get_metric_history(run_id, key))


@router.post("/search")
def search_runs(body: RunSearch, ws: Workspace = viewer) -> Response:
    found = ws.store.search_runs(
        body.experiment_ids, body.filter_string, body.order_by, body.max_results, body.offset
    )
    return reply(found, list[RunRecord])


@router.post("/{run_id}/files", status_code=204)
def add_run_files(run_id: str, body: Files, ws: Workspace = editor) -> Response:
    files = [FileRecord(v.artifact_name(f.path, "path"), f.sha256, f.size) for f in body.files]
    ws.store.add_run_files(run_id, files)
    return Response(status_code=204)


@router.get("/{run_id}/files")
def list_run_files(run_id: str, prefix: str = "", ws: Workspace = viewer) -> Response:
    return reply(ws.store.list_run_files(run_id, prefix), list[FileRecord])


def _checked(body: Batch):
    for series in body.metrics:
        v.check_key(series.key, "metric")
    params = _texts(body.params, "param", v.MAX_PARAM) if body.params else None
    tags = _texts(body.tags, "tag", v.MAX_TAG) if body.tags else None
    return body.metrics, params, tags


def _texts(values: dict[str, str], kind: str, limit: int) -> dict[str, str]:
    return {v.check_key(k, kind): v.text_value(k, val, kind, limit) for k, val in values.items()}
