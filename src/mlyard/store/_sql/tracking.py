"""Experiments and runs on SQL. Writing batches lives in ``run_log``, searching in
``run_search``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import orjson
from sqlalchemy import Connection, bindparam, func, or_, select, update

from mlyard.errors import AlreadyExistsError, NotFoundError, StoreError
from mlyard.store._base import TrackingStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._prepared import Prepared
from mlyard.store._sql._upsert import upsert
from mlyard.store._sql.database import Database, is_foreign_key_violation, is_unique_violation
from mlyard.store._sql.run_log import StoredParams, read_series, require_run, write_batch
from mlyard.store._sql.run_rows import get_runs
from mlyard.store._sql.run_search import search_runs
from mlyard.store.records import (
    ExperimentRecord,
    FileRecord,
    MetricSeries,
    RunRecord,
    RunStatus,
    now_ms,
)
from mlyard.store.search import check_page

_E = t.experiments.c
_INSERT_RUN = Prepared(t.runs.insert())
_INSERT_TAGS = Prepared(t.tags.insert(), multirow=True)
_END_RUN = Prepared(
    update(t.runs)
    .where(t.runs.c.run_id == bindparam("b_run_id"))
    .values(status=bindparam("b_status"), end_time=bindparam("b_end"), error=bindparam("b_err"))
    # the experiment, for the run's latest metrics, without a second statement
    .returning(t.runs.c.experiment_id)
)


def _experiment(row, tags: dict[str, str]) -> ExperimentRecord:
    return ExperimentRecord(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=row.lifecycle_stage,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tags=tags,
    )


def _experiment_id(experiment_id: str) -> int:
    value = _known_id(experiment_id)
    if value < 0:
        raise NotFoundError(
            f"no experiment with id {experiment_id!r}", fix="see `mlyard experiments list`"
        )
    return value


def _known_id(experiment_id: str) -> int:
    """An experiment id as stored; ids that cannot exist match nothing."""
    try:
        value = int(experiment_id)
    except (TypeError, ValueError):
        return -1
    return value if 0 <= value < 2**31 else -1


class SqlTrackingStore(TrackingStore):
    _db: Database

    # -- experiments ---------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str = "") -> ExperimentRecord:
        now = now_ms()
        try:
            with self._db.write() as conn:
                eid = conn.execute(  # type: ignore[index]
                    t.experiments.insert().values(
                        name=name,
                        artifact_location=artifact_location,
                        lifecycle_stage="active",
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
        except StoreError as e:
            if is_unique_violation(e):
                raise AlreadyExistsError(f"an experiment named {name!r} exists") from e
            raise
        return self.get_experiment(str(eid))

    def _experiment_tags(self, conn: Connection, eid: int) -> dict[str, str]:
        c = t.experiment_tags.c
        return dict(conn.execute(select(c.key, c.value).where(c.experiment_id == eid)).all())

    def get_experiment(self, experiment_id: str) -> ExperimentRecord:
        eid = _experiment_id(experiment_id)
        with self._db.read() as conn:
            row = conn.execute(select(t.experiments).where(_E.experiment_id == eid)).first()
            if row is None:
                raise NotFoundError(f"no experiment with id {experiment_id!r}")
            return _experiment(row, self._experiment_tags(conn, eid))

    def find_experiment(self, name: str) -> ExperimentRecord | None:
        with self._db.read() as conn:
            row = conn.execute(select(t.experiments).where(_E.name == name)).first()
            if row is None:
                return None
            return _experiment(row, self._experiment_tags(conn, row.experiment_id))

    def list_experiments(self) -> list[ExperimentRecord]:
        with self._db.read() as conn:
            rows = conn.execute(select(t.experiments).order_by(_E.experiment_id)).all()
            return [_experiment(r, self._experiment_tags(conn, r.experiment_id)) for r in rows]

    # -- runs ----------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        name: str,
        user_id: str,
        tags: dict[str, str],
        *,
        start_time: int | None = None,
        host: str | None = None,
        pid: int | None = None,
    ) -> RunRecord:
        eid = _experiment_id(experiment_id)
        run_id = uuid.uuid4().hex
        name = name or run_id[:8]
        start = start_time or now_ms()
        row: dict[str, object] = {
            "run_id": run_id,
            "experiment_id": eid,
            "name": name,
            "status": RunStatus.RUNNING.value,
            "start_time": start,
            "end_time": None,
            "user_id": user_id,
            "lifecycle_stage": "active",
            "error": None,
            "params_json": "{}",
            "metrics_json": "{}",
            "tags_json": orjson.dumps(tags).decode(),
            "host": host,
            "pid": pid,
            "heartbeat_at": start,
        }
        # One round trip on PostgreSQL: the experiment's foreign key, not a lookup
        # first, refuses a run in an experiment that is not there.
        try:
            with self._db.write(pipelined=True, tracking=True) as conn:
                _INSERT_RUN.execute(conn, row).close()
                _INSERT_TAGS.executemany(
                    conn, [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()]
                )
        except StoreError as e:
            if is_foreign_key_violation(e):
                raise NotFoundError(f"no experiment with id {experiment_id!r}") from None
            raise
        return RunRecord(
            run_id=run_id,
            experiment_id=str(eid),
            name=name,
            status=RunStatus.RUNNING,
            start_time=start,
            end_time=None,
            user_id=user_id,
            tags=dict(tags),
            host=host,
            pid=pid,
            heartbeat_at=start,
        )

    def get_run(self, run_id: str) -> RunRecord:
        with self._db.read() as conn:
            found = get_runs(conn, [run_id])
        if not found:
            raise NotFoundError(f"no run with id {run_id!r}")
        return found[0]

    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        end_time: int,
        error: str | None = None,
        *,
        metrics: Sequence[MetricSeries] = (),
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        with self._db.write(pipelined=True, tracking=True) as conn:
            cursor = _END_RUN.execute(
                conn,
                {
                    "b_run_id": run_id,
                    "b_status": RunStatus(status).value,
                    "b_end": end_time,
                    "b_err": error,
                },
            )
            stored = StoredParams(conn, run_id) if params else None  # sent with the update
            found = cursor.fetchall()
            cursor.close()
            if not found:
                raise NotFoundError(f"no run with id {run_id!r}")
            write_batch(conn, run_id, found[0][0], metrics, params, tags, stored)

    def heartbeat(self, run_ids: Sequence[str], at: int) -> None:
        if not run_ids:
            return
        r = t.runs.c
        with self._db.write() as conn:
            conn.execute(
                update(t.runs)
                .where(r.run_id.in_(list(run_ids)), r.status == RunStatus.RUNNING.value)
                .values(heartbeat_at=at)
            )

    def mark_lost(self, run_id: str, end_time: int, reason: str) -> bool:
        r = t.runs.c
        with self._db.write() as conn:
            done = conn.execute(
                update(t.runs)
                .where(r.run_id == run_id, r.status == RunStatus.RUNNING.value)
                .values(status=RunStatus.LOST.value, end_time=end_time, error=reason)
            )
            if done.rowcount == 0:
                require_run(conn, run_id)
            return bool(done.rowcount)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricSeries] = (),
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        if not (metrics or params or tags):
            return
        with self._db.write(pipelined=True, tracking=True) as conn:
            experiment_id = require_run(conn, run_id)
            write_batch(conn, run_id, experiment_id, metrics, params, tags)

    def get_metric_history(self, run_id: str, key: str) -> MetricSeries:
        with self._db.read() as conn:
            return read_series(conn, run_id, key)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
        offset: int = 0,
    ) -> list[RunRecord]:
        check_page(max_results, offset)
        ids = None if experiment_ids is None else [_known_id(e) for e in experiment_ids]
        with self._db.read() as conn:
            return search_runs(conn, ids, filter_string, order_by, max_results, offset)

    def count_runs(self, experiment_ids: Sequence[str]) -> dict[str, int]:
        ids = {str(e): _known_id(e) for e in experiment_ids}
        r = t.runs.c
        query = (
            select(r.experiment_id, func.count())
            .where(r.experiment_id.in_(list(ids.values())), r.lifecycle_stage == "active")
            .group_by(r.experiment_id)
        )
        with self._db.read() as conn:
            counts = {eid: n for eid, n in conn.execute(query)}
        return {given: counts.get(known, 0) for given, known in ids.items()}

    # -- run files -----------------------------------------------------------------
    def add_run_files(self, run_id: str, files: Iterable[FileRecord]) -> None:
        rows = [
            {"run_id": run_id, "path": f.path, "sha256": f.sha256, "size": f.size} for f in files
        ]
        with self._db.write() as conn:
            require_run(conn, run_id)
            upsert(conn, t.run_files, rows, ("run_id", "path"))

    def list_run_files(self, run_id: str, prefix: str = "") -> list[FileRecord]:
        f = t.run_files.c
        query = select(f.path, f.sha256, f.size).where(f.run_id == run_id)
        prefix = prefix.strip("/")
        if prefix:
            query = query.where(
                or_(f.path == prefix, f.path.startswith(prefix + "/", autoescape=True))
            )
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(f.path)).all()
            if not rows:
                require_run(conn, run_id)
        return [FileRecord(r.path, r.sha256, r.size) for r in rows]
