"""HTTP/1.1 over a bare socket, for what a well-behaved client never sends: a body
shorter than its Content-Length, a body that stops halfway, a lying header.

Example:
    >>> with connect(url) as sock:  # doctest: +SKIP
    ...     sock.sendall(head("POST", "/api/v1/experiments", {"Content-Length": "99"}))
    ...     reply = read_reply(sock)
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(url: str, timeout: float = 30.0) -> socket.socket:
    """A connection to the server at ``url``; reads fail after ``timeout`` seconds."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    return sock


def head(method: str, target: str, headers: dict[str, str] | None = None) -> bytes:
    """The request line and headers, up to the blank line that starts the body."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """``data`` as one chunk of a ``Transfer-Encoding: chunked`` body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def read_reply(sock: socket.socket) -> Reply:
    """The next response on ``sock`` (with a Content-Length, as the server's are)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock)
    top, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = top.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += _recv(sock)
    return Reply(int(status_line.split()[1]), headers, rest[:length])


def closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (reads end), waiting for it if need be."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _recv(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("the server closed the connection before answering")
    return data
