"""The workspace: one handle on a store (metadata), a blob store (bytes) and a deployer.

``Workspace.open("./yard")`` is the embedded default: the folder holds ``mlyard.db``
(SQLite), ``artifacts/`` (content-addressed blobs), ``datastores/default/`` and
``deployments/``. A database URL opens a team workspace; its artifact root (a folder
or ``s3://bucket/prefix``) is given once and remembered by the database. The URL is
turned into backends in one place, :func:`open_backends`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from mlyard import settings
from mlyard.artifacts import BlobStore, open_blob_store
from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.names import check_name
from mlyard.store import Store, open_store

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from mlyard.data.datastore import Datastore
    from mlyard.serving.deployer import Deployer
    from mlyard.serving.services import Services
    from mlyard.wire.client import Connection

DEFAULT_DATASTORE = "default"
_DB_SCHEMES = ("sqlite:", "postgresql:", "postgresql+", "postgres:")
_HTTP_SCHEMES = ("http://", "https://")
_ARTIFACT_ROOT = "artifact_root"


@dataclass(frozen=True)
class Backends:
    """What a workspace URL opens: metadata, bytes, and this machine's own folder."""

    store: Store
    blobs: BlobStore
    home: Path  # service folders and logs of this machine
    default_datastore: str  # URL of the default datastore
    server: Connection | None = None  # a workspace served by `mlyard server`


def open_backends(
    url: str,
    *,
    artifact_root: str | None = None,
    home: str | Path | None = None,
    create: bool,
    token: str | None = None,
) -> Backends:
    """Turn a workspace URL into its backends.

    Args:
        url: a folder, ``sqlite:///…``, ``postgresql://…`` or ``http(s)://`` (a server).
        token: for a server, the token it knows the caller by.
        artifact_root: for database URLs, where blobs live; needed the first time only.
        home: this machine's folder for the workspace's services (database URLs).
        create: make a missing folder workspace; when False, a missing one is an error.
    """
    if url.startswith(_HTTP_SCHEMES):
        return _server_backends(url, token, artifact_root)
    if is_database_url(url):
        return _database_backends(url, artifact_root, home)
    return _folder_backends(Path(url.removeprefix("file://")), artifact_root, create)


def is_database_url(url: str) -> bool:
    """Whether ``url`` names a database workspace rather than a folder."""
    return url.startswith(_DB_SCHEMES)


def store_url(url: str | Path) -> str:
    """The metadata database of the workspace at ``url``: the URL itself, or a folder's
    ``mlyard.db`` (the folder must hold a workspace)."""
    text = str(url)
    if is_database_url(text):
        return text
    folder = _workspace_folder(Path(text.removeprefix("file://")), create=False)
    return f"sqlite:///{folder / 'mlyard.db'}"


def _server_backends(url: str, token: str | None, artifact_root: str | None) -> Backends:
    from mlyard.artifacts.http import HttpBlobStore
    from mlyard.store._rest import RestStore
    from mlyard.wire.client import Connection

    if artifact_root:
        raise InvalidInputError(
            f"the server at {url} keeps its own artifacts; artifact_root is not yours to set",
            field="artifact_root",
            fix="leave artifact_root out (it is chosen with `mlyard server --artifacts`)",
        )
    conn = Connection(url, token)
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    home = Path(str(settings.get("home"))).expanduser() / "servers" / key
    return Backends(RestStore(conn), HttpBlobStore(conn), home, "", conn)


def _workspace_folder(folder: Path, create: bool) -> Path:
    folder = folder.expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(
            f"{str(folder)!r} is a file, not a workspace folder",
            field="url",
            fix="pass a folder path (it is created if missing)",
        )
    if not create and not (folder / "mlyard.db").is_file():
        raise NotFoundError(
            f"there is no workspace at {str(folder)!r}",
            field="workspace",
            fix=f"check the path, or create one with `mlyard init {folder}`",
        )
    return folder


