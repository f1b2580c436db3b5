"""Deployments (named web services) on SQL: the part every machine may see."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from mlyard.errors import NotFoundError
from mlyard.store._base import DeploymentStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import upsert
from mlyard.store._sql.database import Database
from mlyard.store.records import DeploymentRecord, DeploymentState, now_ms

_D = t.deployments.c


def _record(row) -> DeploymentRecord:
    return DeploymentRecord(
        name=row.name,
        models=tuple(row.models),
        state=DeploymentState(row.state),
        scoring_uri=row.scoring_uri,
        host=row.host,
        config=row.config,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deployer=row.deployer,
        error=row.error,
    )


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"no service named {name!r}", fix="list them with `mlyard services list`")


class SqlDeploymentStore(DeploymentStore):
    _db: Database

    def put_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        row = {
            "name": record.name,
            "models": list(record.models),
            "state": DeploymentState(record.state).value,
            "scoring_uri": record.scoring_uri,
            "host": record.host,
            "deployer": record.deployer,
            "config": record.config,
            "error": record.error,
            "created_at": record.created_at,
            "updated_at": now_ms(),
        }
        with self._db.write() as conn:
            upsert(conn, t.deployments, [row], ("name",), keep=("created_at",))
            return _record(conn.execute(select(t.deployments).where(_D.name == record.name)).one())

    def get_deployment(self, name: str) -> DeploymentRecord:
        found = self.find_deployment(name)
        if found is None:
            raise _missing(name)
        return found

    def find_deployment(self, name: str) -> DeploymentRecord | None:
        with self._db.read() as conn:
            row = conn.execute(select(t.deployments).where(_D.name == name)).first()
        return None if row is None else _record(row)

    def list_deployments(self) -> list[DeploymentRecord]:
        with self._db.read() as conn:
            rows = conn.execute(select(t.deployments).order_by(_D.name)).all()
        return [_record(r) for r in rows]

    def set_deployment_state(
        self, name: str, state: DeploymentState, error: str | None = None
    ) -> DeploymentRecord:
        state = DeploymentState(state)
        kept = error if state is DeploymentState.FAILED else None
        with self._db.write() as conn:
            done = conn.execute(
                update(t.deployments)
                .where(_D.name == name)
                .values(state=state.value, error=kept, updated_at=now_ms())
            )
            if done.rowcount == 0:
                raise _missing(name)
            return _record(conn.execute(select(t.deployments).where(_D.name == name)).one())

    def delete_deployment(self, name: str) -> None:
        with self._db.write() as conn:
            gone = conn.execute(delete(t.deployments).where(_D.name == name))
            if gone.rowcount == 0:
                raise _missing(name)
