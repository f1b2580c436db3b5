"""Workspace metadata, leases and blob references over REST."""

from __future__ import annotations

from mlyard.store._base import WorkspaceStore
from mlyard.store._rest.base import RestBase, q
from mlyard.wire import requests as r


class RestWorkspaceStore(RestBase, WorkspaceStore):
    def find_meta(self, key: str) -> str | None:
        return self.conn.call("GET", f"/api/v1/workspace/meta/{q(key)}")["value"]

    def put_meta(self, key: str, value: str) -> str:
        body = r.MetaSet(value=value)
        return self.conn.call("POST", f"/api/v1/workspace/meta/{q(key)}", body)["value"]

    def acquire_lock(self, key: str, owner: str, ttl_ms: int) -> str | None:
        body = r.LockRequest(owner=owner, ttl_ms=ttl_ms)
        return self.conn.call("POST", f"/api/v1/workspace/locks/{q(key)}", body)["holder"]

    def release_lock(self, key: str, owner: str) -> None:
        self.conn.call("DELETE", f"/api/v1/workspace/locks/{q(key)}", params={"owner": owner})

    def referenced_blobs(self) -> set[str]:
        return set(self.conn.call("GET", "/api/v1/workspace/referenced-blobs"))
