"""Calls from the SDK to a scoring service: one short HTTP/1.1 exchange each.

The standard library's ``http.client`` is enough for these (warm-up, health checks,
``service.run``) and costs nothing to import on the deploy path.

Example:
    >>> status, body = call("127.0.0.1", 8890, "GET", "/health")  # doctest: +SKIP
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from mlyard.errors import ServiceError


def call(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    """Send one request; return (status, body bytes).

    Raises:
        ServiceError: nothing answers at ``host:port`` (refused, reset, timed out).
    """
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as e:
        raise ServiceError(
            f"no answer from http://{host}:{port}{path}: {e or type(e).__name__}",
            fix="check service.state and service.get_logs()",
        ) from None
    finally:
        conn.close()


def call_uri(
    uri: str, method: str, path: str | None = None, body: bytes | None = None, timeout: float = 30.0
) -> tuple[int, bytes]:
    """:func:`call` at ``uri`` (``http://host:port/...``), or at ``path`` on its server."""
    parts = urlsplit(uri)
    if parts.hostname is None or parts.port is None:
        raise ServiceError(f"{uri!r} is not an http://host:port/ address")
    return call(parts.hostname, parts.port, method, path or parts.path or "/", body, timeout)


def answers(uri: str, timeout: float = 2.0) -> bool:
    """Whether ``GET uri`` returns 200 within ``timeout`` seconds."""
    try:
        status, _ = call_uri(uri, "GET", timeout=timeout)
    except ServiceError:
        return False
    return status == 200
