"""Datastores, their recorded files, and versioned datasets on SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from mlyard.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlyard.store._base import DatasetStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import insert_ignore, upsert
from mlyard.store._sql.database import Database
from mlyard.store._sql.versions import next_version
from mlyard.store.records import DatasetVersionRecord, DatastoreRecord, FileRecord, now_ms


def _datastore(row) -> DatastoreRecord:
    return DatastoreRecord(row.name, row.url, bool(row.is_default), row.created_at)


def _no_dataset(name: str) -> NotFoundError:
    return NotFoundError(f"no dataset named {name!r}", fix="list them with `mlyard datasets list`")


def _require_datastore(conn: Connection, name: str) -> None:
    d = t.datastores.c
    if conn.execute(select(d.name).where(d.name == name)).first() is None:
        raise NotFoundError(
            f"no datastore named {name!r}", fix="list them with `mlyard datastore stores`"
        )


class SqlDatasetStore(DatasetStore):
    _db: Database

    # -- datastores ----------------------------------------------------------------
    def register_datastore(self, name: str, url: str, is_default: bool = False) -> DatastoreRecord:
        d = t.datastores.c
        with self._db.write() as conn:
            row = conn.execute(select(t.datastores).where(d.name == name)).first()
            if row is not None:
                if row.url != url:
                    raise AlreadyExistsError(
                        f"datastore {name!r} exists with url {row.url!r}, not {url!r}",
                        fix="choose another name",
                    )
                return _datastore(row)
            if is_default:
                conn.execute(update(t.datastores).values(is_default=False))
            insert_ignore(
                conn,
                t.datastores,
                [{"name": name, "url": url, "is_default": is_default, "created_at": now_ms()}],
                ("name",),
            )
            row = conn.execute(select(t.datastores).where(d.name == name)).one()
            return _datastore(row)

    def get_datastore(self, name: str | None = None) -> DatastoreRecord:
        d = t.datastores.c
        cond = d.is_default.is_(True) if name is None else d.name == name
        with self._db.read() as conn:
            row = conn.execute(select(t.datastores).where(cond)).first()
        if row is None:
            what = "no default datastore" if name is None else f"no datastore named {name!r}"
            raise NotFoundError(what, fix="list them with `mlyard datastore stores`")
        return _datastore(row)

    def list_datastores(self) -> list[DatastoreRecord]:
        with self._db.read() as conn:
            rows = conn.execute(select(t.datastores).order_by(t.datastores.c.name)).all()
        return [_datastore(r) for r in rows]

    def record_datastore_files(self, datastore: str, files: Iterable[FileRecord]) -> None:
        now = now_ms()
        rows = [
            {
                "datastore": datastore,
                "path": f.path,
                "sha256": f.sha256,
                "size": f.size,
                "updated_at": now,
            }
            for f in files
        ]
        with self._db.write() as conn:
            _require_datastore(conn, datastore)
            upsert(conn, t.datastore_files, rows, ("datastore", "path"))

    def get_datastore_files(self, datastore: str, prefix: str = "") -> list[FileRecord]:
        f = t.datastore_files.c
        query = select(f.path, f.sha256, f.size).where(f.datastore == datastore)
        prefix = prefix.strip("/")
        if prefix:
            query = query.where(
                or_(f.path == prefix, f.path.startswith(prefix + "/", autoescape=True))
            )
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(f.path)).all()
            if not rows:
                _require_datastore(conn, datastore)
        return [FileRecord(*r) for r in rows]

    # -- datasets ------------------------------------------------------------------
    def create_dataset_version(
        self,
        name: str,
        kind: str,
        fingerprint: str,
        spec: dict[str, Any],
        files: Sequence[FileRecord],
        profile: dict[str, Any] | None,
        description: str | None,
        tags: dict[str, str],
        *,
        created_by: str | None = None,
    ) -> tuple[DatasetVersionRecord, bool]:
        v = t.dataset_versions.c
        with self._db.write() as conn:
            version = next_version(conn, t.dataset_versions, name)  # locks the name first
            found = conn.execute(select(t.datasets.c.kind).where(t.datasets.c.name == name)).first()
            if found is None:
                conn.execute(t.datasets.insert().values(name=name, kind=kind, created_at=now_ms()))
            elif found.kind != kind:
                raise ConflictError(
                    f"dataset {name!r} is a {found.kind} dataset; cannot add a {kind} version",
                    field="name",
                    fix="register it under another name",
                )
            same = conn.execute(
                select(v.version).where(v.name == name, v.fingerprint == fingerprint)
            ).scalar()
            if same is not None:
                return self._dataset_version(conn, name, same), False
            conn.execute(
                t.dataset_versions.insert().values(
                    name=name,
                    version=version,
                    fingerprint=fingerprint,
                    spec=spec,
                    profile=profile,
                    description=description,
                    tags=tags,
                    created_at=now_ms(),
                    created_by=created_by,
                )
            )
            if files:
                conn.execute(
                    t.dataset_files.insert(),
                    [
                        {
                            "name": name,
                            "version": version,
                            "path": f.path,
                            "sha256": f.sha256,
                            "size": f.size,
                        }
                        for f in files
                    ],
                )
            return self._dataset_version(conn, name, version), True

    def _dataset_version(self, conn: Connection, name: str, version: int) -> DatasetVersionRecord:
        v = t.dataset_versions.c
        row = conn.execute(
            select(t.dataset_versions, t.datasets.c.kind)
            .join(t.datasets, t.datasets.c.name == v.name)
            .where(v.name == name, v.version == version)
        ).first()
        if row is None:
            raise NotFoundError(
                f"dataset {name!r} has no version {version}",
                fix="list versions with `mlyard datasets show NAME`",
            )
        f = t.dataset_files.c
        files = conn.execute(
            select(f.path, f.sha256, f.size)
            .where(f.name == name, f.version == version)
            .order_by(f.path)
        ).all()
        return DatasetVersionRecord(
            name=row.name,
            version=row.version,
            kind=row.kind,
            fingerprint=row.fingerprint,
            spec=row.spec,
            files=tuple(FileRecord(*r) for r in files),
            profile=row.profile,
            description=row.description,
            tags=row.tags or {},
            created_at=row.created_at,
            created_by=row.created_by,
        )

    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetVersionRecord:
        v = t.dataset_versions.c
        with self._db.read() as conn:
            if version is None:
                version = conn.execute(select(func.max(v.version)).where(v.name == name)).scalar()
                if version is None:
                    raise _no_dataset(name)
            return self._dataset_version(conn, name, version)

    def find_dataset_version(self, name: str, fingerprint: str) -> DatasetVersionRecord | None:
        v = t.dataset_versions.c
        with self._db.read() as conn:
            version = conn.execute(
                select(v.version).where(v.name == name, v.fingerprint == fingerprint)
            ).scalar()
            return None if version is None else self._dataset_version(conn, name, version)

    def list_dataset_versions(self, name: str | None = None) -> list[DatasetVersionRecord]:
        v = t.dataset_versions.c
        with self._db.read() as conn:
            if name is not None:
                keys = conn.execute(
                    select(v.name, v.version).where(v.name == name).order_by(v.version)
                ).all()
                if not keys:
                    raise _no_dataset(name)
            else:
                keys = conn.execute(
                    select(v.name, func.max(v.version)).group_by(v.name).order_by(v.name)
                ).all()
            return [self._dataset_version(conn, n, ver) for n, ver in keys]
