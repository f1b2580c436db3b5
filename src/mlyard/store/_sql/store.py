"""``SqlStore``: the SQL concept stores sharing one engine."""

from __future__ import annotations

from mlyard.store._base import Store
from mlyard.store._sql.auth import SqlAuthStore
from mlyard.store._sql.database import Database
from mlyard.store._sql.datasets import SqlDatasetStore
from mlyard.store._sql.deployments import SqlDeploymentStore
from mlyard.store._sql.registry import SqlRegistryStore
from mlyard.store._sql.tracking import SqlTrackingStore
from mlyard.store._sql.workspace import SqlWorkspaceStore


class SqlStore(
    SqlTrackingStore,
    SqlDatasetStore,
    SqlRegistryStore,
    SqlDeploymentStore,
    SqlAuthStore,
    SqlWorkspaceStore,
    Store,
):
    """Metadata in a SQL database (``sqlite:///path`` or ``postgresql://...``).

    Example:
        >>> store = SqlStore("sqlite://")
        >>> store.create_experiment("demo").name
        'demo'
    """

    def __init__(self, url: str):
        self.url = url
        self._db = Database(url)

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"
