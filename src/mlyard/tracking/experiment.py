"""An experiment: a named group of runs to compare."""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlyard import processes
from mlyard.auth.identity import current_user
from mlyard.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from mlyard.names import check_label
from mlyard.store.records import ExperimentRecord
from mlyard.store.search import check_page
from mlyard.tracking import context, liveness
from mlyard.tracking.names import run_name
from mlyard.tracking.run import Run
from mlyard.tracking.validation import check_key, text_value

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


class Experiment:
    """The experiment called ``name`` in ``workspace``, created if missing.

    Example:
        >>> import tempfile
        >>> from mlyard import Workspace
        >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
        >>> exp = Experiment(ws, "diabetes")
        >>> for alpha in (0.1, 1.0):
        ...     with exp.start_run() as run:
        ...         run.log_params({"alpha": alpha})
        ...         run.log("mse", 3000 + alpha)
        >>> exp.best_run("mse", mode="min").params["alpha"]
        '0.1'
    """

    def __init__(self, workspace: Workspace, name: str):
        from mlyard.workspace import require_workspace

        self.workspace = require_workspace(workspace)
        check_label(name, "experiment name", field="name")
        self._record = self._get_or_create(name)

    def _get_or_create(self, name: str) -> ExperimentRecord:
        store = self.workspace.store
        found = store.find_experiment(name)
        if found is not None:
            return found
        try:
            return store.create_experiment(name)
        except AlreadyExistsError:  # another process created it just now
            found = store.find_experiment(name)
            assert found is not None
            return found

    @classmethod
    def _of(cls, workspace: Workspace, record: ExperimentRecord) -> Experiment:
        exp = cls.__new__(cls)
        exp.workspace, exp._record = workspace, record
        return exp

    @classmethod
    def get(cls, workspace: Workspace, name: str) -> Experiment:
        """The existing experiment ``name`` (``Experiment(ws, name)`` creates it instead).

        Raises:
            NotFoundError: there is none; the message lists the experiments.
        """
        from mlyard.workspace import require_workspace

        ws = require_workspace(workspace)
        check_label(name, "experiment name", field="name")
        record = ws.store.find_experiment(name)
        if record is None:
            known = [e.name for e in ws.store.list_experiments()][:20]
            raise NotFoundError(
                f"no experiment named {name!r}",
                field="experiment",
                fix=f"experiments are: {', '.join(known)}" if known else "start a run first",
            )
        return cls._of(ws, record)

    @classmethod
    def list(cls, workspace: Workspace) -> builtins.list[Experiment]:
        """Every experiment of the workspace, oldest first."""
        return [cls._of(workspace, r) for r in workspace.store.list_experiments()]

    @property
    def run_count(self) -> int:
        """How many runs the experiment holds."""
        return self.workspace.store.count_runs([self.id])[self.id]

    @property
    def id(self) -> str:
        return self._record.experiment_id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def created_at(self) -> int:
        return self._record.created_at

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r}, id={self.id!r})"

    def start_run(self, run_name: str | None = None, tags: Mapping[str, Any] | None = None) -> Run:
        """Start a run (status RUNNING). Use it as a context manager to end it."""
        if run_name is not None:
            check_label(run_name, "run_name", field="run_name")
        all_tags = context.run_context()
        for key, value in (tags or {}).items():
            all_tags[check_key(key, "tag")] = text_value(key, value, "tag", 8000)
        liveness.handle_sigterm()
        record = self.workspace.store.create_run(
            self.id,
            run_name or _default_name(),
            current_user(),
            all_tags,
            host=processes.machine(),
            pid=os.getpid(),
        )
        return Run(self.workspace, record)._activate()

    def runs(
        self,
        filter: str | None = None,
        order_by: Sequence[str] | str | None = None,
        max_results: int = 1000,
    ) -> builtins.list[Run]:
        """Runs matching ``filter``, e.g. ``"metrics.mse < 3000 and params.alpha = '0.1'"``,
        sorted by ``order_by``, e.g. ``["metrics.mse ASC"]`` (default: newest first)."""
        return search(self.workspace, [self.id], filter, order_by, max_results)

    def get_run(self, run_id: str) -> Run:
        run = Run.get(self.workspace, run_id)
        if run.experiment_id != self.id:
            raise NotFoundError(f"run {run_id} is not in experiment {self.name!r}")
        return run

    def best_run(self, metric: str, mode: str = "min") -> Run:
        """The COMPLETED run with the lowest (``mode="min"``) or highest metric."""
        if mode not in ("min", "max"):
            raise InvalidInputError(f"mode must be 'min' or 'max', got {mode!r}", field="mode")
        check_key(metric, "metric")
        quoted = f"`{metric}`" if not metric.replace("_", "").isalnum() else metric
        order = f"metrics.{quoted} {'ASC' if mode == 'min' else 'DESC'}"
        found = self.runs(
            filter=f"metrics.{quoted} >= -1e308 and attributes.status = 'COMPLETED'",
            order_by=[order],
            max_results=1,
        )
        if not found:
            raise NotFoundError(
                f"no completed run of experiment {self.name!r} logged metric {metric!r}",
                fix="check the metric name with exp.runs()[0].metrics",
            )
        return found[0]


def _default_name() -> str:
    return run_name()


def search(
    ws: Workspace,
    experiment_ids: Sequence[str] | None,
    filter: str | None,
    order_by: Sequence[str] | str | None,
    max_results: int,
    offset: int = 0,
) -> builtins.list[Run]:
    """Runs of ``experiment_ids`` (None: all) as :meth:`Experiment.runs` finds them, with
    dead RUNNING runs marked LOST."""
    check_page(max_results, offset)
    if isinstance(order_by, str):
        order_by = [order_by]
    records = ws.store.search_runs(
        experiment_ids, filter, order_by or (), max_results=max_results, offset=offset
    )
    return [Run(ws, r) for r in liveness.settle(ws, records)]