def _folder_backends(folder: Path, artifact_root: str | None, create: bool) -> Backends:
    folder = _workspace_folder(folder, create)
    for sub in ("artifacts", "datastores/default", "deployments"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{folder / 'mlyard.db'}")
    blobs = open_blob_store(artifact_root or str(folder / "artifacts"))
    # Stored relative to the workspace so the folder can be moved or copied.
    return Backends(store, blobs, folder, "./datastores/default")


def _database_backends(url: str, artifact_root: str | None, home: str | Path | None) -> Backends:
    store = open_store(url)
    try:
        root = store.find_meta(_ARTIFACT_ROOT)
        if root is None and artifact_root:
            root = store.put_meta(_ARTIFACT_ROOT, artifact_root)
        if root is None:
            raise InvalidInputError(
                f"the database workspace {url.split(':')[0]} has no artifact root yet",
                field="artifact_root",
                fix="pass artifact_root='/shared/folder' or 's3://bucket/prefix' the first time",
            )
        if artifact_root and artifact_root.rstrip("/") != root.rstrip("/"):
            raise InvalidInputError(
                f"this workspace keeps its artifacts at {root!r}, not {artifact_root!r}",
                field="artifact_root",
                fix="leave artifact_root out, or pass the one the workspace was created with",
            )
    except BaseException:
        store.close()
        raise
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    base = Path(str(settings.get("home"))).expanduser() / "workspaces" / key
    home_dir = Path(home).expanduser().absolute() if home else base
    (home_dir / "deployments").mkdir(parents=True, exist_ok=True)
    return Backends(
        store, open_blob_store(root), home_dir, f"{root.rstrip('/')}/datastores/default"
    )


class Workspace:
    """Where a team keeps its data, experiments, models and services.

    Example:
        >>> import tempfile
        >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
        >>> ws.get_default_datastore().name
        'default'
    """

    def __init__(
        self,
        url: str,
        store: Store,
        blobs: BlobStore,
        home: Path,
        server: Connection | None = None,
    ):
        self.url = url
        self.store = store
        self.blobs = blobs
        self.home = home
        self.server = server  # set when `mlyard server` serves this workspace

    @classmethod
    def open(
        cls,
        url: str | Path | None = None,
        *,
        artifact_root: str | None = None,
        home: str | Path | None = None,
        create: bool = True,
        token: str | None = None,
    ) -> Workspace:
        """Open the workspace at ``url``, creating it if missing (unless ``create=False``).

        Args:
            url: a folder (default ``$MLYARD_TRACKING_URI``, else ``$MLYARD_WORKSPACE``,
                else ``./yard``), a database URL such as ``postgresql://user@host/db``,
                or the URL of an ``mlyard server`` (``http://host:port``).
            token: the token a server knows you by (default ``$MLYARD_TOKEN``).
            artifact_root: where blobs live, for a new database workspace (a folder or
                an fsspec URL); remembered by the database afterwards.
            home: this machine's folder for the services of a database workspace
                (default ``$MLYARD_HOME/workspaces/<hash of the URL>``).
            create: when False, a folder without a workspace is a ``NotFoundError``
                instead of a new workspace.
        """
        if url is None:
            url = settings.get("tracking_uri") or settings.get("workspace")
        text = str(url)
        b = open_backends(
            text,
            artifact_root=artifact_root,
            home=home,
            create=create,
            token=token or settings.get("token") or None,
        )
        local = not text.startswith(_DB_SCHEMES + _HTTP_SCHEMES)
        ws = cls(str(b.home) if local else text.rstrip("/"), b.store, b.blobs, b.home, b.server)
        try:
            b.store.get_datastore(None)
        except NotFoundError:
            b.store.register_datastore(DEFAULT_DATASTORE, b.default_datastore, is_default=True)
        except BaseException:
            b.store.close()
            raise
        from mlyard.tracking.liveness import handle_sigterm

        # SIGTERM then unwinds like Ctrl-C: temporaries are removed, writes roll back.
        handle_sigterm()
        return ws

    @cached_property
    def deployer(self) -> Deployer:
        """What runs this workspace's services on this machine."""
        from mlyard.serving.deployer import LocalDeployer

        if self.server is not None:
            raise InvalidInputError(
                f"the services of {self.url} run on the server, not on this machine",
                field="workspace",
                fix="use Webservice(ws, name) and its methods; the server deploys them",
            )
        return LocalDeployer(self.home / "deployments")

    @cached_property
    def services(self) -> Services:
        """Deploys and watches services: here, or through the server."""
        if self.server is not None:
            from mlyard.serving.remote import RemoteServices

            return RemoteServices(self.server)
        from mlyard.serving.services import LocalServices

        return LocalServices(self)

    def datastore_fs(self, name: str, url: str) -> tuple[AbstractFileSystem, str]:
        """The filesystem and root path holding datastore ``name`` (at ``url``)."""
        if self.server is not None:  # its files are the server's to reach
            from mlyard.data.remote_fs import ServerFileSystem

            return ServerFileSystem(self.server, name), ""
        import fsspec

        try:
            fs, root = fsspec.core.url_to_fs(self.resolve_url(url))
        except (ImportError, ValueError) as e:  # a missing extra, an unknown scheme
            raise InvalidInputError(
                f"datastore {name!r} cannot open {url!r}: {e}",
                field="url",
                fix='install the extra for its scheme, e.g. pip install "mlyard[s3]"',
            ) from e
        return fs, root.rstrip("/")

    # -- datastores ----------------------------------------------------------------
    def resolve_url(self, url: str) -> str:
        """Turn a workspace-relative datastore URL (``./…``) into an absolute one.

        A server resolves its own before sending them: a remote workspace never sees one.
        """
        if url.startswith("./") and self.server is None:
            return str(Path(self.home) / url[2:])
        return url

    def get_default_datastore(self) -> Datastore:
        from mlyard.data.datastore import Datastore

        return Datastore(self, self.store.get_datastore(None))

    def get_datastore(self, name: str) -> Datastore:
        from mlyard.data.datastore import Datastore

        return Datastore(self, self.store.get_datastore(name))

    def register_datastore(self, name: str, url: str | Path) -> Datastore:
        """Register ``url`` (a folder or any fsspec URL) as datastore ``name``.

        A folder is created if missing. On a remote workspace it is a folder of the
        server's machine, so it must be given as the absolute path the server sees.
        """
        from mlyard.data.datastore import Datastore

        check_name(name, "datastore name", field="name")
        if not isinstance(url, str | Path) or not str(url):
            raise InvalidInputError(
                f"url must be a folder path or an fsspec URL, got {url!r:.60}",
                field="url",
                fix="pass e.g. '/data/raw' or 's3://bucket/prefix'",
            )
        url = str(url)
        if self.server is not None and "://" not in url:
            # A folder of the server: its own machine creates it when files arrive.
            if not url.startswith("/"):
                raise InvalidInputError(
                    f"{url!r} is relative, but the folder must be one of the server "
                    f"at {self.url}, not of this machine",
                    field="url",
                    fix="pass the absolute path the server sees, e.g. '/srv/data/raw'",
                )
        elif "://" not in url:
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


__all__ = [
    "Backends",
    "NotFoundError",
    "Workspace",
    "is_database_url",
    "open_backends",
    "require_workspace",
    "store_url",
]
