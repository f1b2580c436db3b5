"""Real models registered the low-level way, and services that are always deleted."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import sklearn
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge

from mlyard import Workspace, flavors
from mlyard.errors import NotFoundError
from mlyard.flavors import Signature
from mlyard.serving import Webservice, deploy
from mlyard.store.records import ModelVersionRecord


def register(
    ws: Workspace, name: str, model, sample: pd.DataFrame | None, tmp: Path
) -> ModelVersionRecord:
    """What ``Model.register`` does: save, store every file as a blob, record the version
    with the signature inferred from ``sample``."""
    folder = tmp / f"saved-{name}-{len(list(tmp.glob('saved-*')))}"
    manifest = flavors.save_model(model, folder)
    for f in manifest.files:
        ws.blobs.put_file(folder / f.path)
    if sample is not None:
        manifest = manifest.with_(signature=Signature.infer(sample).to_dict())
    return ws.store.create_model_version(
        name,
        framework="ScikitLearn",
        framework_version=sklearn.__version__,
        flavor="sklearn",
        manifest=manifest.to_dict(),
    )


@pytest.fixture
def register_model(ws, tmp_path):
    """``register_model(name, model, sample, workspace=ws)`` -> a new ModelVersionRecord."""

    def _register(name: str, model, sample, workspace: Workspace | None = None):
        return register(workspace or ws, name, model, sample, tmp_path)

    return _register


@pytest.fixture(scope="session")
def diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y, Ridge(alpha=0.1).fit(X, y)


@pytest.fixture(scope="session")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y, LogisticRegression(max_iter=500).fit(X, y)


@pytest.fixture
def diabetes_record(ws, diabetes, tmp_path) -> ModelVersionRecord:
    X, _, model = diabetes
    return register(ws, "diabetes", model, X, tmp_path)


@pytest.fixture
def iris_record(ws, iris, tmp_path) -> ModelVersionRecord:
    X, _, model = iris
    return register(ws, "iris", model, X, tmp_path)


@pytest.fixture
def services(ws) -> Iterator[Callable[..., Webservice]]:
    """``services(name, models, **kw)`` deploys; every service left is deleted after."""
    names: list[str] = []

    def _deploy(name: str, models, **kwargs) -> Webservice:
        names.append(name)
        return deploy(ws, name, models, **kwargs)

    yield _deploy
    for name in names:
        with contextlib.suppress(NotFoundError):
            Webservice(ws, name).delete()


@pytest.fixture
def diabetes_service(services, diabetes_record) -> Webservice:
    service = services("diabetes-service", [diabetes_record])
    service.wait_for_deployment()
    return service
