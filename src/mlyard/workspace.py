"""The workspace: one handle on a store (metadata) and a blob store (bytes).

``Workspace.open("./yard")`` is the embedded default: the folder holds ``mlyard.db``
(SQLite), ``artifacts/`` (content-addressed blobs), ``datastores/default/`` and
``deployments/``. A database URL opens a team workspace; it needs an
``artifact_root`` (a folder or ``s3://bucket/prefix``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from mlyard import settings
from mlyard.artifacts import BlobStore
from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.names import check_name
from mlyard.store import Store, open_store

if TYPE_CHECKING:
    from mlyard.data.datastore import Datastore

DEFAULT_DATASTORE = "default"
_DB_SCHEMES = ("sqlite:", "postgresql:", "postgresql+", "postgres:")


class Workspace:
    """Where a team keeps its data, experiments, models and services.

    Example:
        >>> import tempfile
        >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
        >>> ws.get_default_datastore().name
        'default'
    """

    def __init__(self, url: str, store: Store, blobs: BlobStore, home: Path):
        self.url = url
        self.store = store
        self.blobs = blobs
        self.home = home

    @classmethod
    def open(
        cls,
        url: str | Path | None = None,
        *,
        artifact_root: str | None = None,
        home: str | Path | None = None,
    ) -> Workspace:
        """Open (creating if missing) the workspace at ``url``.

        Args:
            url: a folder (default ``$MLYARD_WORKSPACE`` or ``./yard``), or a database
                URL such as ``postgresql://user@host/db``.
            artifact_root: where blobs live, for database URLs (folder or fsspec URL).
            home: a local folder for service logs and state, for database URLs.
        """
        url = str(url if url is not None else settings.get("workspace"))
        if url.startswith(("http://", "https://")):
            raise InvalidInputError(
                f"cannot open {url!r}: this build of mlyard opens workspace folders and "
                "database URLs only",
                field="url",
                fix="pass a folder such as ./yard or a postgresql:// URL",
            )
        if url.startswith(_DB_SCHEMES):
            return cls._open_database(url, artifact_root, home)
        return cls._open_folder(Path(url.removeprefix("file://")), artifact_root)

    @classmethod
    def _open_folder(cls, folder: Path, artifact_root: str | None) -> Workspace:
        folder = folder.expanduser().absolute()
        if folder.exists() and not folder.is_dir():
            raise InvalidInputError(
                f"{str(folder)!r} is a file, not a workspace folder",
                field="url",
                fix="pass a folder path (it is created if missing)",
            )
        for sub in ("artifacts", "datastores/default", "deployments"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        store = open_store(f"sqlite:///{folder / 'mlyard.db'}")
        ws = cls(str(folder), store, BlobStore(artifact_root or folder / "artifacts"), folder)
        # Stored relative to the workspace so the folder can be moved or copied.
        store.register_datastore(DEFAULT_DATASTORE, "./datastores/default", is_default=True)
        return ws

    @classmethod
    def _open_database(
        cls, url: str, artifact_root: str | None, home: str | Path | None
    ) -> Workspace:
        if not artifact_root:
            raise InvalidInputError(
                f"a database workspace ({url.split(':')[0]}) needs an artifact_root",
                field="artifact_root",
                fix="pass artifact_root='/shared/folder' or 's3://bucket/prefix'",
            )
        key = hashlib.sha256(url.encode()).hexdigest()[:12]
        home_dir = Path(home) if home else Path.home() / ".mlyard" / "workspaces" / key
        (home_dir / "deployments").mkdir(parents=True, exist_ok=True)
        store = open_store(url)
        ws = cls(url, store, BlobStore(artifact_root), home_dir)
        default = f"{artifact_root.rstrip('/')}/datastores/default"
        store.register_datastore(DEFAULT_DATASTORE, default, is_default=True)
        return ws

    # -- datastores ----------------------------------------------------------------
    def resolve_url(self, url: str) -> str:
        """Turn a workspace-relative datastore URL (``./…``) into an absolute one."""
        if url.startswith("./"):
            return str(Path(self.home) / url[2:])
        return url

    def get_default_datastore(self) -> Datastore:
        from mlyard.data.datastore import Datastore

        return Datastore(self, self.store.get_datastore(None))

    def get_datastore(self, name: str) -> Datastore:
        from mlyard.data.datastore import Datastore

        return Datastore(self, self.store.get_datastore(name))

    def register_datastore(self, name: str, url: str) -> Datastore:
        """Register ``url`` (a folder or any fsspec URL) as datastore ``name``."""
        from mlyard.data.datastore import Datastore

        check_name(name, "datastore name", field="name")
        if "://" not in url:
            path = Path(url).expanduser().absolute()
            path.mkdir(parents=True, exist_ok=True)
            url = str(path)
        return Datastore(self, self.store.register_datastore(name, url))

    @property
    def datastores(self) -> dict[str, Datastore]:
        from mlyard.data.datastore import Datastore

        return {r.name: Datastore(self, r) for r in self.store.list_datastores()}

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.url!r})"


def require_workspace(ws: object, field: str = "workspace") -> Workspace:
    if not isinstance(ws, Workspace):
        raise InvalidInputError(
            f"expected a Workspace, got {type(ws).__name__}",
            field=field,
            fix='open one with Workspace.open("./yard")',
        )
    return ws


__all__ = ["NotFoundError", "Workspace", "require_workspace"]
