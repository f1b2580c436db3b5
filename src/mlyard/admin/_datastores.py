"""Where each datastore goes in a copy, and moving the files of those kept inside.

A datastore *inside* the source workspace is one whose files belong to it: a relative
URL (``./datastores/default`` in a folder workspace), or a URL under the workspace's
own storage (the folder itself, or a database workspace's artifact root). Its files are
copied to the same relative place inside the destination (``./…`` in a folder, under the
artifact root otherwise), and its URL is rewritten to point there. A datastore
*outside* (a shared folder, ``s3://other-bucket``) is shared storage: its URL is kept
and its files stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mlyard.data._transfer import Copy, copy_all
from mlyard.data.datastore import Datastore
from mlyard.store.records import DatastoreRecord, FileRecord
from mlyard.workspace import Workspace, is_database_url


@dataclass(frozen=True)
class DatastoreMove:
    """One datastore of the source: its URL in the copy, and whether files move."""

    record: DatastoreRecord  # as the source has it
    url: str  # its URL in the destination
    files: list[FileRecord]  # recorded uploads, with their sha256
    inside: bool  # its files belong to the source workspace and are copied


def plan(
    source: Workspace, target: Workspace, found: list[tuple[DatastoreRecord, list[FileRecord]]]
) -> list[DatastoreMove]:
    """The move of every datastore of ``found`` (from the source's snapshot)."""
    src_bases = _bases(source)
    dst_base = _bases(target)[0]
    moves = []
    for record, files in found:
        rel = next((record.url[len(b) :] for b in src_bases if record.url.startswith(b)), None)
        if rel is None:
            moves.append(DatastoreMove(record, record.url, files, inside=False))
        else:
            moves.append(DatastoreMove(record, dst_base + rel, files, inside=True))
    return moves


def _bases(ws: Workspace) -> list[str]:
    """URL prefixes of what lives inside ``ws``; the first is how new URLs are written."""
    if not is_database_url(ws.url):
        return ["./", f"{Path(ws.home).absolute()}/"]  # relative keeps the folder movable
    return [ws.blobs.url.rstrip("/") + "/"]  # the artifact root


def copy_files(
    source: Workspace, target: Workspace, move: DatastoreMove, show_progress: bool
) -> tuple[int, int]:
    """Copy the files of an inside datastore, all or none; return (files, bytes).

    Every file present is copied and read back; an uploaded one must still hash to the
    sha256 recorded at its upload (:class:`~mlyard.errors.IntegrityError` otherwise).
    """
    if not move.inside:
        return 0, 0
    src = Datastore(source, move.record)
    dst = Datastore(target, DatastoreRecord(move.record.name, move.url, False, 0))
    if src.url.rstrip("/") == dst.url.rstrip("/"):
        return 0, 0  # both workspaces keep their bytes in one place
    recorded = {f.path: f.sha256 for f in move.files}
    present = src._find("")
    copies = [
        Copy(
            source=partial(src._fs.open, src._key(path), "rb"),
            dest=dst._key(path),
            label=f"datastore {src.name!r} file {path!r}",
            size=size,
            expected=recorded.get(path),
        )
        for path, size in sorted(present.items())
    ]
    copy_all(
        dst._fs,
        copies,
        description=f"copying datastore {src.name}",
        show_progress=show_progress,
        reread=True,
    )
    return len(copies), sum(present.values())
