"""A run: one execution of training code, with what it logged and produced."""

from __future__ import annotations

import atexit
import sys
import threading
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlyard.errors import ConflictError, InvalidInputError, NotFoundError
from mlyard.store.records import MetricSeries, RunRecord, RunStatus, now_ms
from mlyard.tracking import liveness
from mlyard.tracking import validation as v
from mlyard.tracking.buffer import Batch, RunBuffer
from mlyard.tracking.run_files import RunFiles

if TYPE_CHECKING:
    from mlyard.tracking.experiment import Experiment
    from mlyard.workspace import Workspace


class Run(RunFiles):
    """One run of an experiment. Started with ``Experiment.start_run()``.

    Logging is buffered: a call costs about a microsecond; the store receives batches.
    Used as a context manager the run ends COMPLETED, or FAILED with the exception.

    Example:
        >>> import tempfile
        >>> from mlyard import Workspace, Experiment
        >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
        >>> with Experiment(ws, "demo").start_run() as run:
        ...     run.log("alpha", 0.1)
        ...     run.log_metric("loss", 0.5, step=1)
        ...     run.log_params({"solver": "auto"})
        >>> run.status, run.get_metrics()["loss"]
        ('COMPLETED', 0.5)
    """

    def __init__(self, workspace: Workspace, record: RunRecord):
        self.workspace = workspace
        self._record = record
        self._buffer: RunBuffer | None = None
        self._steps: dict[str, int] = {}
        self._params: dict[str, str] = {}
        self._ended = record.status.finished

    @classmethod
    def get(cls, workspace: Workspace, run_id: str) -> Run:
        """The run with id ``run_id`` — or with a unique prefix of it, or unique name.

        Raises:
            NotFoundError: no run has that id, id prefix or name.
            InvalidInputError: several runs match; the message lists some.
        """
        from mlyard.workspace import require_workspace

        ws = require_workspace(workspace)
        if not isinstance(run_id, str) or not run_id.strip():
            raise InvalidInputError(
                f"run_id must be a run id, got {run_id!r:.40}",
                field="run_id",
                fix="see `mlyard runs list`",
            )
        record = _lookup(ws, run_id)
        return cls(ws, liveness.settle(ws, [record])[0])

    @classmethod
    def list(
        cls,
        workspace: Workspace,
        experiments: Any = None,
        filter: str | None = None,
        order_by: Any = None,
        max_results: int = 1000,
        offset: int = 0,
    ) -> list[Run]:
        """Runs of ``experiments`` (names, :class:`Experiment` objects, or None for all)
        matching ``filter``, ordered by ``order_by`` (default newest first)."""
        from mlyard.tracking.experiment import Experiment, search
        from mlyard.workspace import require_workspace

        ws = require_workspace(workspace)
        ids = None
        if experiments is not None:
            items = [experiments] if isinstance(experiments, str | Experiment) else experiments
            ids = [e.id if isinstance(e, Experiment) else Experiment.get(ws, e).id for e in items]
        return search(ws, ids, filter, order_by, max_results, offset)

    # -- identity ------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._record.run_id

    run_id = id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def experiment_id(self) -> str:
        return self._record.experiment_id

    @property
    def experiment(self) -> Experiment:
        """The experiment the run belongs to."""
        from mlyard.tracking.experiment import Experiment

        return Experiment._of(
            self.workspace, self.workspace.store.get_experiment(self.experiment_id)
        )

    @property
    def status(self) -> str:
        return self._record.status.value

    @property
    def error(self) -> str | None:
        return self._record.error

    @property
    def record(self) -> RunRecord:
        return self._record

    def refresh(self) -> Run:
        """Flush pending logs and reload the run's data from the store."""
        self.flush()
        record = self.workspace.store.get_run(self.id)
        self._record = liveness.settle(self.workspace, [record])[0]
        return self

    @property
    def params(self) -> dict[str, str]:
        return dict(self.refresh()._record.params)

    @property
    def metrics(self) -> dict[str, float]:
        """The latest value of every metric."""
        return dict(self.refresh()._record.metrics)

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.refresh()._record.tags)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, name={self.name!r}, status={self.status!r})"

    # -- logging -------------------------------------------------------------------
    @property
    def _buf(self) -> RunBuffer:
        if self._buffer is None:
            with _BUFFER_LOCK:
                if self._buffer is None:
                    self._buffer = RunBuffer(self._write)
        return self._buffer

    def _write(self, batch: Batch) -> None:
        self.workspace.store.log_batch(self.id, batch.metrics, batch.params, batch.tags)

    def log(self, name: str, value: Any, description: str = "") -> None:
        """Log ``value`` under ``name``: numbers become metrics, anything else a param.

        Logging the same number again appends to the metric's series.
        """
        if isinstance(value, bool) or not _is_number(value):
            self.log_param(name, value)
        else:
            self.log_metric(name, value)

    def log_metric(
        self, key: str, value: Any, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Append one point to metric ``key``; ``step`` defaults to the next one."""
        v.check_key(key, "metric")
        val = v.metric_value(key, value)
        if step is None:
            step = self._steps.get(key, 0)
        else:
            step = v.step_value(key, step)
        stamp = now_ms() if timestamp is None else v.timestamp_value(key, timestamp)
        self._steps[key] = step + 1
        self._buf.add_metric(key, val, step, stamp)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        stamp = now_ms()
        for key, value in _mapping(metrics, "metrics").items():
            self.log_metric(key, value, step=step, timestamp=stamp)

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params; a param is fixed once logged (another value is a ConflictError)."""
        checked = {
            v.check_key(k, "param"): v.text_value(k, val, "param", v.MAX_PARAM)
            for k, val in _mapping(params, "params").items()
        }
        for key, value in checked.items():
            old = self._params.get(key)
            if old is not None and old != value:
                raise ConflictError(
                    f"param {key!r} is already {old!r}; cannot change it to {value!r}",
                    field=f"params.{key}",
                    fix="params are fixed once logged; log a metric or tag instead",
                )
        self._params.update(checked)
        self._buf.add_params(checked)

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        checked = {
            v.check_key(k, "tag"): v.text_value(k, val, "tag", v.MAX_TAG)
            for k, val in _mapping(tags, "tags").items()
        }
        self._buf.add_tags(checked)

    def flush(self) -> None:
        """Write buffered logs to the store now."""
        if self._buffer is not None:
            self._buffer.flush()

    # -- reading metrics -----------------------------------------------------------
    def get_metric_history(self, key: str) -> MetricSeries:
        """Every point of metric ``key`` (column-wise), sorted by step."""
        self.flush()
        return self.workspace.store.get_metric_history(self.id, key)

    def get_metrics(self, name: str | None = None) -> dict[str, Any]:
        """Metrics as Azure ML returns them: a value, or a list when logged repeatedly."""
        self.flush()
        keys = [name] if name is not None else sorted(self.refresh()._record.metrics)
        out: dict[str, Any] = {}
        for key in keys:
            series = self.workspace.store.get_metric_history(self.id, key)
            values = series.values.tolist()
            if values:
                out[key] = values[0] if len(values) == 1 else values
        return out

    # -- lifecycle -----------------------------------------------------------------
    def complete(self) -> None:
        self.end(RunStatus.COMPLETED)

    def fail(self, error: BaseException | str | None = None) -> None:
        self.end(RunStatus.FAILED, error)

    def end(self, status: RunStatus | str = RunStatus.COMPLETED, error: Any = None) -> None:
        """End the run; its last logs and its status are stored in one transaction."""
        status = RunStatus(status)
        text = _error_text(error)
        end = now_ms()

        def final(batch: Batch) -> None:
            self.workspace.store.end_run(
                self.id,
                status,
                end,
                text,
                metrics=batch.metrics,
                params=batch.params,
                tags=batch.tags,
            )

        try:
            if self._buffer is not None:
                self._buffer.flush(final=final)
            else:
                final(Batch([], {}, {}))
        except ConflictError as e:
            # Params another process stored with other values cannot be kept; the rest
            # of the last batch is, and the run ends FAILED saying why.
            self._end_without_params(end, e)
            raise
        self._ended = True
        liveness.OWNED.discard(self)
        self._record = _replace(self._record, status, end, text)

    def _end_without_params(self, end: int, error: ConflictError) -> None:
        assert self._buffer is not None
        batch = self._buffer.take()
        text = f"the run's params conflict with stored ones: {error}"
        self.workspace.store.end_run(
            self.id, RunStatus.FAILED, end, text, metrics=batch.metrics, tags=batch.tags
        )
        self._ended = True
        liveness.OWNED.discard(self)
        self._record = _replace(self._record, RunStatus.FAILED, end, text)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.end(RunStatus.COMPLETED)
        elif isinstance(exc, KeyboardInterrupt | liveness.Terminated):
            self.end(RunStatus.KILLED, exc)
        else:
            self.end(RunStatus.FAILED, exc)

    def _activate(self) -> Run:
        liveness.OWNED.add(self)
        return self

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id


def _lookup(ws: Workspace, ref: str) -> RunRecord:
    if len(ref) == 32:
        return ws.store.get_run(ref)
    found = []
    if all(c in "0123456789abcdef" for c in ref):
        found = ws.store.search_runs(None, f"attributes.run_id LIKE '{ref}%'", max_results=5)
    if not found:
        quoted = ref.replace("\\", "\\\\").replace("'", "\\'")
        found = ws.store.search_runs(None, f"attributes.run_name = '{quoted}'", max_results=5)
    if not found:
        raise NotFoundError(
            f"no run has the id, id prefix or name {ref!r}",
            field="run_id",
            fix="see `mlyard runs list`",
        )
    if len(found) > 1:
        ids = ", ".join(r.run_id[:12] for r in found[:4])
        raise InvalidInputError(
            f"{ref!r} matches several runs ({ids}, …)",
            field="run_id",
            fix="give more characters of the run id",
        )
    return found[0]


def _is_number(value: Any) -> bool:
    if isinstance(value, int | float):
        return True
    return (
        type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf"
    )


def _mapping(data: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            f"{field} must be a mapping of names to values, got {type(data).__name__}",
            field=field,
            fix="pass a dict, e.g. {'alpha': 0.1}",
        )
    return data


def _error_text(error: Any) -> str | None:
    if error is None:
        return None
    if isinstance(error, BaseException):
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        return "".join(lines)[-8000:]
    return str(error)[-8000:]


def _replace(record: RunRecord, status: RunStatus, end: int, error: str | None) -> RunRecord:
    from dataclasses import replace

    return replace(record, status=status, end_time=end, error=error)


_BUFFER_LOCK = threading.Lock()  # creating a run's buffer is rare: one lock for all runs


def _end_active_runs() -> None:
    """At exit, end the runs this process still owns: KILLED after Ctrl-C or SIGTERM,
    FAILED after an uncaught exception, else COMPLETED."""
    exc = getattr(sys, "last_value", None)
    for run in liveness.OWNED.list():
        try:
            if liveness.terminated():
                run.end(RunStatus.KILLED, "the process received SIGTERM")
            elif isinstance(exc, KeyboardInterrupt):
                run.end(RunStatus.KILLED, exc)
            elif exc is not None:
                run.end(RunStatus.FAILED, exc)
            else:
                run.end(RunStatus.COMPLETED)
        except Exception as e:  # the store may already be gone; never block exit
            print(f"mlyard: could not end run {run.id}: {e}", file=sys.stderr)


atexit.register(_end_active_runs)
