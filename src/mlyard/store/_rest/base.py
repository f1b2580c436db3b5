"""What the REST concept stores share: the connection, and path quoting."""

from __future__ import annotations

from urllib.parse import quote

from mlyard.wire.client import Connection


def q(segment: object) -> str:
    """``segment`` quoted as one URL path segment."""
    return quote(str(segment), safe="")


class RestBase:
    conn: Connection
