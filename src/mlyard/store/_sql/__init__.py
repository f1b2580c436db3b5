"""The SQL backend: SQLite for one machine, PostgreSQL for a team."""

from mlyard.store._sql.store import SqlStore

__all__ = ["SqlStore"]
