"""Content-addressed bytes: streamed in, verified, stored once; streamed out, verified.

``PUT /api/v1/blobs`` streams the body into the workspace's blob store, which hashes
it on the way and keeps it only when whole (and, given ``sha256``, only when it hashes
to it): a client or server killed mid-upload leaves no blob, and the upload can simply
be retried. ``GET`` streams a blob out; the client checks the hash again at its end.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from mlyard.artifacts._base import check_sha
from mlyard.errors import IntegrityError, NotFoundError
from mlyard.server.context import admin, editor, reply, viewer
from mlyard.server.limits import Abort
from mlyard.server.route import Route
from mlyard.server.streams import chunks, length_header, run_reading
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/blobs", tags=["blobs"], route_class=Route)
_SHA = Query(None, pattern="^[0-9a-f]{64}$")


@router.put("", status_code=201)
async def put_blob(request: Request, sha256: str | None = _SHA, ws: Workspace = editor):
    """Store the request body; answer its ``sha256`` and ``size``."""
    try:
        sha, size = await run_reading(request, lambda body: ws.blobs.put(body, expected=sha256))
    except IntegrityError as e:
        # The body is not what its sender said it sent: the sender's problem (a 4xx),
        # still as DATA_LOSS, so a client raises the IntegrityError it would locally.
        raise Abort(e, 400) from None
    return reply({"sha256": sha, "size": size}, status=201)


@router.get("/{sha256}")
def get_blob(sha256: str, ws: Workspace = viewer) -> StreamingResponse:
    # Sent as stored: the client verifies the hash at its end, and a corrupted blob
    # must reach it as the IntegrityError of its own check, not as a cut connection.
    stream = ws.blobs.open(check_sha(sha256), verify=False)  # NotFoundError first
    return StreamingResponse(
        chunks(stream), media_type="application/octet-stream", headers=length_header(stream)
    )


@router.head("/{sha256}")
def blob_exists(sha256: str, ws: Workspace = viewer) -> Response:
    return Response(status_code=200 if ws.blobs.exists(check_sha(sha256)) else 404)


@router.delete("/{sha256}")
def delete_blob(
    sha256: str, if_older_than: float | None = Query(None, ge=0), ws: Workspace = admin
) -> Response:
    return reply({"deleted": ws.blobs.delete(check_sha(sha256), if_older_than=if_older_than)})


@router.get("")
def scan_blobs(temporaries: bool = False, ws: Workspace = admin) -> Response:
    """Every stored blob (or temporary) as ``[name, size, modified]``, for gc."""
    found = ws.blobs.scan_temporaries() if temporaries else ws.blobs.scan()
    return reply([(b.name, b.size, b.modified) for b in found], list[tuple[str, int, float]])


@router.delete("", status_code=204)
def remove_temporary(temporary: str = Query(min_length=1), ws: Workspace = admin) -> Response:
    """Remove a temporary an interrupted upload left (as listed with ``temporaries``)."""
    if not any(t.name == temporary for t in ws.blobs.scan_temporaries()):
        raise NotFoundError(f"no temporary {temporary!r}", field="temporary", fix="list them")
    ws.blobs.remove_temporary(temporary)
    return Response(status_code=204)
