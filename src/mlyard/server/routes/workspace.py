"""The workspace as a whole: metadata, leases, which blobs records point at."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from mlyard.auth.keys import SECRET_META
from mlyard.errors import PermissionDeniedError
from mlyard.server.context import admin, editor, reply, viewer
from mlyard.server.route import Route
from mlyard.wire.requests import Collect, LockRequest, MetaSet
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/workspace", tags=["workspace"], route_class=Route)


@router.get("/meta/{key}")
def find_meta(key: str, ws: Workspace = viewer) -> Response:
    _not_secret(key)
    return reply({"value": ws.store.find_meta(key)})


@router.post("/meta/{key}")
def put_meta(key: str, body: MetaSet, ws: Workspace = admin) -> Response:
    _not_secret(key)
    return reply({"value": ws.store.put_meta(key, body.value)})


def _not_secret(key: str) -> None:
    if key in SECRET_META:
        raise PermissionDeniedError(
            f"workspace metadata {key!r} never leaves the server", field="key"
        )


@router.post("/locks/{key}")
def acquire_lock(key: str, body: LockRequest, ws: Workspace = editor) -> Response:
    """Take the lease; ``holder`` is null when taken, else who holds it."""
    return reply({"holder": ws.store.acquire_lock(key, body.owner, body.ttl_ms)})


@router.delete("/locks/{key}", status_code=204)
def release_lock(key: str, owner: str = Query(min_length=1), ws: Workspace = editor):
    ws.store.release_lock(key, owner)
    return Response(status_code=204)


@router.get("/referenced-blobs")
def referenced_blobs(ws: Workspace = admin) -> Response:
    return reply(sorted(ws.store.referenced_blobs()), list[str])


@router.post("/gc")
def collect_garbage(body: Collect, ws: Workspace = admin) -> Response:
    """Remove (or list, with ``dry_run``) the server's stale temporaries and unreferenced
    blobs."""
    from mlyard.gc import GcReport, collect_garbage

    report = collect_garbage(ws, dry_run=body.dry_run, min_age=body.min_age)
    return reply(report, GcReport)
