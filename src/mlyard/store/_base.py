"""The one metadata interface every backend implements.

A :class:`Store` is the union of small concept interfaces — tracking, datasets,
registry, deployments, users and tokens, and the workspace itself (metadata, locks,
blob references) —
so each backend keeps one module per concept. A second backend (the REST client of
``mlyard server``) implements exactly these methods; the shared test suite in
``tests/`` runs the SDK over every backend.

Contract, for every backend:

* **Thread safety.** One store object may be used from many threads at once.
* **Atomicity.** Every method is one transaction: it either happens whole or leaves
  the store as it was. Several processes (on several machines, for a server database)
  may write at once; no write is lost and version numbers never repeat.
* **Immutability.** Records returned are frozen snapshots (see
  :mod:`mlyard.store.records`); dataset and model versions never change once created,
  except for their tags and aliases.
* **Not found.** ``get_*`` raises :class:`~mlyard.errors.NotFoundError` naming what
  was looked for and how to list what exists; ``find_*`` returns ``None``;
  ``list_*(name)`` of a name that does not exist raises ``NotFoundError`` (a name that
  exists but matches nothing gives ``[]``).
* **Errors.** Taken names raise :class:`~mlyard.errors.AlreadyExistsError`,
  contradictions :class:`~mlyard.errors.ConflictError`, bad arguments
  :class:`~mlyard.errors.InvalidInputError`, backend failures
  :class:`~mlyard.errors.StoreError`. Nothing else escapes.
* **Arguments.** Callers (the SDK) validate names and values; a backend still rejects
  what it cannot store (numbers out of range, unknown filter keys) with
  ``InvalidInputError``, never a driver error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from mlyard.store.records import (
    DatasetVersionRecord,
    DatastoreRecord,
    DeploymentRecord,
    DeploymentState,
    ExperimentRecord,
    FileRecord,
    MetricSeries,
    ModelVersionRecord,
    RegisteredModelRecord,
    Role,
    RunRecord,
    RunStatus,
    TokenRecord,
    UserRecord,
)


class TrackingStore(ABC):
    """Experiments, runs and what runs log."""

    @abstractmethod
    def create_experiment(self, name: str, artifact_location: str = "") -> ExperimentRecord:
        """Create experiment ``name``. Raises ``AlreadyExistsError`` if the name is taken."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> ExperimentRecord:
        """The experiment with id ``experiment_id``. Raises ``NotFoundError``."""

    @abstractmethod
    def find_experiment(self, name: str) -> ExperimentRecord | None:
        """The experiment called ``name``, or ``None``."""

    @abstractmethod
    def list_experiments(self) -> list[ExperimentRecord]:
        """Every experiment, by id."""

    @abstractmethod
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
        """Start a RUNNING run owned by process ``pid`` on ``host``.

        Raises ``NotFoundError`` for an unknown experiment.
        """

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord:
        """The run ``run_id``. Raises ``NotFoundError``."""

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
        """Set the run's final status, storing its last batch in the same transaction.

        Raises ``NotFoundError`` for an unknown run, ``ConflictError`` as
        :meth:`log_batch` does.
        """

    @abstractmethod
    def heartbeat(self, run_ids: Sequence[str], at: int) -> None:
        """Record that the processes owning ``run_ids`` were alive at ``at``.

        Runs that no longer exist or have ended are skipped silently.
        """

    @abstractmethod
    def mark_lost(self, run_id: str, end_time: int, reason: str) -> bool:
        """End a RUNNING run as LOST (its process died); False if it had already ended."""

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricSeries] = (),
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """Store metrics, params and tags in one transaction.

        A param already stored with another value raises ``ConflictError`` and nothing
        of the batch is stored. Steps and timestamps must fit in int64. Raises
        ``NotFoundError`` for an unknown run.
        """

    @abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> MetricSeries:
        """Every point of ``key``, sorted by step then timestamp (empty if never logged).

        Raises ``NotFoundError`` for an unknown run.
        """

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Active runs of ``experiment_ids`` (``None``: of every experiment) matching
        ``filter_string`` (grammar in :mod:`mlyard.store.search`), ordered by
        ``order_by`` then newest first.

        Raises ``InvalidInputError`` for a bad filter, order or page
        (see :func:`mlyard.store.search.check_page`).
        """

    @abstractmethod
    def count_runs(self, experiment_ids: Sequence[str]) -> dict[str, int]:
        """How many active runs each experiment has (0 for unknown ids)."""

    @abstractmethod
    def add_run_files(self, run_id: str, files: Iterable[FileRecord]) -> None:
        """Record files uploaded to a run; a path stored again points at the new bytes.

        Raises ``NotFoundError`` for an unknown run.
        """

    @abstractmethod
    def list_run_files(self, run_id: str, prefix: str = "") -> list[FileRecord]:
        """The run's files at or under ``prefix``, by path. ``NotFoundError`` for an
        unknown run."""


class DatasetStore(ABC):
    """Datastores, the files uploaded to them, and versioned datasets."""

    @abstractmethod
    def register_datastore(self, name: str, url: str, is_default: bool = False) -> DatastoreRecord:
        """Create the datastore, or return it unchanged if it exists with the same URL.

        Raises ``AlreadyExistsError`` if it exists with another URL.
        """

    @abstractmethod
    def get_datastore(self, name: str | None = None) -> DatastoreRecord:
        """The named datastore, or the default one when ``name`` is None.

        Raises ``NotFoundError``.
        """

    @abstractmethod
    def list_datastores(self) -> list[DatastoreRecord]:
        """Every datastore, by name."""

    @abstractmethod
    def record_datastore_files(self, datastore: str, files: Iterable[FileRecord]) -> None:
        """Record (or update) files uploaded to ``datastore``.

        Raises ``NotFoundError`` for an unknown datastore.
        """

    @abstractmethod
    def get_datastore_files(self, datastore: str, prefix: str = "") -> list[FileRecord]:
        """Recorded files of ``datastore`` at or under ``prefix``, by path.

        Raises ``NotFoundError`` for an unknown datastore.
        """

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
        *,
        created_by: str | None = None,
    ) -> tuple[DatasetVersionRecord, bool]:
        """Add the next version of ``name``, registered by user ``created_by``; return
        ``(record, created)``.

        When a version with the same fingerprint exists it is returned with
        ``created=False`` and nothing is written (it keeps its own ``created_by``).
        Concurrent writers get distinct, consecutive versions. Raises ``ConflictError``
        when ``name`` holds datasets of another ``kind``.
        """

    @abstractmethod
    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetVersionRecord:
        """Version ``version`` of ``name``; the latest when ``version`` is None.

        Raises ``NotFoundError`` for an unknown name or version.
        """

    @abstractmethod
    def find_dataset_version(self, name: str, fingerprint: str) -> DatasetVersionRecord | None:
        """The version of ``name`` with ``fingerprint`` (same content), or ``None``."""

    @abstractmethod
    def list_dataset_versions(self, name: str | None = None) -> list[DatasetVersionRecord]:
        """All versions of ``name`` by number, or the latest version of every dataset.

        Raises ``NotFoundError`` for an unknown ``name``.
        """


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
        created_by: str | None = None,
    ) -> ModelVersionRecord:
        """Create the registered model if needed and add its next version, registered
        by user ``created_by``.

        Concurrent writers get distinct, consecutive versions.
        """

    @abstractmethod
    def get_model_version(self, name: str, version: int | None = None) -> ModelVersionRecord:
        """Version ``version`` of ``name``; the latest when ``version`` is None.

        Raises ``NotFoundError`` for an unknown name or version.
        """

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersionRecord:
        """The version ``alias`` points at. Raises ``NotFoundError``."""

    @abstractmethod
    def list_models(self, name: str | None = None) -> list[RegisteredModelRecord]:
        """Every registered model by name, or only ``name``.

        Raises ``NotFoundError`` for an unknown ``name``.
        """

    @abstractmethod
    def list_model_versions(
        self, name: str | None = None, tags: dict[str, str | None] | None = None
    ) -> list[ModelVersionRecord]:
        """Versions of ``name`` (or of every model) carrying all ``tags``.

        A tag whose wanted value is None matches any value. Raises ``NotFoundError``
        for an unknown ``name``.
        """

    @abstractmethod
    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at ``version`` (moving it if set). ``NotFoundError`` for an
        unknown version."""

    @abstractmethod
    def delete_model_alias(self, name: str, alias: str) -> None:
        """Remove ``alias``. Raises ``NotFoundError`` if it is not set."""

    @abstractmethod
    def set_model_version_tags(self, name: str, version: int, tags: dict[str, str]) -> None:
        """Set (or overwrite) tags. ``NotFoundError`` for an unknown version."""

    @abstractmethod
    def delete_model_version_tags(self, name: str, version: int, keys: Iterable[str]) -> None:
        """Remove tags (absent keys are ignored). ``NotFoundError`` for an unknown version."""


