"""The REST backend: the store of a workspace served by ``mlyard server``."""

from mlyard.store._rest.store import RestStore

__all__ = ["RestStore"]
