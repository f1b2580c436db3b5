"""Copying a workspace to another backend: a laptop's folder to PostgreSQL and S3.

:func:`copy_workspace` reads the source's metadata in one snapshot and copies, in order:

1. every blob its records point at, each stored with ``expected=`` its sha256 and
   read from the source through a verifying stream (a corrupted source blob fails the
   copy with :class:`~mlyard.errors.IntegrityError` naming it), then read back from
   the destination to check it hashes to its name;
2. the files of the datastores kept inside the source (its default datastore), into
   the same place inside the destination, checked against their recorded sha256;
3. the metadata, every table, in **one transaction**, committed only once the row
   counts match (:mod:`mlyard.store._sql.copy`).

Interrupted (Ctrl-C, a crash, a failed check), the copy leaves a destination whose
records are still empty: steps 1 and 2 only add content-addressed blobs and files
under their final names, which nothing points at until step 3 commits all at once. The
destination therefore never looks complete when it is not, and it is still fresh, so
the same command can be run again: it starts over, and finds the blobs already copied
(a folder keeps an intact one after checking it; S3 takes the upload again). Given up
on instead, the destination's blobs are removed by ``mlyard gc``.

Example:
    >>> report = copy_workspace(
    ...     "./yard", "postgresql://user@db/mlyard", artifact_root="s3://bucket/mlyard"
    ... )  # doctest: +SKIP
    >>> [(c.table, c.source, c.copied) for c in report.tables][:1]  # doctest: +SKIP
    [('datasets', 2, 2)]
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from mlyard.admin import _datastores
from mlyard.artifacts import BlobStore
from mlyard.artifacts.hashing import CHUNK
from mlyard.errors import ConflictError, IntegrityError, InvalidInputError, NotFoundError
from mlyard.progress import byte_progress
from mlyard.store import printable_url, schema_revision
from mlyard.store._sql.copy import Snapshot, TableCount, not_empty, unexpected_rows
from mlyard.store._sql.database import HEAD_REVISION
from mlyard.store.records import BlobReference
from mlyard.workspace import Workspace, is_database_url, store_url


@dataclass(frozen=True)
class CopyReport:
    """What a copy moved: rows per table, blobs, and datastore files."""

    src: str  # fit to print: a database URL's password is masked
    dst: str
    tables: list[TableCount]
    blobs: int
    blob_bytes: int
    datastore_files: int
    datastore_bytes: int


def copy_workspace(
    src: str | Path,
    dst: str | Path,
    *,
    artifact_root: str | None = None,
    show_progress: bool = True,
) -> CopyReport:
    """Copy the workspace at ``src`` into the fresh workspace ``dst``, verified.

    Args:
        src: a workspace folder or database URL; it is only read.
        dst: a folder, or a database URL; created if missing, and it must hold nothing
            yet (no experiments, runs, datasets, models).
        artifact_root: where a database ``dst`` keeps its blobs (a folder or
            ``s3://bucket/prefix``), unless it already has one. Not for folders.
        show_progress: draw progress bars for large copies.

    Raises:
        ConflictError: ``dst`` holds something already, or ``src`` has an older schema.
        IntegrityError: a source blob or datastore file does not hash to its recorded
            sha256; the destination's records stay empty.
    """
    src_url, dst_url = str(src), str(dst)
    _check_arguments(src_url, dst_url, artifact_root)
    _require_current_schema(src_url)
    with ExitStack() as stack:
        source = Workspace.open(src_url, create=False)
        stack.callback(source.close)
        target = _open_destination(dst_url, artifact_root)
        stack.callback(target.close)
        if extra := unexpected_rows(target.store):
            raise not_empty(dst_url, extra)
        with Snapshot(source.store) as snap:
            refs = snap.blobs()
            blob_bytes = _copy_blobs(source.blobs, target.blobs, refs, show_progress)
            moves = _datastores.plan(source, target, snap.datastores())
            moved = [_datastores.copy_files(source, target, m, show_progress) for m in moves]
            urls = {m.record.name: m.url for m in moves}
            tables = snap.copy_into(target.store, datastore_url=lambda name, url: urls[name])
        _check_references(target, refs)
    return CopyReport(
        printable_url(src_url),
        printable_url(dst_url),
        tables,
        len(refs),
        blob_bytes,
        sum(n for n, _ in moved),
        sum(b for _, b in moved),
    )


def _check_arguments(src: str, dst: str, artifact_root: str | None) -> None:
    if _same(src, dst):
        raise InvalidInputError(
            f"the source and the destination are the same workspace ({printable_url(src)})",
            field="dst",
            fix="copy into a new folder or an empty database",
        )
    if artifact_root and not is_database_url(dst):
        raise InvalidInputError(
            "a folder workspace keeps its blobs inside the folder, not at --artifacts",
            field="artifacts",
            fix="leave --artifacts out, or copy into a database URL",
        )


def _open_destination(url: str, artifact_root: str | None) -> Workspace:
    try:
        return Workspace.open(url, artifact_root=artifact_root)
    except InvalidInputError as e:
        if e.field != "artifact_root" or artifact_root:
            raise
        raise InvalidInputError(
            f"the destination {printable_url(url)} has no artifact root yet",
            field="artifacts",
            fix="say where its blobs go: --artifacts s3://bucket/prefix or a shared folder "
            "(artifact_root= in Python)",
        ) from None


def _same(a: str, b: str) -> bool:
    if is_database_url(a) or is_database_url(b):
        return a == b
    return Path(a).expanduser().absolute() == Path(b).expanduser().absolute()


def _require_current_schema(src: str) -> None:
    revision = schema_revision(store_url(src))
    if revision is None:
        raise NotFoundError(
            f"there is no mlyard workspace at {printable_url(src)}",
            field="src",
            fix="check the URL",
        )
    if revision != HEAD_REVISION:
        raise ConflictError(
            f"the source's schema is at revision {revision}, this mlyard copies {HEAD_REVISION}"
            "; the source was left as it is",
            field="src",
            fix=f"run `mlyard db upgrade {printable_url(src)}` first"
            if revision < HEAD_REVISION
            else "upgrade mlyard: pip install -U mlyard",
        )


def _copy_blobs(
    src: BlobStore, dst: BlobStore, refs: dict[str, BlobReference], show_progress: bool
) -> int:
    """Copy every blob of ``refs``, then read each copy back; return the bytes."""
    total = sum(r.size for r in refs.values())
    enabled = None if show_progress else False
    with byte_progress("copying blobs", total, enabled) as advance:
        for sha, ref in sorted(refs.items()):
            with src.open(sha, _label(ref)) as stream:
                dst.put(stream, expected=sha, progress=advance)
    with byte_progress("verifying the copied blobs", total, enabled) as advance:
        for sha, ref in sorted(refs.items()):
            with dst.open(sha, f"the copy of {_label(ref)}") as stream:
                while chunk := stream.read(CHUNK):
                    advance(len(chunk))
    return total


def _label(ref: BlobReference) -> str:
    return f"blob {ref.sha256} ({ref.owner})"


def _check_references(target: Workspace, copied: dict[str, BlobReference]) -> None:
    """Every blob the destination's records point at is one copied and verified."""
    missing = target.store.referenced_blobs() - copied.keys()
    if missing:
        raise IntegrityError(
            f"the copy's records point at {len(missing)} blobs that were not copied, "
            f"e.g. {min(missing)}",
            fix="run the copy again into a new destination; report it if it recurs",
        )


__all__ = ["CopyReport", "copy_workspace"]
