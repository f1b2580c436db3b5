"""One HTTP connection to ``mlyard server``, shared by a remote workspace's backends.

It keeps a pool of keep-alive connections (one ``httpx.Client``, thread-safe), sends
the token, turns error bodies back into their exception classes through the error
table, and a server it cannot reach into :class:`~mlyard.errors.StoreError`.

Example:
    >>> conn = Connection("http://127.0.0.1:8765", token="myd_…")  # doctest: +SKIP
    >>> conn.call("GET", "/health")["status"]  # doctest: +SKIP
    'ok'
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import orjson

from mlyard.errors import MlyardError, StoreError
from mlyard.wire import codec
from mlyard.wire.errors import error_from_body

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


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

    def _new_client(self) -> httpx.Client:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        return httpx.Client(
            base_url=self.url, headers=self._headers, timeout=TIMEOUT, limits=limits
        )

    @property
    def client(self) -> httpx.Client:
        if os.getpid() != self._pid:  # a forked child must not share the parent's sockets
            self._pid = os.getpid()
            self._client = self._new_client()
        return self._client

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
        response = self._send(method, path, content=content, params=params, headers=headers)
        if not response.content:
            return None
        if as_type is not None:
            return codec.decode(response.content, as_type)
        return orjson.loads(response.content)

    def call_raw(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send httpx arguments as they are (e.g. a streamed ``content``); JSON back."""
        response = self._send(method, path, **kwargs)
        return orjson.loads(response.content) if response.content else None

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
