"""``RestStore``: the store of a workspace that ``mlyard server`` serves."""

from __future__ import annotations

from mlyard.store._base import Store
from mlyard.store._rest.auth import RestAuthStore
from mlyard.store._rest.datasets import RestDatasetStore
from mlyard.store._rest.deployments import RestDeploymentStore
from mlyard.store._rest.registry import RestRegistryStore
from mlyard.store._rest.tracking import RestTrackingStore
from mlyard.store._rest.workspace import RestWorkspaceStore
from mlyard.wire.client import Connection


class RestStore(
    RestTrackingStore,
    RestDatasetStore,
    RestRegistryStore,
    RestDeploymentStore,
    RestWorkspaceStore,
    RestAuthStore,
    Store,
):
    """Metadata through the REST API of ``mlyard server`` at ``conn.url``.

    Example:
        >>> store = RestStore(Connection("http://127.0.0.1:8765"))  # doctest: +SKIP
        >>> store.create_experiment("demo").name  # doctest: +SKIP
        'demo'
    """

    def __init__(self, conn: Connection):
        self.conn = conn
        self.url = conn.url

    def close(self) -> None:
        self.conn.close()

    def __repr__(self) -> str:
        return f"RestStore({self.url!r})"