class DeploymentStore(ABC):
    """Named web services: the shared part (the deployer keeps pid, folder, logs)."""

    @abstractmethod
    def put_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        """Create or replace the deployment ``record.name``; ``created_at`` of a replaced
        one is kept. Returns the stored record."""

    @abstractmethod
    def get_deployment(self, name: str) -> DeploymentRecord:
        """The deployment ``name``. Raises ``NotFoundError``."""

    @abstractmethod
    def find_deployment(self, name: str) -> DeploymentRecord | None:
        """The deployment ``name``, or ``None``."""

    @abstractmethod
    def list_deployments(self) -> list[DeploymentRecord]:
        """Every deployment, by name."""

    @abstractmethod
    def set_deployment_state(
        self, name: str, state: DeploymentState, error: str | None = None
    ) -> DeploymentRecord:
        """Record what the deployer saw; ``error`` is kept only for ``FAILED``.

        Raises ``NotFoundError``.
        """

    @abstractmethod
    def delete_deployment(self, name: str) -> None:
        """Forget the deployment. Raises ``NotFoundError``."""


class AuthChanges(Protocol):
    """Changes to users and tokens committed by any process, as a count."""

    @property
    def generation(self) -> int:
        """Grows with every change (and whenever changes may have been missed)."""

    @property
    def live(self) -> bool:
        """Whether every change from now on will show in :attr:`generation`."""

    def close(self) -> None: ...


