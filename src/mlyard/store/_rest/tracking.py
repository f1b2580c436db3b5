"""Experiments and runs over REST: one request per store call; a run's logged batch is
one request (its buffer flushes as one) over a keep-alive connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mlyard.store._base import TrackingStore
from mlyard.store._rest.base import RestBase, q
from mlyard.store.records import (
    ExperimentRecord,
    FileRecord,
    MetricSeries,
    RunRecord,
    RunStatus,
)
from mlyard.store.search import check_page, parse_filter, parse_order_by
from mlyard.wire import requests as r


class RestTrackingStore(RestBase, TrackingStore):
    def create_experiment(self, name: str, artifact_location: str = "") -> ExperimentRecord:
        body = r.ExperimentCreate(name=name, artifact_location=artifact_location)
        return self.conn.call("POST", "/api/v1/experiments", body, as_type=ExperimentRecord)

    def get_experiment(self, experiment_id: str) -> ExperimentRecord:
        path = f"/api/v1/experiments/{q(experiment_id)}"
        return self.conn.call("GET", path, as_type=ExperimentRecord)

    def find_experiment(self, name: str) -> ExperimentRecord | None:
        found = self.conn.call(
            "GET", "/api/v1/experiments", params={"name": name}, as_type=list[ExperimentRecord]
        )
        return found[0] if found else None

    def list_experiments(self) -> list[ExperimentRecord]:
        return self.conn.call("GET", "/api/v1/experiments", as_type=list[ExperimentRecord])

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
        body = r.RunCreate(
            experiment_id=experiment_id,
            name=name,
            user_id=user_id,
            tags=tags,
            start_time=start_time,
            host=host,
            pid=pid,
        )
        return self.conn.call("POST", "/api/v1/runs", body, as_type=RunRecord)

    def get_run(self, run_id: str) -> RunRecord:
        return self.conn.call("GET", f"/api/v1/runs/{q(run_id)}", as_type=RunRecord)

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
        body = r.RunEnd(
            status=status,
            end_time=end_time,
            error=error,
            metrics=list(metrics),
            params=params,
            tags=tags,
        )
        self.conn.call("POST", f"/api/v1/runs/{q(run_id)}/end", body)

    def heartbeat(self, run_ids: Sequence[str], at: int) -> None:
        self.conn.call("POST", "/api/v1/runs/heartbeat", r.Heartbeat(run_ids=list(run_ids), at=at))

    def mark_lost(self, run_id: str, end_time: int, reason: str) -> bool:
        body = r.RunLost(end_time=end_time, reason=reason)
        return bool(self.conn.call("POST", f"/api/v1/runs/{q(run_id)}/lost", body)["ended"])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricSeries] = (),
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        body = r.Batch(metrics=list(metrics), params=params, tags=tags)
        self.conn.call("POST", f"/api/v1/runs/{q(run_id)}/batch", body)

    def get_metric_history(self, run_id: str, key: str) -> MetricSeries:
        path = f"/api/v1/runs/{q(run_id)}/metrics"
        return self.conn.call("GET", path, params={"key": key}, as_type=MetricSeries)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
        offset: int = 0,
    ) -> list[RunRecord]:
        # Checked here as the SQL backend checks them: same errors, no round trip.
        check_page(max_results, offset)
        parse_filter(filter_string)
        parse_order_by(order_by)
        body = r.RunSearch(
            experiment_ids=None if experiment_ids is None else list(experiment_ids),
            filter_string=filter_string,
            order_by=list(order_by),
            max_results=max_results,
            offset=offset,
        )
        return self.conn.call("POST", "/api/v1/runs/search", body, as_type=list[RunRecord])

    def count_runs(self, experiment_ids: Sequence[str]) -> dict[str, int]:
        body = r.RunCounts(experiment_ids=list(experiment_ids))
        return self.conn.call("POST", "/api/v1/experiments/run-counts", body)

    def add_run_files(self, run_id: str, files: Iterable[FileRecord]) -> None:
        body = r.Files(files=list(files))
        self.conn.call("POST", f"/api/v1/runs/{q(run_id)}/files", body)

    def list_run_files(self, run_id: str, prefix: str = "") -> list[FileRecord]:
        path = f"/api/v1/runs/{q(run_id)}/files"
        return self.conn.call("GET", path, params={"prefix": prefix}, as_type=list[FileRecord])
