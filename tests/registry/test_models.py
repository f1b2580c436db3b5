from __future__ import annotations

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge

from mlyard import Experiment, Model, ResourceConfiguration
from mlyard.errors import AlreadyExistsError, IntegrityError, InvalidInputError, NotFoundError
from tests.outside import rewrite_blob


@pytest.fixture
def diabetes():
    return load_diabetes(return_X_y=True, as_frame=True)


def _trained_run(ws, X, y):
    exp = Experiment(ws, "diabetes")
    for alpha in (0.01, 1.0):
        with exp.start_run() as run:
            run.log("alpha", alpha)
            model = Ridge(alpha=alpha).fit(X, y)
            run.log("mse", float(np.mean((model.predict(X) - y) ** 2)))
            run.save_model(model, "model")
    return exp.best_run("mse")


def test_register_from_run_with_everything(ws, diabetes, tmp_path):
    X, y = diabetes
    best = _trained_run(ws, X, y)
    model = Model.register(
        workspace=ws,
        model_name="diabetes-model",
        run=best,
        model_path="model",
        model_framework=Model.Framework.SCIKITLEARN,
        model_framework_version=sklearn.__version__,
        sample_input_dataset=X,
        sample_output_dataset=y,
        resource_configuration=ResourceConfiguration(cpu=1, memory_in_gb=0.5),
        description="Ridge",
        tags={"area": "diabetes", "type": "regression"},
    )
    assert (model.name, model.version) == ("diabetes-model", 1)
    assert model.run_id == best.id and model.framework == "ScikitLearn"
    assert model.framework_version == sklearn.__version__
    assert model.signature.names == list(X.columns)
    assert model.resource_configuration == ResourceConfiguration(1, 0.5)
    assert model.tags == {"area": "diabetes", "type": "regression"}
    # the directory round-trips with verified files and a manifest
    out = model.download(tmp_path / "dl")
    assert sorted(p.name for p in out.iterdir()) == ["model.joblib", "model.yaml"]
    loaded = model.load()
    np.testing.assert_allclose(loaded.predict(X[:3]), Ridge(alpha=0.01).fit(X, y).predict(X[:3]))
    # next registration is version 2
    again = Model.register(ws, "diabetes-model", run=best, model_path="model")
    assert again.version == 2
    assert Model(ws, "diabetes-model").version == 2
    assert Model(ws, "diabetes-model", version=1).description == "Ridge"


def test_register_local_file_and_folder(ws, tmp_path):
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=500).fit(X, y)
    path = tmp_path / "clf.pkl"
    joblib.dump(clf, path)
    m = Model.register(ws, "iris", path, model_framework=Model.Framework.SCIKITLEARN)
    assert m.manifest.methods[:2] == ("predict_proba", "predict")
    folder = m.download(tmp_path / "folder")
    m2 = Model.register(ws, "iris", folder)
    assert m2.version == 2 and m2.manifest.files == m.manifest.files
    with pytest.raises(InvalidInputError) as err:
        Model.register(ws, "iris", path)  # a bare file needs its framework
    assert err.value.field == "model_framework"


def test_aliases_tags_and_listing(ws, tmp_path):
    path = tmp_path / "m.joblib"
    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), path)
    fw = Model.Framework.SCIKITLEARN
    a = Model.register(ws, "a", path, model_framework=fw, tags={"stage": "dev"})
    Model.register(ws, "a", path, model_framework=fw, tags={"stage": "prod"})
    Model.register(ws, "b", path, model_framework=fw)
    a.set_alias("production")
    assert Model(ws, "a", alias="production").version == 1
    assert a.aliases == ["production"]
    a.add_tags({"owner": "me"})
    assert Model(ws, "a", 1).tags == {"stage": "dev", "owner": "me"}
    a.remove_tags(["owner"])
    assert [m.id for m in Model.list(ws)] == ["a:1", "a:2", "b:1"]
    assert [m.id for m in Model.list(ws, name="a", tags={"stage": "prod"})] == ["a:2"]
    assert [m.id for m in Model.list(ws, tags=["stage"])] == ["a:1", "a:2"]
    assert [m.id for m in Model.list(ws, tags=[["stage", "dev"]])] == ["a:1"]
    assert [m.id for m in Model.list(ws, latest=True)] == ["a:2", "b:1"]
    a.remove_alias("production")
    with pytest.raises(NotFoundError, match="production"):
        Model(ws, "a", alias="production")


