"""A datastore of a remote workspace, as an fsspec filesystem through ``mlyard server``.

The datastore code (uploads staged under temporary names then moved, globbing,
verified downloads) runs unchanged on it: every operation is one request to the
server's ``/api/v1/datastores/{name}/fs`` routes, which confine paths to the
datastore. Its root is the datastore's root: it names files ``/raw/a.csv``, as a
datastore with an empty root path expects (see ``Datastore._key``). Reads stream; a
write is spooled to a local temporary file and streamed up when the file is closed,
so nothing large is held in memory.

Example:
    >>> fs = ServerFileSystem(conn, "default")  # doctest: +SKIP
    >>> fs.find("/raw")  # doctest: +SKIP
    ['/raw/a.csv']
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

import httpx
from fsspec import AbstractFileSystem

from mlyard.artifacts.hashing import CHUNK
from mlyard.artifacts.http import _ResponseReader
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

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        # fsspec's own helpers (glob, exists, …) then name paths as `find` does.
        text = str(path).removeprefix(f"{cls.protocol}://")
        return "/" + text.strip("/")

    def _get(self, op: str, path: str, **params: Any) -> Any:
        return self.conn.call("GET", f"{self._base}/{op}", params={"path": path, **params})

    def _get_entries(self, op: str, path: str, **params: Any) -> list[dict[str, Any]]:
        """The server's entries under ``path``, named from this filesystem's root."""
        found = self._get(op, self._clean(path), **params)
        return [{**f, "name": "/" + f["name"]} for f in found]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            found = self._get("info", self._clean(path))
        except NotFoundError:
            raise FileNotFoundError(path) from None
        return {**found, "name": "/" + found["name"]}

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        try:
            found = self._get_entries("ls", path)
        except NotFoundError:
            raise FileNotFoundError(path) from None
        return found if detail else [f["name"] for f in found]

    def find(self, path: str, maxdepth=None, withdirs=False, detail=False, **kwargs: Any):
        root = self._clean(path)
        found = self._get_entries("find", root, withdirs=withdirs)
        if maxdepth is not None:
            base = root.count("/") + 1 if root else 0
            found = [f for f in found if f["name"].count("/") - 1 - base < maxdepth]
        out = {f["name"]: f for f in sorted(found, key=lambda f: f["name"])}
        return out if detail else list(out)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any):
        path = self._clean(path)
        if "r" in mode:
            size = int(self.info(path)["size"])  # FileNotFoundError first
            return io.BufferedReader(_Download(self, path, size), buffer_size=CHUNK)
        return _Upload(self, path)

    def _stream(self, path: str, start: int) -> httpx.Response:
        params = {"path": path, "start": start}
        try:
            return self.conn.open_stream("GET", f"{self._base}/file", params=params)
        except NotFoundError:
            raise FileNotFoundError(path) from None

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


class _Download(io.RawIOBase):
    """A file opened for reading: one streamed request, read in order. A seek (Parquet
    reads its footer first) ends the stream; the next read asks from the new offset."""

    def __init__(self, fs: ServerFileSystem, path: str, size: int):
        self._fs = fs
        self._path = path
        self._size = size
        self._pos = 0
        self._body: _ResponseReader | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        pos = max(0, base + offset)
        if pos != self._pos:
            self._drop()
            self._pos = pos
        return pos

    def readinto(self, buffer) -> int:
        # Read to the end of the stream, not to `size`: a file that grew since is read
        # whole, and its hash says so if it was recorded.
        if self._body is None:
            self._body = _ResponseReader(self._fs._stream(self._path, self._pos))
        n = self._body.readinto(buffer)
        self._pos += n
        return n

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


class _Upload(io.RawIOBase):
    """A file opened for writing: spooled locally, sent to the server on close."""

    def __init__(self, fs: ServerFileSystem, path: str):
        self._fs = fs
        self._path = path
        self._spool = tempfile.SpooledTemporaryFile(max_size=CHUNK)

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
