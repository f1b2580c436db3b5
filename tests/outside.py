"""What tests do to a workspace behind mlyard's back: edit a datastore's files, damage a
stored blob. They act where the bytes really are — a local folder, the bucket of an S3
artifact root, the folders of the server that serves a remote workspace — through
fsspec, as any other tool would.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

import fsspec
from fsspec.implementations.local import LocalFileSystem

from mlyard.data.datastore import Datastore
from mlyard.workspace import Workspace
from tests.live_server import backing


class DatastoreFiles:
    """The files of a datastore, reached directly (never through mlyard)."""

    def __init__(self, store: Datastore):
        self.url = backing(store.workspace).get_datastore(store.name).url
        self.fs, root = fsspec.core.url_to_fs(self.url)
        self.root = root.rstrip("/")

    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def tree(self) -> dict[str, bytes]:
        """{relative posix path: bytes} of every file under the datastore's root."""
        try:
            found = self.fs.find(self.root)
        except FileNotFoundError:
            return {}
        return {path[len(self.root) + 1 :]: self.fs.cat_file(path) for path in sorted(found)}

    def write(self, rel: str, data: bytes | str) -> None:
        if isinstance(self.fs, LocalFileSystem):
            os.makedirs(os.path.dirname(self.key(rel)), exist_ok=True)
        self.fs.pipe_file(self.key(rel), data.encode() if isinstance(data, str) else data)

    def read(self, rel: str) -> bytes:
        return self.fs.cat_file(self.key(rel))

    def remove(self, rel: str) -> None:
        self.fs.rm_file(self.key(rel))

    def exists(self, rel: str) -> bool:
        return bool(self.fs.exists(self.key(rel)))


def rewrite_blob(ws: Workspace, sha256: str, change: Callable[[bytes], bytes]) -> None:
    """Replace the stored bytes of blob ``sha256`` by ``change(bytes)``, under its name."""
    blobs = backing(ws).blobs  # an FsspecBlobStore: the server's own, for a remote ws
    path = blobs.path(sha256)
    if isinstance(blobs.fs, LocalFileSystem):
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # blobs are stored read-only
    data = blobs.fs.cat_file(path)
    blobs.fs.pipe_file(path, change(data))
