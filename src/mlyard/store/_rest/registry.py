"""The model registry over REST."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlyard.store._base import RegistryStore
from mlyard.store._rest.base import RestBase, q
from mlyard.store.records import ModelVersionRecord, RegisteredModelRecord
from mlyard.wire import requests as r


class RestRegistryStore(RestBase, RegistryStore):
    def create_model_version(
        self,
        name: str,
        *,
        framework: str,
        framework_version: str | None,
        flavor: str,
        manifest: dict[str, Any],
        description: str | None = None,
        run_id: str | None = None,
        source: str | None = None,
        resource_config: dict[str, Any] | None = None,
        sample_input: str | None = None,
        sample_output: str | None = None,
        tags: dict[str, str] | None = None,
        created_by: str | None = None,
    ) -> ModelVersionRecord:
        body = r.ModelVersionCreate(
            framework=framework,
            framework_version=framework_version,
            flavor=flavor,
            manifest=manifest,
            description=description,
            run_id=run_id,
            source=source,
            resource_config=resource_config,
            sample_input=sample_input,
            sample_output=sample_output,
            tags=tags,
            created_by=created_by,
        )
        path = f"/api/v1/models/{q(name)}/versions"
        return self.conn.call("POST", path, body, as_type=ModelVersionRecord)

    def get_model_version(self, name: str, version: int | None = None) -> ModelVersionRecord:
        which = "latest" if version is None else q(version)
        path = f"/api/v1/models/{q(name)}/versions/{which}"
        return self.conn.call("GET", path, as_type=ModelVersionRecord)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersionRecord:
        path = f"/api/v1/models/{q(name)}/aliases/{q(alias)}"
        return self.conn.call("GET", path, as_type=ModelVersionRecord)

    def list_models(self, name: str | None = None) -> list[RegisteredModelRecord]:
        params = {"name": name} if name is not None else None
        return self.conn.call(
            "GET", "/api/v1/models", params=params, as_type=list[RegisteredModelRecord]
        )

    def list_model_versions(
        self, name: str | None = None, tags: dict[str, str | None] | None = None
    ) -> list[ModelVersionRecord]:
        body = r.ModelVersionQuery(name=name, tags=tags)
        return self.conn.call(
            "POST", "/api/v1/models/versions/query", body, as_type=list[ModelVersionRecord]
        )

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        path = f"/api/v1/models/{q(name)}/aliases/{q(alias)}"
        self.conn.call("PUT", path, r.AliasSet(version=version))

    def delete_model_alias(self, name: str, alias: str) -> None:
        self.conn.call("DELETE", f"/api/v1/models/{q(name)}/aliases/{q(alias)}")

    def set_model_version_tags(self, name: str, version: int, tags: dict[str, str]) -> None:
        path = f"/api/v1/models/{q(name)}/versions/{q(version)}/tags"
        self.conn.call("PATCH", path, r.Tags(tags=tags))

    def delete_model_version_tags(self, name: str, version: int, keys: Iterable[str]) -> None:
        path = f"/api/v1/models/{q(name)}/versions/{q(version)}/tags/delete"
        self.conn.call("POST", path, r.TagKeys(keys=list(keys)))
