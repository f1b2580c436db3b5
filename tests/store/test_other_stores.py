"""Datasets, registry and deployments, on every backend."""

from __future__ import annotations

import pytest

from mlyard.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlyard.store.records import DeploymentRecord, DeploymentState, FileRecord

FILES = (FileRecord("a.csv", "a" * 64, 10), FileRecord("b.csv", "b" * 64, 20))


def test_datastores(store):
    d = store.register_datastore("default", "./datastores/default", is_default=True)
    assert store.register_datastore("default", "./datastores/default") == d
    with pytest.raises(AlreadyExistsError):
        store.register_datastore("default", "/elsewhere")
    store.register_datastore("shared", "/mnt/shared")
    assert store.get_datastore(None).name == "default"
    assert [x.name for x in store.list_datastores()] == ["default", "shared"]
    store.record_datastore_files("default", FILES)
    store.record_datastore_files("default", [FileRecord("a.csv", "c" * 64, 11)])
    assert [(f.path, f.sha256[0]) for f in store.get_datastore_files("default")] == [
        ("a.csv", "c"),
        ("b.csv", "b"),
    ]
    with pytest.raises(NotFoundError):
        store.get_datastore("nope")


def test_dataset_versions(store):
    args = ("tabular", "f1", {"format": "delimited"}, FILES, {"row_count": 3}, "d", {"k": "v"})
    v1, created = store.create_dataset_version("ds", *args)
    assert (v1.version, created) == (1, True)
    same, created = store.create_dataset_version("ds", *args)
    assert (same.version, created) == (1, False)
    v2, _ = store.create_dataset_version("ds", "tabular", "f2", {}, FILES[:1], None, None, {})
    assert v2.version == 2 and store.get_dataset_version("ds").version == 2
    assert store.get_dataset_version("ds", 1).files == FILES
    assert store.get_dataset_version("ds", 1).spec == {"format": "delimited"}
    assert [r.version for r in store.list_dataset_versions("ds")] == [1, 2]
    with pytest.raises(ConflictError, match="tabular"):
        store.create_dataset_version("ds", "file", "f3", {}, (), None, None, {})
    with pytest.raises(NotFoundError):
        store.get_dataset_version("ds", 9)


def test_registry(store):
    manifest = {"flavor": "sklearn", "files": []}
    kw = dict(framework="ScikitLearn", framework_version="1", flavor="sklearn", manifest=manifest)
    m1 = store.create_model_version("m", **kw, tags={"stage": "dev"}, resource_config={"cpu": 1})
    m2 = store.create_model_version("m", **kw)
    assert (m1.version, m2.version) == (1, 2)
    assert store.get_model_version("m").version == 2
    assert store.get_model_version("m", 1).manifest == manifest
    store.set_model_alias("m", "production", 1)
    store.set_model_alias("m", "production", 2)  # moves
    assert store.get_model_version_by_alias("m", "production").version == 2
    assert store.get_model_version("m", 2).aliases == ("production",)
    store.set_model_version_tags("m", 2, {"stage": "prod"})
    assert [v.version for v in store.list_model_versions("m", {"stage": "prod"})] == [2]
    assert [v.version for v in store.list_model_versions(tags={"stage": None})] == [1, 2]
    store.delete_model_version_tags("m", 2, ["stage"])
    assert store.list_models()[0].latest_version == 2
    store.delete_model_alias("m", "production")
    with pytest.raises(NotFoundError):
        store.get_model_version_by_alias("m", "production")
    with pytest.raises(NotFoundError):
        store.set_model_alias("m", "x", 7)


def test_deployments(store):
    record = DeploymentRecord(
        name="svc",
        models=("m:1",),
        state=DeploymentState.TRANSITIONING,
        scoring_uri="http://127.0.0.1:5000/score",
        host="machine-a",
        config={"workers": 1},
        created_at=1,
        updated_at=1,
    )
    assert store.find_deployment("svc") is None
    store.put_deployment(record)
    store.put_deployment(record)  # replace keeps created_at
    got = store.set_deployment_state("svc", DeploymentState.HEALTHY, error="ignored")
    assert (got.state, got.models, got.config, got.created_at, got.error) == (
        DeploymentState.HEALTHY,
        ("m:1",),
        {"workers": 1},
        1,
        None,
    )
    assert got.scoring_uri == "http://127.0.0.1:5000/score" and got.port == 5000
    assert (got.host, got.deployer) == ("machine-a", "local")
    failed = store.set_deployment_state("svc", DeploymentState.FAILED, error="it broke")
    assert failed.error == "it broke" and store.find_deployment("svc") == failed
    assert [d.name for d in store.list_deployments()] == ["svc"]
    store.delete_deployment("svc")
    with pytest.raises(NotFoundError, match="no service named 'svc'"):
        store.get_deployment("svc")
    with pytest.raises(NotFoundError):
        store.set_deployment_state("svc", DeploymentState.HEALTHY)
    with pytest.raises(NotFoundError):
        store.delete_deployment("svc")
