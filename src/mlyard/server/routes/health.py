"""Liveness (open, for load balancers) and Prometheus metrics (viewers; scrapers send a
token as a bearer credential)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mlyard import __version__
from mlyard.server.context import reply, viewer
from mlyard.server.route import Route
from mlyard.workspace import Workspace

router = APIRouter(tags=["health"], route_class=Route)


@router.get("/health", openapi_extra={"security": []})
def health(request: Request) -> Response:
    """Up, and whether the store answers (it names no store: its URL may hold secrets)."""
    ws = request.app.state.workspace
    ws.store.find_meta("artifact_root")  # one round trip: a dead database is a 503
    return reply({"status": "ok", "version": __version__})


@router.get("/metrics")
def metrics(request: Request, ws: Workspace = viewer) -> Response:
    """Requests, latency histogram and errors by route, in Prometheus text format."""
    text = request.app.state.metrics.render()
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")