class AuthStore(ABC):
    """Users, their role in the workspace, and their API tokens.

    A token is stored as its keyed hash only (see :mod:`mlyard.auth`); the store never
    sees a token. Revoked tokens and disabled users stay stored, so listings show them;
    deciding whether a token still admits its user is the caller's job, from the
    records :meth:`find_token` returns.
    """

    @abstractmethod
    def create_user(self, name: str, role: Role) -> UserRecord:
        """Create user ``name`` with ``role``. Raises ``AlreadyExistsError`` if the name
        is taken (by an active or a disabled user)."""

    @abstractmethod
    def get_user(self, name: str) -> UserRecord:
        """The user ``name``. Raises ``NotFoundError``."""

    @abstractmethod
    def list_users(self) -> list[UserRecord]:
        """Every user, disabled ones included, by name."""

    @abstractmethod
    def set_user_role(self, name: str, role: Role) -> UserRecord:
        """Give user ``name`` the role ``role``; return the updated user.

        Raises ``NotFoundError``.
        """

    @abstractmethod
    def disable_user(self, name: str) -> UserRecord:
        """Disable user ``name`` (its tokens stop admitting it); return the user.

        Disabling a disabled user changes nothing. Raises ``NotFoundError``.
        """

    @abstractmethod
    def create_token(
        self,
        user: str,
        label: str,
        token_hash: str,
        prefix: str,
        expires_at: int | None = None,
    ) -> TokenRecord:
        """Store a token of ``user`` known by ``token_hash``; return it with a new
        ``token_id``.

        Raises ``NotFoundError`` for an unknown user, ``ConflictError`` for a disabled
        one, ``AlreadyExistsError`` if ``token_hash`` is stored already.
        """

    @abstractmethod
    def list_tokens(self, user: str | None = None) -> list[TokenRecord]:
        """Tokens of ``user`` (``None``: of every user), revoked ones included, oldest
        first. Raises ``NotFoundError`` for an unknown ``user``."""

    @abstractmethod
    def revoke_token(self, token_id: str) -> TokenRecord:
        """Revoke the token; return it. Revoking a revoked token keeps its first
        ``revoked_at``. Raises ``NotFoundError``."""

    @abstractmethod
    def find_token(self, token_hash: str) -> tuple[TokenRecord, UserRecord] | None:
        """The token stored with ``token_hash`` and its user (revoked, expired or
        disabled alike), or ``None``. One indexed read: it runs on every request."""

    def watch_auth(self) -> AuthChanges | None:
        """A watch counting changes to users and tokens committed by any process, so a
        server may remember the tokens it checked until one changes (close it when
        done); ``None`` where the store cannot watch (every check then reads)."""
        return None

    @abstractmethod
    def touch_token(self, token_id: str, at: int) -> None:
        """Record that the token was used at ``at`` (unless a later use is recorded).

        An unknown ``token_id`` is skipped silently.
        """


class WorkspaceStore(ABC):
    """What belongs to the workspace as a whole: metadata, locks, blob references."""

    @abstractmethod
    def find_meta(self, key: str) -> str | None:
        """The workspace's metadata value ``key`` (e.g. ``artifact_root``), or ``None``."""

    @abstractmethod
    def put_meta(self, key: str, value: str) -> str:
        """Set ``key`` unless it is set; return the value now stored (the first writer's)."""

    @abstractmethod
    def acquire_lock(self, key: str, owner: str, ttl_ms: int) -> str | None:
        """Take lock ``key`` for ``owner`` until released or ``ttl_ms`` from now.

        Returns ``None`` when taken (or already held by ``owner``, whose lease is
        renewed), else the current holder's ``owner`` text. An expired lock is taken.
        """

    @abstractmethod
    def release_lock(self, key: str, owner: str) -> None:
        """Release ``key`` if ``owner`` holds it; otherwise do nothing."""

    @abstractmethod
    def referenced_blobs(self) -> set[str]:
        """sha256 of every blob a record points at (run, dataset and model files)."""


class Store(TrackingStore, DatasetStore, RegistryStore, DeploymentStore, AuthStore, WorkspaceStore):
    """All metadata of one workspace. Backends: ``SqlStore`` (and next ``RestStore``)."""

    url: str

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
