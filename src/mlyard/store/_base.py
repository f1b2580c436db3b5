"""The one metadata interface every backend implements.

A :class:`Store` is the union of four concept interfaces — tracking, datasets, registry
and deployments — so each backend can keep one module per concept.

Contract, for every backend:

* **Thread safety.** One store object may be used from many threads at once.
* **Atomicity.** Every method is one transaction: it either happens whole or leaves
  the store as it was. Several processes may write to one store concurrently; no write
  is lost (SQLite waits up to ``MLYARD_BUSY_TIMEOUT`` seconds for a writer's lock).
* **Immutability.** Records returned are frozen snapshots; dataset versions and model
  versions never change once created, except for their tags and aliases.
* **Errors.** Missing objects raise :class:`~mlyard.errors.NotFoundError`, taken names
  :class:`~mlyard.errors.AlreadyExistsError`, contradictions
  :class:`~mlyard.errors.ConflictError`, and backend failures
  :class:`~mlyard.errors.StoreError`. Nothing else escapes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from mlyard.store.records import (
    DatasetVersionRecord,
    DatastoreRecord,
    DeploymentRecord,
    ExperimentRecord,
    FileRecord,
    MetricSeries,
    ModelVersionRecord,
    RegisteredModelRecord,
    RunRecord,
    RunStatus,
)


class TrackingStore(ABC):
    """Experiments, runs and what runs log."""

    @abstractmethod
    def create_experiment(self, name: str, artifact_location: str = "") -> ExperimentRecord: ...

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> ExperimentRecord: ...

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> ExperimentRecord | None:
        """The experiment called ``name``, or ``None``."""

    @abstractmethod
    def list_experiments(self) -> list[ExperimentRecord]: ...

    @abstractmethod
    def create_run(
        self,
        experiment_id: str,
        name: str | None,
        user_id: str,
        tags: dict[str, str],
        start_time: int | None = None,
    ) -> RunRecord: ...

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord: ...

    @abstractmethod
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
        """Set the run's final status, storing its last batch in the same transaction."""

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricSeries] = (),
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """Store metrics, params and tags in one transaction.

        A param already stored with another value raises :class:`ConflictError` and
        nothing of the batch is stored.
        """

    @abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> MetricSeries:
        """Every point of ``key``, sorted by step then timestamp."""

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs matching ``filter_string`` (see :mod:`mlyard.store.search`)."""

    @abstractmethod
    def count_runs(self, experiment_ids: Sequence[str]) -> dict[str, int]:
        """How many active runs each experiment has."""

    @abstractmethod
    def add_run_files(self, run_id: str, files: Iterable[FileRecord]) -> None:
        """Record files uploaded to a run; a path stored again points at the new bytes."""

    @abstractmethod
    def list_run_files(self, run_id: str, prefix: str = "") -> list[FileRecord]: ...


class DatasetStore(ABC):
    """Datastores, the files uploaded to them, and versioned datasets."""

    @abstractmethod
    def register_datastore(self, name: str, url: str, is_default: bool = False) -> DatastoreRecord:
        """Create the datastore, or return it unchanged if it exists with the same URL."""

    @abstractmethod
    def get_datastore(self, name: str | None = None) -> DatastoreRecord:
        """The named datastore, or the default one when ``name`` is None."""

    @abstractmethod
    def list_datastores(self) -> list[DatastoreRecord]: ...

    @abstractmethod
    def record_datastore_files(self, datastore: str, files: Iterable[FileRecord]) -> None: ...

    @abstractmethod
    def get_datastore_files(self, datastore: str, prefix: str = "") -> list[FileRecord]: ...

    @abstractmethod
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
    ) -> tuple[DatasetVersionRecord, bool]:
        """Add the next version of ``name``; return ``(record, created)``.

        When a version with the same fingerprint exists it is returned with
        ``created=False`` and nothing is written.
        """

    @abstractmethod
    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetVersionRecord:
        """Version ``version`` of ``name``; the latest when ``version`` is None."""

    @abstractmethod
    def list_dataset_versions(self, name: str | None = None) -> list[DatasetVersionRecord]:
        """All versions of ``name``, or the latest version of every dataset."""


class RegistryStore(ABC):
    """Registered models, their versions, tags and aliases."""

    @abstractmethod
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
    ) -> ModelVersionRecord:
        """Create the registered model if needed and add its next version."""

    @abstractmethod
    def get_model_version(self, name: str, version: int | None = None) -> ModelVersionRecord:
        """Version ``version`` of ``name``; the latest when ``version`` is None."""

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersionRecord: ...

    @abstractmethod
    def list_models(self, name: str | None = None) -> list[RegisteredModelRecord]: ...

    @abstractmethod
    def list_model_versions(
        self, name: str | None = None, tags: dict[str, str | None] | None = None
    ) -> list[ModelVersionRecord]:
        """Versions of ``name`` (or of every model) carrying all ``tags``.

        A tag whose wanted value is None matches any value.
        """

    @abstractmethod
    def set_model_alias(self, name: str, alias: str, version: int) -> None: ...

    @abstractmethod
    def delete_model_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def set_model_version_tags(self, name: str, version: int, tags: dict[str, str]) -> None: ...

    @abstractmethod
    def delete_model_version_tags(self, name: str, version: int, keys: Iterable[str]) -> None: ...


class DeploymentStore(ABC):
    """Named web services and the model versions they serve."""

    @abstractmethod
    def put_deployment(self, record: DeploymentRecord) -> None:
        """Create or replace the deployment called ``record.name``."""

    @abstractmethod
    def get_deployment(self, name: str) -> DeploymentRecord: ...

    @abstractmethod
    def list_deployments(self) -> list[DeploymentRecord]: ...

    @abstractmethod
    def update_deployment(self, name: str, **fields: Any) -> DeploymentRecord:
        """Change ``state``, ``pid``, ``port`` or ``error`` of a deployment."""

    @abstractmethod
    def delete_deployment(self, name: str) -> None: ...


class Store(TrackingStore, DatasetStore, RegistryStore, DeploymentStore):
    """All metadata of one workspace. Backends: ``SqlStore`` (and later ``RestStore``)."""

    url: str

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
