"""One HTTP connection to ``mlyard server``, shared by a remote workspace's backends.

It keeps pools of keep-alive connections, sends the token, turns error bodies back
into their exception classes through the error table, and a server it cannot reach
into :class:`~mlyard.errors.StoreError`.

Store calls (small JSON bodies, the bulk of a tracking workload) go over plain
``http.client`` connections when the server is reached over plain HTTP without a
proxy: httpx spends about 0.5 ms of CPU on a call here, http.client about 0.1 ms — more
than the server itself spends on many calls — and it sends headers and body in one
segment. Streams (blobs, datastore files), HTTPS and proxied servers go through one
``httpx.Client``, as does everything when the fast path does not apply.

Example:
    >>> conn = Connection("http://127.0.0.1:8765", token="myd_…")  # doctest: +SKIP
    >>> conn.call("GET", "/health")["status"]  # doctest: +SKIP
    'ok'
"""

from __future__ import annotations

import http.client
import os
import select
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from mlyard.errors import MlyardError, StoreError
from mlyard.wire import codec
from mlyard.wire.errors import error_from_body

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
PIECE = 1 << 20  # bytes a streamed body is read in


class Connection:
    """Calls to one server; ``call`` answers decoded values, ``stream`` raw bytes."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url.rstrip("/")
        self.token = token
        headers = {"user-agent": "mlyard"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._headers = headers
        self._pid = os.getpid()
        self._client = self._new_client()
        self._plain = _KeepAlive.for_url(self.url)

    def _new_client(self) -> httpx.Client:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        return httpx.Client(
            base_url=self.url, headers=self._headers, timeout=TIMEOUT, limits=limits
        )

    @property
    def client(self) -> httpx.Client:
        self._check_pid()
        return self._client

    def _check_pid(self) -> None:
        if os.getpid() != self._pid:  # a forked child must not share the parent's sockets
            self._pid = os.getpid()
            self._client = self._new_client()
            self._plain = _KeepAlive.for_url(self.url)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        as_type: Any = None,
    ) -> Any:
        """Send ``body`` (a pydantic model, or JSON-ready data) and decode the answer.

        Returns ``None`` for an empty answer, ``as_type`` when given, else plain JSON.
        """
        content = None
        headers = None
        if body is not None:
            content = (
                body.model_dump_json().encode()
                if hasattr(body, "model_dump_json")
                else orjson.dumps(body)
            )
            headers = {"content-type": "application/json"}
        self._check_pid()
        if self._plain is not None:
            data = self._send_plain(method, path, content, params, headers)
        else:
            data = self._send(method, path, content=content, params=params, headers=headers).content
        if not data:
            return None
        if as_type is not None:
            return codec.decode(data, as_type)
        return orjson.loads(data)

    def _send_plain(
        self,
        method: str,
        path: str,
        content: bytes | Iterable[bytes | memoryview] | None,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
    ) -> bytes:
        assert self._plain is not None
        target = f"{self.url_path}{path}"
        if params:
            target = f"{target}?{httpx.QueryParams(params)}"  # encoded as httpx would
        all_headers = {**self._headers, **headers} if headers else self._headers
        try:
            status, data = self._plain.request(method, target, content, all_headers)
        except (OSError, http.client.HTTPException) as e:
            raise self._unreachable(e) from e
        if status >= 400:
            raise self.error(status, data)
        return data

    @property
    def url_path(self) -> str:
        """The path part of the server's URL (empty for a server at the root)."""
        return urlsplit(self.url).path

    def upload(
        self,
        method: str,
        path: str,
        pieces: Iterable[bytes | memoryview],
        *,
        params: dict[str, Any] | None = None,
        length: int | None = None,
    ) -> Any:
        """Stream ``pieces`` as the request body (``length`` bytes in all, if known: else
        chunked); JSON back. A piece may be reused once the next one is asked for."""
        headers = {"content-length": str(length)} if length is not None else None
        self._check_pid()
        if self._plain is None:
            content = (bytes(p) for p in pieces)  # httpx wants bytes
            response = self._send(method, path, content=content, params=params, headers=headers)
            data = response.content
        else:
            data = self._send_plain(method, path, pieces, params, headers)
        return orjson.loads(data) if data else None

    def open_stream(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A response whose body is still to be read (``iter_raw``); close it after."""
        try:
            request = self.client.build_request(method, path, **kwargs)
            response = self.client.send(request, stream=True)
        except httpx.TransportError as e:
            raise self._unreachable(e) from e
        if response.status_code >= 400:
            try:
                content = response.read()
            finally:
                response.close()
            raise self.error(response.status_code, content)
        return response

    def iter_body(self, path: str) -> Iterator[bytes | memoryview]:
        """The body of ``GET path`` as it arrives, in pieces of up to ``PIECE`` bytes.

        A piece is valid only until the next one is asked for (the plain path reads
        into one buffer). A connection cut during the body raises ``ConnectionError``.
        """
        self._check_pid()
        if self._plain is None:
            yield from self._iter_httpx(path)
        else:
            yield from self._iter_plain(self._plain, path)

    def _iter_httpx(self, path: str) -> Iterator[bytes]:
        response = self.open_stream("GET", path)
        try:
            yield from response.iter_raw()
        except httpx.TransportError as e:
            raise ConnectionError(f"{type(e).__name__}: {e}") from e
        finally:
            response.close()

    def _iter_plain(self, pool: _KeepAlive, path: str) -> Iterator[memoryview]:
        try:
            conn, _ = pool.borrow()
        except OSError as e:
            raise self._unreachable(e) from e
        try:
            conn.request("GET", f"{self.url_path}{path}", headers=self._headers)
            response = conn.getresponse()
            if response.status >= 400:
                content = response.read()
                pool.give_back(conn, response)
                raise self.error(response.status, content)
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise self._unreachable(e) from e
        buffer = bytearray(PIECE)
        view = memoryview(buffer)
        try:
            while n := response.readinto(buffer):
                yield view[:n]
        except (OSError, http.client.HTTPException) as e:
            raise ConnectionError(f"{type(e).__name__}: {e}") from e
        finally:
            pool.give_back(conn, response)  # closed unless the body was read to its end

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise self._unreachable(e) from e
        if response.status_code >= 400:
            raise self.error(response.status_code, response.content)
        return response

    def error(self, status: int, content: bytes) -> MlyardError:
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            body = content.decode(errors="replace")
        return error_from_body(status, body)

    def _unreachable(self, e: Exception) -> StoreError:
        return StoreError(
            f"cannot reach the mlyard server at {self.url}: {type(e).__name__}: {e}",
            fix="check the URL and that `mlyard server` runs there",
        )

    def close(self) -> None:
        self._client.close()
        if self._plain is not None:
            self._plain.close()


class _KeepAlive:
    """Idle plain-HTTP connections to one server; each call borrows one (thread-safe)."""

    def __init__(self, host: str, port: int):
        self._host, self._port = host, port
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    @classmethod
    def for_url(cls, url: str) -> _KeepAlive | None:
        """A pool for ``url`` if it is plain HTTP that no proxy setting covers (httpx
        reads the same variables), else None."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            return None
        proxies = urllib.request.getproxies_environment()
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        proxied = ("http" in proxies or "all" in proxies) and not bypass(parts.netloc, proxies)
        return None if proxied else cls(parts.hostname, parts.port or 80)

    def request(
        self,
        method: str,
        target: str,
        body: bytes | Iterable[bytes | memoryview] | None,
        headers: dict[str, str],
    ) -> tuple[int, bytes]:
        conn, reused = self.borrow()
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
        except _CLOSED_IDLE:
            conn.close()
            if not reused or not isinstance(body, bytes | None):
                raise
            # The server closed this idle connection as the request went out (its
            # keep-alive timeout): nothing of it was answered, so it is sent again once.
            conn, _ = self.borrow(fresh=True)
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise
        try:
            data = response.read()
        except BaseException:
            conn.close()
            raise
        self.give_back(conn, response)
        return response.status, data

    def give_back(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        """Keep ``conn`` for the next call once ``response`` was read to its end."""
        if response.will_close or not response.isclosed():
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)

    def borrow(self, fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection that is still open, else a new one; and whether it was
        reused."""
        with self._lock:
            while self._idle and not fresh:
                conn = self._idle.pop()
                if not _dropped(conn):
                    return conn, True
                conn.close()
        conn = _Connection(self._host, self._port, timeout=TIMEOUT.connect)
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(TIMEOUT.read)
        return conn, False

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_MAX_LINE, _MAX_HEADERS = 65536, 100  # as http.client's


class _Response(http.client.HTTPResponse):
    """``http.client``'s response, its head read without the ``email`` package, which
    spends a tenth of a millisecond of a small call on four headers."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        version, status, reason = self._read_status()
        while status == http.client.CONTINUE:  # an interim answer, with a head of its own
            _head(self.fp)
            version, status, reason = self._read_status()
        if not version.startswith("HTTP/1."):
            raise http.client.UnknownProtocol(version)
        self.code = self.status = status
        self.reason = reason.strip()
        self.version = 10 if version == "HTTP/1.0" else 11
        self.headers = self.msg = _head(self.fp)
        coding = self.headers.get("transfer-encoding") or ""
        self.chunked = coding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()
        length = self.headers.get("content-length") or ""
        self.length = int(length) if length.isdigit() and not self.chunked else None
        if status in (204, 304) or status < 200 or self._method == "HEAD":
            self.length = 0
        if self.length is None and not self.chunked:
            self.will_close = True  # the body ends when the server closes


def _head(fp: Any) -> http.client.HTTPMessage:
    """The header lines up to the blank one, as the message http.client would make."""
    message = http.client.HTTPMessage()
    for _ in range(_MAX_HEADERS + 1):
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            return message
        name, colon, value = line.decode("iso-8859-1").partition(":")
        if colon:
            message[name.strip()] = value.strip()
    raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")


class _Connection(http.client.HTTPConnection):
    """``http.client``'s connection, writing a request's head and a bytes body with one
    send: one segment, so the server wakes once per request, not twice."""

    response_class = _Response

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if encode_chunked or not isinstance(message_body, bytes):
            return super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
        self._buffer.extend((b"", message_body))  # type: ignore[attr-defined]
        message = b"\r\n".join(self._buffer)  # type: ignore[attr-defined]
        del self._buffer[:]  # type: ignore[attr-defined]
        self.send(message)


_CLOSED_IDLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection was closed by the server (it is then
    readable: the end of the stream), as httpcore checks before reusing one."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True
