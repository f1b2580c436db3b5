"""A datastore of a remote workspace, as an fsspec filesystem through ``mlyard server``.

The datastore code (uploads staged under temporary names then moved, globbing,
verified downloads) runs unchanged on it: every operation is one request to the
server's ``/api/v1/datastores/{name}/fs`` routes, which confine paths to the
datastore. Reads stream; a write is spooled to a local temporary file and streamed up
when the file is closed, so nothing large is held in memory.

Example:
    >>> fs = ServerFileSystem(conn, "default")  # doctest: +SKIP
    >>> fs.find("raw")  # doctest: +SKIP
    ['raw/a.csv']
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from fsspec import AbstractFileSystem

from mlyard.artifacts.hashing import CHUNK
from mlyard.errors import NotFoundError
from mlyard.wire.client import Connection


class ServerFileSystem(AbstractFileSystem):
    protocol = "mlyard"
    cachable = False  # one instance per datastore handle; never shared by fsspec

    def __init__(self, conn: Connection, datastore: str):
        super().__init__()
        self.conn = conn
        self.datastore = datastore
        from urllib.parse import quote

        self._base = f"/api/v1/datastores/{quote(datastore, safe='')}/fs"

    @staticmethod
    def _clean(path: str) -> str:
        return str(path).strip("/")

    def _get(self, op: str, path: str, **params: Any) -> Any:
        return self.conn.call("GET", f"{self._base}/{op}", params={"path": path, **params})

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._get("info", self._clean(path))
        except NotFoundError:
            raise FileNotFoundError(path) from None

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        try:
            found = self._get("ls", self._clean(path))
        except NotFoundError:
            raise FileNotFoundError(path) from None
        return found if detail else [f["name"] for f in found]

    def find(self, path: str, maxdepth=None, withdirs=False, detail=False, **kwargs: Any):
        root = self._clean(path)
        found = self._get("find", root, withdirs=withdirs)
        if maxdepth is not None:
            base = root.count("/") + 1 if root else 0
            found = [f for f in found if f["name"].count("/") - base < maxdepth]
        out = {f["name"]: f for f in sorted(found, key=lambda f: f["name"])}
        return out if detail else list(out)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any):
        path = self._clean(path)
        if "r" in mode:
            from mlyard.artifacts.http import _ResponseReader

            response = self.conn.open_stream("GET", f"{self._base}/file", params={"path": path})
            return io.BufferedReader(_ResponseReader(response), buffer_size=CHUNK)
        return _Upload(self, path)

    def _upload(self, path: str, spool: Any) -> None:
        spool.seek(0)

        def body():
            while chunk := spool.read(CHUNK):
                yield chunk

        self.conn.upload("PUT", f"{self._base}/file", body(), params={"path": path})

    def mv(self, path1: str, path2: str, **kwargs: Any) -> None:
        body = {"src": self._clean(path1), "dst": self._clean(path2)}
        self.conn.call("POST", f"{self._base}/mv", body)

    def rm_file(self, path: str) -> None:
        try:
            self.conn.call("DELETE", f"{self._base}/file", params={"path": self._clean(path)})
        except NotFoundError:
            raise FileNotFoundError(path) from None

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        pass  # folders exist as soon as a file is written into them

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        pass


class _Upload(io.RawIOBase):
    """A file opened for writing: spooled locally, sent to the server on close."""

    def __init__(self, fs: ServerFileSystem, path: str):
        self._fs = fs
        self._path = path
        self._spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self._spool.write(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._fs._upload(self._path, self._spool)
        finally:
            self._spool.close()
            super().close()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:  # an interrupted write sends nothing
            self._spool.close()
            io.RawIOBase.close(self)
            return
        self.close()
