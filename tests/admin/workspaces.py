"""A source workspace holding one of everything, and the check that a copy reads alike."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sqlalchemy import func, select

from mlyard import Dataset, Experiment, Model, ResourceConfiguration, Workspace
from mlyard.store._sql.tables import metadata

X, Y = load_diabetes(return_X_y=True, as_frame=True)
X, Y = X[:120], Y[:120]


def fill(ws: Workspace, scratch: Path) -> None:
    """A datastore upload, two registered tabular datasets, an experiment of three runs
    with metric series and saved models, and a registered model with an alias."""
    scratch.mkdir(parents=True, exist_ok=True)
    np.savetxt(scratch / "feature.csv", X, delimiter=",")
    np.savetxt(scratch / "labels.csv", Y, delimiter=",")
    store = ws.get_default_datastore()
    store.upload_files([scratch / "feature.csv", scratch / "labels.csv"], target_path="diabetes/")
    features = Dataset.Tabular.from_delimited_files(path=[(store, "diabetes/feature.csv")])
    labels = Dataset.Tabular.from_delimited_files(path=[(store, "diabetes/labels.csv")])
    features = features.register(ws, "diabetes-features", tags={"kind": "inputs"})
    labels = labels.register(ws, "diabetes-labels")
    exp = Experiment(ws, "diabetes")
    for alpha in (0.01, 0.1, 1.0):
        with exp.start_run() as run:
            run.log_params({"alpha": alpha})
            model = Ridge(alpha=alpha).fit(X, Y)
            for step in range(50):
                run.log_metric("loss", alpha / (step + 1), step=step)
            run.log("mse", float(np.mean((model.predict(X) - Y) ** 2)))
            run.save_model(model, "model")
    Model.register(
        workspace=ws,
        model_name="diabetes-model",
        run=exp.best_run("mse"),
        model_path="model",
        model_framework=Model.Framework.SCIKITLEARN,
        sample_input_dataset=features,
        sample_output_dataset=labels,
        resource_configuration=ResourceConfiguration(cpu=1, memory_in_gb=0.5),
        tags={"area": "diabetes"},
    ).set_alias("production")


def assert_same(src: Workspace, dst: Workspace) -> None:
    """``dst`` reads through the SDK exactly as ``src`` does."""
    assert [(e.id, e.name) for e in Experiment.list(dst)] == [
        (e.id, e.name) for e in Experiment.list(src)
    ]
    src_runs = {r.id: r for r in Experiment.get(src, "diabetes").runs()}
    dst_runs = {r.id: r for r in Experiment.get(dst, "diabetes").runs()}
    assert dst_runs.keys() == src_runs.keys() and len(src_runs) == 3
    for run_id, mine in src_runs.items():
        theirs = dst_runs[run_id]
        assert (theirs.name, theirs.status) == (mine.name, mine.status)
        assert theirs.params == mine.params and theirs.metrics == mine.metrics
        assert theirs.tags == mine.tags
        a, b = mine.get_metric_history("loss"), theirs.get_metric_history("loss")
        assert len(b.values) == 50
        for column in ("steps", "values", "timestamps"):
            np.testing.assert_array_equal(getattr(b, column), getattr(a, column))
        assert theirs.get_file_names() == mine.get_file_names()
    for name in ("diabetes-features", "diabetes-labels"):
        mine, theirs = Dataset.get_by_name(src, name), Dataset.get_by_name(dst, name)
        assert (theirs.version, theirs.fingerprint, theirs.tags) == (
            mine.version,
            mine.fingerprint,
            mine.tags,
        )
        pd.testing.assert_frame_equal(theirs.to_pandas_dataframe(), mine.to_pandas_dataframe())
    mine_model = Model(src, "diabetes-model", alias="production")
    theirs_model = Model(dst, "diabetes-model", alias="production")
    assert (theirs_model.version, theirs_model.run_id, theirs_model.tags) == (
        mine_model.version,
        mine_model.run_id,
        mine_model.tags,
    )
    np.testing.assert_array_equal(theirs_model.load().predict(X), mine_model.load().predict(X))
    mine_store, theirs_store = src.get_default_datastore(), dst.get_default_datastore()
    assert theirs_store.list() == mine_store.list()
    for record in mine_store.list():
        assert theirs_store.open(record.path).read() == mine_store.open(record.path).read()
    for sha in dst.store.referenced_blobs():
        dst.blobs.verify(sha)


def row_counts(ws: Workspace) -> dict[str, int]:
    """{table: rows} of the workspace's database, read directly."""
    with ws.store._db.read() as conn:  # type: ignore[attr-defined]
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


def overwrite_blob(ws: Workspace, sha256: str, data: bytes) -> None:
    """Change a stored blob's bytes behind mlyard's back (disk rot, a stray write)."""
    path = ws.blobs.path(sha256)  # type: ignore[attr-defined]
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # blobs are stored read-only
    Path(path).write_bytes(data)
