"""Metadata persistence: one :class:`Store` interface, one factory from URL to backend."""

from __future__ import annotations

from mlyard.errors import InvalidInputError
from mlyard.store._base import Store


def open_store(url: str) -> Store:
    """The store behind ``url``: ``sqlite:///…`` or ``postgresql://…``."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in ("sqlite", "postgresql", "postgres"):
        from mlyard.store._sql import SqlStore

        if scheme == "postgres":
            url = "postgresql" + url[len("postgres") :]
        return SqlStore(url)
    raise InvalidInputError(
        f"no store backend for {url!r}",
        field="url",
        fix="use a folder path, sqlite:///path/to.db or postgresql://user@host/db",
    )


__all__ = ["Store", "open_store"]