def test_bad_input(ws, diabetes, tmp_path):
    X, y = diabetes
    best = _trained_run(ws, X, y)
    with pytest.raises(NotFoundError, match="model/model.joblib"):
        Model.register(ws, "m", run=best, model_path="nope")
    with pytest.raises(NotFoundError):
        Model.register(ws, "m", tmp_path / "missing.joblib", model_framework="ScikitLearn")
    with pytest.raises(InvalidInputError) as err:
        Model.register(ws, "bad name!", run=best, model_path="model")
    assert err.value.field == "model_name"
    with pytest.raises(InvalidInputError) as err:
        Model.register(ws, "m", run=best, model_path="model", model_framework="Sklearn")
    assert err.value.field == "model_framework"
    with pytest.raises(InvalidInputError) as err:
        Model.register(ws, "m", run=best, model_path="model", model_framework="XGBoost")
    assert err.value.field == "model_framework"
    with pytest.raises(InvalidInputError) as err:
        ResourceConfiguration(cpu=0)
    assert err.value.field == "resource_configuration.cpu"
    with pytest.raises(NotFoundError, match="no model"):
        Model(ws, "unknown")
    Model.register(ws, "m", run=best, model_path="model")
    with pytest.raises(NotFoundError, match="version 9"):
        Model(ws, "m", 9)
    not_model = tmp_path / "x.joblib"
    joblib.dump({"not": "a model"}, not_model)
    with pytest.raises(InvalidInputError, match="scikit-learn"):
        Model.register(ws, "m", not_model, model_framework="ScikitLearn")
    # nothing half-registered: still only the one good version
    assert [m.id for m in Model.list(ws)] == ["m:1"]
    with pytest.raises(AlreadyExistsError):
        Model(ws, "m").download(tmp_path)  # not empty


def test_corrupted_blob_is_refused(ws, tmp_path):
    path = tmp_path / "m.joblib"
    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), path)
    m = Model.register(ws, "c", path, model_framework="ScikitLearn")
    rewrite_blob(ws, m.manifest.files[0].sha256, lambda data: b"garbage" + data[7:])
    with pytest.raises(IntegrityError, match="corrupted"):
        m.load()


def test_sample_datasets_are_registered_and_give_the_signature(ws, diabetes, tmp_path):
    from mlyard import Dataset

    X, y = diabetes
    np.savetxt(tmp_path / "feature.csv", X, delimiter=",")
    np.savetxt(tmp_path / "labels.csv", y, delimiter=",")
    store = ws.get_default_datastore()
    store.upload_files([str(tmp_path / "feature.csv"), str(tmp_path / "labels.csv")], "d/")
    feature_ds = Dataset.Tabular.from_delimited_files(path=[(store, "d/feature.csv")])
    label_ds = Dataset.Tabular.from_delimited_files(path=[(store, "d/labels.csv")])
    best = _trained_run(ws, X, y)
    model = Model.register(
        ws,
        "dm",
        run=best,
        model_path="model",
        sample_input_dataset=feature_ds,
        sample_output_dataset=label_ds,
    )
    assert model.record.sample_input == "dm-sample-input:1"
    assert model.sample_input_dataset.to_pandas_dataframe().shape == (442, 10)
    assert model.signature.names == [f"Column{i}" for i in range(1, 11)]
    assert [c.name for c in model.signature.outputs] == ["Column1"]
    # a second version reuses the identical dataset version
    again = Model.register(ws, "dm", run=best, model_path="model", sample_input_dataset=feature_ds)
    assert again.record.sample_input == "dm-sample-input:1"
    # rows sent positionally reach a model fitted on named columns
    loaded = model.load()
    np.testing.assert_allclose(
        loaded.predict(X[:2].values.tolist(), "predict"),
        Ridge(alpha=0.01).fit(X, y).predict(X[:2]),
    )
