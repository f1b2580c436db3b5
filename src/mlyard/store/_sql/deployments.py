"""Deployments (named web services) on SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.store._base import DeploymentStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import upsert
from mlyard.store._sql.database import Database
from mlyard.store.records import DeploymentRecord, now_ms

_UPDATABLE = {"state", "pid", "port", "error", "models", "config"}


def _record(row) -> DeploymentRecord:
    return DeploymentRecord(
        name=row.name,
        models=tuple(row.models),
        state=row.state,
        host=row.host,
        port=row.port,
        pid=row.pid,
        config=row.config,
        directory=row.directory,
        created_at=row.created_at,
        updated_at=row.updated_at,
        error=row.error,
    )


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"no service named {name!r}", fix="list them with `mlyard services list`")


class SqlDeploymentStore(DeploymentStore):
    _db: Database

    def put_deployment(self, record: DeploymentRecord) -> None:
        row = {
            "name": record.name,
            "models": list(record.models),
            "state": record.state,
            "host": record.host,
            "port": record.port,
            "pid": record.pid,
            "config": record.config,
            "directory": record.directory,
            "error": record.error,
            "created_at": record.created_at,
            "updated_at": now_ms(),
        }
        with self._db.write() as conn:
            upsert(conn, t.deployments, [row], ("name",), keep=("created_at",))

    def get_deployment(self, name: str) -> DeploymentRecord:
        with self._db.read() as conn:
            row = conn.execute(select(t.deployments).where(t.deployments.c.name == name)).first()
        if row is None:
            raise _missing(name)
        return _record(row)

    def list_deployments(self) -> list[DeploymentRecord]:
        with self._db.read() as conn:
            rows = conn.execute(select(t.deployments).order_by(t.deployments.c.name)).all()
        return [_record(r) for r in rows]

    def update_deployment(self, name: str, **fields: Any) -> DeploymentRecord:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise InvalidInputError(
                f"cannot update deployment fields {sorted(unknown)}",
                field=sorted(unknown)[0],
                fix=f"updatable fields: {', '.join(sorted(_UPDATABLE))}",
            )
        if "models" in fields:
            fields["models"] = list(fields["models"])
        with self._db.write() as conn:
            done = conn.execute(
                update(t.deployments)
                .where(t.deployments.c.name == name)
                .values(**fields, updated_at=now_ms())
            )
            if done.rowcount == 0:
                raise _missing(name)
            row = conn.execute(select(t.deployments).where(t.deployments.c.name == name)).one()
        return _record(row)

    def delete_deployment(self, name: str) -> None:
        with self._db.write() as conn:
            gone = conn.execute(delete(t.deployments).where(t.deployments.c.name == name))
            if gone.rowcount == 0:
                raise _missing(name)
