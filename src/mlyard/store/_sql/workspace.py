"""The workspace as a whole on SQL: metadata, locks, and which blobs records point at."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from sqlalchemy import Connection, delete, select, update

from mlyard.store._base import WorkspaceStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import insert_ignore
from mlyard.store._sql.database import Database
from mlyard.store._sql.versions import lock_name
from mlyard.store.records import BlobReference, now_ms


class SqlWorkspaceStore(WorkspaceStore):
    _db: Database

    def find_meta(self, key: str) -> str | None:
        m = t.workspace_meta.c
        with self._db.read() as conn:
            return conn.execute(select(m.value).where(m.key == key)).scalar()

    def put_meta(self, key: str, value: str) -> str:
        m = t.workspace_meta.c
        with self._db.write() as conn:
            insert_ignore(conn, t.workspace_meta, [{"key": key, "value": value}], ("key",))
            return conn.execute(select(m.value).where(m.key == key)).scalar_one()

    def acquire_lock(self, key: str, owner: str, ttl_ms: int) -> str | None:
        c = t.locks.c
        now = now_ms()
        with self._db.write() as conn:
            lock_name(conn, "locks", key)  # two first takers must not both insert
            holder = conn.execute(select(c.owner, c.expires_at).where(c.key == key)).first()
            if holder is None:
                conn.execute(t.locks.insert().values(key=key, owner=owner, expires_at=now + ttl_ms))
                return None
            if holder.owner == owner or holder.expires_at <= now:
                conn.execute(
                    update(t.locks).where(c.key == key).values(owner=owner, expires_at=now + ttl_ms)
                )
                return None
            return holder.owner

    def release_lock(self, key: str, owner: str) -> None:
        c = t.locks.c
        with self._db.write() as conn:
            conn.execute(delete(t.locks).where(c.key == key, c.owner == owner))

    def referenced_blobs(self) -> set[str]:
        with self._db.read() as conn:
            return {ref.sha256 for ref in blob_references(conn)}


def blob_references(conn: Connection) -> Iterator[BlobReference]:
    """Every record's pointer to a blob: run files, dataset files, model files."""
    f = t.run_files.c
    for run_id, path, sha, size in conn.execute(select(f.run_id, f.path, f.sha256, f.size)):
        yield BlobReference(sha, size, f"run {run_id} file {path!r}")
    d = t.dataset_files.c
    for name, version, path, sha, size in conn.execute(
        select(d.name, d.version, d.path, d.sha256, d.size)
    ):
        yield BlobReference(sha, size, f"dataset {name}:{version} file {path!r}")
    m = t.model_versions.c
    for name, version, manifest in conn.execute(select(m.name, m.version, m.manifest)):
        if isinstance(manifest, str | bytes):
            manifest = orjson.loads(manifest)
        for file in (manifest or {}).get("files", ()):
            label = f"model {name}:{version} file {file['path']!r}"
            yield BlobReference(file["sha256"], int(file.get("size") or 0), label)
