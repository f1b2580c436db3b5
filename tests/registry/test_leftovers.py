"""Loading and registering models leave nothing in the system's temporary folder,
whether they succeed or fail half-way."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from mlyard import Dataset, Experiment, Model
from mlyard.errors import IntegrityError, InvalidInputError, NotFoundError
from tests.outside import rewrite_blob

X = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2})
Y = pd.Series(np.arange(10.0), name="y")


pytestmark = pytest.mark.usefixtures("system_tmp")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("mlyard-"))


@pytest.fixture
def model_file(tmp_path) -> Path:
    path = tmp_path / "ridge.joblib"
    joblib.dump(Ridge().fit(X, Y), path)
    return path


@pytest.fixture
def run(ws):
    with Experiment(ws, "leftovers").start_run() as run:
        run.save_model(Ridge().fit(X, Y), "model")
    return run


def corrupt(ws, sha256: str) -> None:
    rewrite_blob(ws, sha256, lambda data: data[:-1] + bytes([data[-1] ^ 1]))  # one bit


def test_loading_a_model_again_and_again_leaves_nothing(ws, model_file, system_tmp):
    model = Model.register(ws, "ridge", model_file, model_framework=Model.Framework.SCIKITLEARN)

    for _ in range(5):
        loaded = model.load()
        np.testing.assert_allclose(loaded.predict(X), Ridge().fit(X, Y).predict(X))
        assert leftovers(system_tmp) == []


def test_a_load_that_fails_half_way_leaves_nothing(ws, model_file, system_tmp):
    model = Model.register(ws, "ridge", model_file, model_framework=Model.Framework.SCIKITLEARN)
    [weights] = [f for f in model.manifest.files if f.path.endswith(".joblib")]
    corrupt(ws, weights.sha256)

    with pytest.raises(IntegrityError, match="corrupted"):
        model.load()
    assert leftovers(system_tmp) == []


def test_registering_leaves_nothing(ws, model_file, run, tmp_path, system_tmp):
    csv = tmp_path / "sample.csv"
    X.to_csv(csv, index=False)
    sample = Dataset.Tabular.from_delimited_files(path=str(csv))

    Model.register(ws, "ridge", model_file, model_framework=Model.Framework.SCIKITLEARN)
    Model.register(ws, "ridge", run=run, model_path="model", sample_input_dataset=sample)
    Model.register(ws, "ridge", model_path="model", run=run, sample_input_dataset=X)

    assert sorted(m.version for m in Model.list(ws, "ridge")) == [1, 2, 3]
    assert leftovers(system_tmp) == []


def test_a_registration_that_fails_on_its_sample_leaves_nothing(ws, run, tmp_path, system_tmp):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n1,2,3,4\n")
    unreadable = Dataset.Tabular.from_delimited_files(path=str(ragged))

    with pytest.raises(InvalidInputError, match="ragged.csv"):
        Model.register(ws, "ridge", model_path="model", run=run, sample_input_dataset=unreadable)
    with pytest.raises(InvalidInputError, match="sample_input_dataset"):
        Model.register(ws, "ridge", model_path="model", run=run, sample_input_dataset="a.csv")

    assert leftovers(system_tmp) == []
    with pytest.raises(NotFoundError):
        Model(ws, "ridge")


def test_a_registration_that_fails_after_staging_the_model_leaves_nothing(ws, run, system_tmp):
    # The model folder is copied out of the run before its framework is checked.
    with pytest.raises(InvalidInputError, match="model_framework"):
        Model.register(
            ws, "ridge", model_path="model", run=run, model_framework=Model.Framework.PYTORCH
        )

    assert leftovers(system_tmp) == []
    with pytest.raises(NotFoundError):
        Model(ws, "ridge")


def test_a_registration_from_a_corrupted_run_file_leaves_nothing(ws, run, system_tmp):
    [weights] = [f for f in run.list_files("model") if f.path.endswith(".joblib")]
    corrupt(ws, weights.sha256)

    with pytest.raises(IntegrityError, match="corrupted"):
        Model.register(ws, "ridge", model_path="model", run=run)

    assert leftovers(system_tmp) == []
    with pytest.raises(NotFoundError):
        Model(ws, "ridge")
