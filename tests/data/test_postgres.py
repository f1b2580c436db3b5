"""The data layer on a team workspace: PostgreSQL metadata, a shared artifact folder."""

from __future__ import annotations

import numpy as np
import pytest

from mlyard import Dataset, Workspace


@pytest.mark.postgres
def test_upload_register_and_read_back_on_postgres(pg_url, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    np.savetxt(src / "feature.csv", np.eye(3), delimiter=",")
    art = tmp_path / "art"

    with Workspace.open(pg_url, artifact_root=str(art), home=tmp_path / "home") as ws:
        store = ws.get_default_datastore()
        assert store.url == f"{art}/datastores/default"
        [record] = store.upload_files([src / "feature.csv"], target_path="exp")
        ds = Dataset.Tabular.from_delimited_files(path=[(store, "exp/feature.csv")])
        assert ds.register(ws, name="eye", tags={"team": "a"}).version == 1
        assert ds.register(ws, name="eye").version == 1

    with Workspace.open(pg_url) as ws:  # the database remembers its artifact root
        assert ws.blobs.url == str(art)
        reg = Dataset.get_by_name(ws, "eye")
        assert (reg.version, reg.tags) == (1, {"team": "a"})
        assert reg.files[0].sha256 == record.sha256
        assert reg.to_pandas_dataframe().to_numpy().tolist() == np.eye(3).tolist()
        assert reg.profile["row_count"] == 3
        assert ws.get_default_datastore().list() == [record]
