"""Datastores and datasets over REST."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mlyard.store._base import DatasetStore
from mlyard.store._rest.base import RestBase, q
from mlyard.store.records import DatasetVersionRecord, DatastoreRecord, FileRecord
from mlyard.wire import requests as r


class RestDatasetStore(RestBase, DatasetStore):
    def register_datastore(self, name: str, url: str, is_default: bool = False) -> DatastoreRecord:
        body = r.DatastoreCreate(name=name, url=url, is_default=is_default)
        return self.conn.call("POST", "/api/v1/datastores", body, as_type=DatastoreRecord)

    def get_datastore(self, name: str | None = None) -> DatastoreRecord:
        path = "/api/v1/datastores/default" if name is None else f"/api/v1/datastores/{q(name)}"
        return self.conn.call("GET", path, as_type=DatastoreRecord)

    def list_datastores(self) -> list[DatastoreRecord]:
        return self.conn.call("GET", "/api/v1/datastores", as_type=list[DatastoreRecord])

    def record_datastore_files(self, datastore: str, files: Iterable[FileRecord]) -> None:
        body = r.Files(files=list(files))
        self.conn.call("POST", f"/api/v1/datastores/{q(datastore)}/files", body)

    def get_datastore_files(self, datastore: str, prefix: str = "") -> list[FileRecord]:
        path = f"/api/v1/datastores/{q(datastore)}/files"
        return self.conn.call("GET", path, params={"prefix": prefix}, as_type=list[FileRecord])

    def create_dataset_version(
        self,
        name: str,
        kind: str,
        fingerprint: str,
        spec: dict[str, Any],
        files: Sequence[FileRecord],
        profile: dict[str, Any] | None,
        description: str | None,
        tags: dict[str, str],
        created_by: str | None = None,
    ) -> tuple[DatasetVersionRecord, bool]:
        body = r.DatasetVersionCreate(
            kind=kind,
            fingerprint=fingerprint,
            spec=spec,
            files=list(files),
            profile=profile,
            description=description,
            tags=tags,
            created_by=created_by,
        )
        answer = self.conn.call(
            "POST",
            f"/api/v1/datasets/{q(name)}/versions",
            body,
            as_type=dict[str, DatasetVersionRecord | bool],
        )
        return answer["record"], bool(answer["created"])

    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetVersionRecord:
        which = "latest" if version is None else q(version)
        path = f"/api/v1/datasets/{q(name)}/versions/{which}"
        return self.conn.call("GET", path, as_type=DatasetVersionRecord)

    def find_dataset_version(self, name: str, fingerprint: str) -> DatasetVersionRecord | None:
        path = f"/api/v1/datasets/{q(name)}/fingerprints/{q(fingerprint)}"
        return self.conn.call("GET", path, as_type=DatasetVersionRecord | None)

    def list_dataset_versions(self, name: str | None = None) -> list[DatasetVersionRecord]:
        params = {"name": name} if name is not None else None
        return self.conn.call(
            "GET", "/api/v1/datasets", params=params, as_type=list[DatasetVersionRecord]
        )
