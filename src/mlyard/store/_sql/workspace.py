"""The workspace as a whole on SQL: metadata, locks, and which blobs records point at."""

from __future__ import annotations

import orjson
from sqlalchemy import delete, select, update

from mlyard.store._base import WorkspaceStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import insert_ignore
from mlyard.store._sql.database import Database
from mlyard.store._sql.versions import lock_name
from mlyard.store.records import now_ms


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
        found: set[str] = set()
        with self._db.read() as conn:
            found.update(conn.execute(select(t.run_files.c.sha256).distinct()).scalars())
            found.update(conn.execute(select(t.dataset_files.c.sha256).distinct()).scalars())
            for (manifest,) in conn.execute(select(t.model_versions.c.manifest)):
                if isinstance(manifest, str | bytes):
                    manifest = orjson.loads(manifest)
                found.update(f["sha256"] for f in (manifest or {}).get("files", ()))
        return found
