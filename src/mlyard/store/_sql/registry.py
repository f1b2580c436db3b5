"""Registered models, versions, tags and aliases on SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, select

from mlyard.errors import NotFoundError
from mlyard.store._base import RegistryStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import upsert
from mlyard.store._sql.database import Database
from mlyard.store._sql.versions import lock_name, next_version
from mlyard.store.records import ModelVersionRecord, RegisteredModelRecord, now_ms

_MV = t.model_versions.c


def _no_version(name: str, version: Any) -> NotFoundError:
    return NotFoundError(
        f"model {name!r} has no version {version}",
        fix=f"list versions with `mlyard models show {name}`",
    )


def _no_model(name: str) -> NotFoundError:
    return NotFoundError(f"no model named {name!r}", fix="list them with `mlyard models list`")


class SqlRegistryStore(RegistryStore):
    _db: Database

    def create_model_version(
        self,
        name: str,
        *,
        framework: str,
        framework_version: str | None,
        flavor: str,
        manifest: dict[str, Any],
        description: str | None = None,
        run_id: str | None = None,
        source: str | None = None,
        resource_config: dict[str, Any] | None = None,
        sample_input: str | None = None,
        sample_output: str | None = None,
        tags: dict[str, str] | None = None,
        created_by: str | None = None,
    ) -> ModelVersionRecord:
        now = now_ms()
        with self._db.write() as conn:
            lock_name(conn, t.model_versions.name, name)  # before creating the model row
            exists = conn.execute(
                select(t.registered_models.c.name).where(t.registered_models.c.name == name)
            ).first()
            if exists is None:
                conn.execute(
                    t.registered_models.insert().values(
                        name=name, description=description, created_at=now, updated_at=now
                    )
                )
            else:
                conn.execute(
                    t.registered_models.update()
                    .where(t.registered_models.c.name == name)
                    .values(updated_at=now)
                )
            version = next_version(conn, t.model_versions, name)
            conn.execute(
                t.model_versions.insert().values(
                    name=name,
                    version=version,
                    framework=framework,
                    framework_version=framework_version,
                    flavor=flavor,
                    description=description,
                    run_id=run_id,
                    source=source,
                    manifest=manifest,
                    resource_config=resource_config,
                    sample_input=sample_input,
                    sample_output=sample_output,
                    status="READY",
                    created_at=now,
                    updated_at=now,
                    created_by=created_by,
                )
            )
            if tags:
                conn.execute(
                    t.model_version_tags.insert(),
                    [
                        {"name": name, "version": version, "key": k, "value": v}
                        for k, v in tags.items()
                    ],
                )
            return self._versions(conn, [(name, version)])[0]

    def _versions(self, conn: Connection, keys: list[tuple[str, int]]) -> list[ModelVersionRecord]:
        if not keys:
            return []
        names = sorted({n for n, _ in keys})
        rows = {
            (r.name, r.version): r
            for r in conn.execute(select(t.model_versions).where(_MV.name.in_(names)))
        }
        tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        tc = t.model_version_tags.c
        for n, v, k, val in conn.execute(
            select(tc.name, tc.version, tc.key, tc.value).where(tc.name.in_(names))
        ):
            tags[(n, v)][k] = val
        aliases: dict[tuple[str, int], list[str]] = defaultdict(list)
        ac = t.model_aliases.c
        for n, alias, v in conn.execute(
            select(ac.name, ac.alias, ac.version).where(ac.name.in_(names)).order_by(ac.alias)
        ):
            aliases[(n, v)].append(alias)
        out = []
        for key in keys:
            r = rows[key]
            out.append(
                ModelVersionRecord(
                    name=r.name,
                    version=r.version,
                    framework=r.framework,
                    framework_version=r.framework_version,
                    flavor=r.flavor,
                    description=r.description,
                    run_id=r.run_id,
                    source=r.source,
                    manifest=r.manifest,
                    resource_config=r.resource_config,
                    sample_input=r.sample_input,
                    sample_output=r.sample_output,
                    tags=tags[key],
                    aliases=tuple(aliases[key]),
                    created_at=r.created_at,
                    status=r.status,
                    created_by=r.created_by,
                )
            )
        return out

    def get_model_version(self, name: str, version: int | None = None) -> ModelVersionRecord:
        with self._db.read() as conn:
            if version is None:
                version = conn.execute(
                    select(func.max(_MV.version)).where(_MV.name == name)
                ).scalar()
                if version is None:
                    raise _no_model(name)
            found = conn.execute(
                select(_MV.version).where(_MV.name == name, _MV.version == version)
            ).first()
            if found is None:
                raise _no_version(name, version)
            return self._versions(conn, [(name, version)])[0]

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersionRecord:
        ac = t.model_aliases.c
        with self._db.read() as conn:
            version = conn.execute(
                select(ac.version).where(ac.name == name, ac.alias == alias)
            ).scalar()
            if version is None:
                raise NotFoundError(
                    f"model {name!r} has no alias {alias!r}",
                    fix=f"set one with Model(ws, {name!r}, version=N).set_alias({alias!r})",
                )
            return self._versions(conn, [(name, version)])[0]

    def list_models(self, name: str | None = None) -> list[RegisteredModelRecord]:
        m = t.registered_models.c
        query = select(t.registered_models).order_by(m.name)
        if name is not None:
            query = query.where(m.name == name)
        with self._db.read() as conn:
            models = conn.execute(query).all()
            if name is not None and not models:
                raise _no_model(name)
            latest = dict(
                conn.execute(select(_MV.name, func.max(_MV.version)).group_by(_MV.name)).all()
            )
            tags: dict[str, dict[str, str]] = defaultdict(dict)
            for n, k, v in conn.execute(select(t.registered_model_tags)):
                tags[n][k] = v
            aliases: dict[str, dict[str, int]] = defaultdict(dict)
            for n, a, v in conn.execute(select(t.model_aliases)):
                aliases[n][a] = v
        return [
            RegisteredModelRecord(
                name=r.name,
                description=r.description,
                tags=tags[r.name],
                created_at=r.created_at,
                updated_at=r.updated_at,
                latest_version=latest.get(r.name),
                aliases=aliases[r.name],
            )
            for r in models
        ]

    def list_model_versions(
        self, name: str | None = None, tags: dict[str, str | None] | None = None
    ) -> list[ModelVersionRecord]:
        query = select(_MV.name, _MV.version).order_by(_MV.name, _MV.version)
        if name is not None:
            query = query.where(_MV.name == name)
        tc = t.model_version_tags.c
        for key, value in (tags or {}).items():
            cond = [tc.name == _MV.name, tc.version == _MV.version, tc.key == key]
            if value is not None:
                cond.append(tc.value == value)
            query = query.where(select(tc.key).where(*cond).exists())
        with self._db.read() as conn:
            keys = [(n, v) for n, v in conn.execute(query)]
            if name is not None and not keys:
                self._require_model(conn, name)
            return self._versions(conn, keys)

    def _require_model(self, conn: Connection, name: str) -> None:
        m = t.registered_models.c
        if conn.execute(select(m.name).where(m.name == name)).first() is None:
            raise _no_model(name)

    def _require_version(self, conn: Connection, name: str, version: int) -> None:
        found = conn.execute(
            select(_MV.version).where(_MV.name == name, _MV.version == version)
        ).first()
        if found is None:
            raise _no_version(name, version)

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        with self._db.write() as conn:
            self._require_version(conn, name, version)
            upsert(
                conn,
                t.model_aliases,
                [{"name": name, "alias": alias, "version": version}],
                ("name", "alias"),
            )

    def delete_model_alias(self, name: str, alias: str) -> None:
        ac = t.model_aliases.c
        with self._db.write() as conn:
            gone = conn.execute(delete(t.model_aliases).where(ac.name == name, ac.alias == alias))
            if gone.rowcount == 0:
                raise NotFoundError(f"model {name!r} has no alias {alias!r}")

    def set_model_version_tags(self, name: str, version: int, tags: dict[str, str]) -> None:
        rows = [{"name": name, "version": version, "key": k, "value": v} for k, v in tags.items()]
        with self._db.write() as conn:
            self._require_version(conn, name, version)
            upsert(conn, t.model_version_tags, rows, ("name", "version", "key"))

    def delete_model_version_tags(self, name: str, version: int, keys: Iterable[str]) -> None:
        tc = t.model_version_tags.c
        with self._db.write() as conn:
            self._require_version(conn, name, version)
            conn.execute(
                delete(t.model_version_tags).where(
                    tc.name == name, tc.version == version, tc.key.in_(list(keys))
                )
            )
