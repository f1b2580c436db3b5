"""Tabular datasets: delimited text with header detection, Parquet, Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlyard import Dataset, TabularDataset
from mlyard.errors import InvalidInputError
from tests.data.data_helpers import write


def test_savetxt_output_gets_generated_column_names(store, src):
    data = np.random.default_rng(0).normal(size=(442, 10))
    np.savetxt(src / "feature.csv", data, delimiter=",")
    store.upload_files([src / "feature.csv"], target_path="diabetes-experiment/")

    ds = Dataset.Tabular.from_delimited_files(path=[(store, "diabetes-experiment/feature.csv")])
    df = ds.to_pandas_dataframe()

    assert isinstance(ds, TabularDataset) and not ds.is_registered
    assert list(df.columns) == [f"Column{i}" for i in range(1, 11)]
    assert df.shape == (442, 10)
    np.testing.assert_allclose(df.to_numpy(), data)


def test_the_reference_scenario_files(store, src, tmp_path, monkeypatch):
    from sklearn.datasets import load_diabetes

    monkeypatch.chdir(tmp_path)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    np.savetxt("feature.csv", X, delimiter=",")
    np.savetxt("labels.csv", y, delimiter=",")
    for _ in range(2):  # a script run twice
        store.upload_files(
            files=["./feature.csv", "./labels.csv"],
            target_path="diabetes-experiment/",
            overwrite=True,
        )
    feature_ds = Dataset.Tabular.from_delimited_files(
        path=[(store, "diabetes-experiment/feature.csv")]
    )
    label_ds = Dataset.Tabular.from_delimited_files(
        path=[(store, "diabetes-experiment/labels.csv")]
    )

    features, labels = feature_ds.to_pandas_dataframe(), label_ds.to_pandas_dataframe()
    assert features.shape == (442, 10) and labels.shape == (442, 1)
    np.testing.assert_allclose(features.to_numpy(), X.to_numpy())
    np.testing.assert_allclose(labels["Column1"].to_numpy(), y.to_numpy())


def test_a_single_column_savetxt_file(store, src):
    np.savetxt(src / "labels.csv", np.arange(5.0), delimiter=",")
    df = Dataset.Tabular.from_delimited_files(path=str(src / "labels.csv")).to_pandas_dataframe()
    assert list(df.columns) == ["Column1"] and df["Column1"].tolist() == [0, 1, 2, 3, 4]


def test_a_real_header_is_detected(src):
    write(src / "people.csv", "name,age,score\nann,31,1.5\nbob,42,2.5\n")
    df = Dataset.Tabular.from_delimited_files(path=str(src / "people.csv")).to_pandas_dataframe()
    assert list(df.columns) == ["name", "age", "score"]
    assert df["age"].tolist() == [31, 42]


def test_numeric_header_names_still_count_as_a_header(src):
    write(src / "years.csv", "id,2020,2021\n1,5,6\n")
    df = Dataset.Tabular.from_delimited_files(path=str(src / "years.csv")).to_pandas_dataframe()
    assert list(df.columns) == ["id", "2020", "2021"]


def test_missing_values_in_a_first_data_row_do_not_make_it_a_header(src):
    write(src / "gaps.csv", "1,,3\n4,5,6\n")
    df = Dataset.Tabular.from_delimited_files(path=str(src / "gaps.csv")).to_pandas_dataframe()
    assert list(df.columns) == ["Column1", "Column2", "Column3"] and len(df) == 2


def test_header_can_be_forced_either_way(src):
    write(src / "h.csv", "a,b\n1,2\n")
    write(src / "n.csv", "1,2\n3,4\n")
    no = Dataset.Tabular.from_delimited_files(path=str(src / "h.csv"), header=False)
    rows = no.to_pandas_dataframe().to_dict("list")
    assert rows == {"Column1": ["a", "1"], "Column2": ["b", "2"]}
    yes = Dataset.Tabular.from_delimited_files(path=str(src / "n.csv"), header=True)
    assert list(yes.to_pandas_dataframe().columns) == ["1", "2"]


def test_other_separators_and_encodings(src):
    write(src / "semi.csv", "a;b\n1;2\n")
    write(src / "tab.tsv", "a\tb\n1\t2\n")
    write(src / "latin.csv", "name,city\nx,Zürich\n".encode("latin-1"))
    semi = Dataset.Tabular.from_delimited_files(path=str(src / "semi.csv"), separator=";")
    assert semi.to_pandas_dataframe().to_dict("list") == {"a": [1], "b": [2]}
    tab = Dataset.Tabular.from_delimited_files(path=str(src / "tab.tsv"), separator="\t")
    assert list(tab.to_pandas_dataframe().columns) == ["a", "b"]
    latin = Dataset.Tabular.from_delimited_files(path=str(src / "latin.csv"), encoding="latin-1")
    assert latin.to_pandas_dataframe()["city"].tolist() == ["Zürich"]


def test_a_utf8_byte_order_mark_is_not_part_of_the_header(src):
    write(src / "bom.csv", b"\xef\xbb\xbfa,b\n1,2\n")
    df = Dataset.Tabular.from_delimited_files(path=str(src / "bom.csv")).to_pandas_dataframe()
    assert list(df.columns) == ["a", "b"]


def test_several_files_are_stacked_in_name_order(store, src):
    for i in range(3):
        write(src / f"parts/part-{i}.csv", f"x,y\n{i},{i * 10}\n{i},{i * 10 + 1}\n")
    store.upload(src / "parts", target_path="parts")
    ds = Dataset.Tabular.from_delimited_files(path=[(store, "parts/*.csv")])
    df = ds.to_pandas_dataframe()
    assert df["y"].tolist() == [0, 1, 10, 11, 20, 21]
    assert df.index.tolist() == list(range(6))


def test_files_with_different_columns_are_refused(src):
    write(src / "a.csv", "x,y\n1,2\n")
    write(src / "b.csv", "x,z\n1,2\n")
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "*.csv"))
    with pytest.raises(InvalidInputError, match=r"'b.csv' has columns \[x, z\]") as err:
        ds.to_pandas_dataframe()
    assert err.value.field == "path"


def test_headerless_files_with_different_widths_are_refused(src):
    write(src / "a.csv", "1,2\n")
    write(src / "b.csv", "1,2,3\n")
    with pytest.raises(InvalidInputError, match="3 columns"):
        Dataset.Tabular.from_delimited_files(path=str(src / "*.csv")).to_pandas_dataframe()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"header": "yes"}, "header"),
        ({"header": 1}, "header"),
        ({"separator": ";;"}, "separator"),
        ({"separator": ""}, "separator"),
        ({"encoding": "klingon"}, "encoding"),
    ],
)
def test_bad_reader_options_name_the_field(src, kwargs, field):
    write(src / "a.csv", "x\n1\n")
    with pytest.raises(InvalidInputError) as err:
        Dataset.Tabular.from_delimited_files(path=str(src / "a.csv"), **kwargs)
    assert err.value.field == field


def test_unreadable_text_gets_a_clear_error(src):
    write(src / "empty.csv", "")
    write(src / "binary.csv", b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InvalidInputError, match="'empty.csv' is empty"):
        Dataset.Tabular.from_delimited_files(path=str(src / "empty.csv"))
    with pytest.raises(InvalidInputError, match="not utf-8") as err:
        Dataset.Tabular.from_delimited_files(path=str(src / "binary.csv"))
    assert err.value.field == "encoding"


def test_ragged_rows_get_a_clear_error(src):
    write(src / "ragged.csv", "a,b\n1,2\n1,2,3,4\n")
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "ragged.csv"))
    with pytest.raises(InvalidInputError, match="cannot read 'ragged.csv'"):
        ds.to_pandas_dataframe()


def test_an_unregistered_dataset_reads_its_sources_live(store, src):
    write(src / "a.csv", "x\n1\n")
    store.upload_files([src / "a.csv"])
    ds = Dataset.Tabular.from_delimited_files(path=(store, "a.csv"))
    write(src / "a.csv", "x\n2\n")
    store.upload_files([src / "a.csv"], overwrite=True)
    assert ds.to_pandas_dataframe()["x"].tolist() == [2]


def test_to_arrow_matches_pandas(src):
    write(src / "a.csv", "name,v\nx,1.5\ny,2.5\n")
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "a.csv"))
    table = ds.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.column_names == ["name", "v"]
    assert table.to_pydict() == {"name": ["x", "y"], "v": [1.5, 2.5]}


def test_parquet_files(store, src):
    frames = [
        pd.DataFrame({"id": [1, 2], "label": ["a", "b"]}),
        pd.DataFrame({"id": [3], "label": ["c"]}),
    ]
    for i, frame in enumerate(frames):
        frame.to_parquet(src / f"part-{i}.parquet")
    write(src / "readme.txt", "not data")
    store.upload(src, target_path="x")

    ds = Dataset.Tabular.from_parquet_files(path=[(store, "x/*.parquet")])

    assert ds.to_pandas_dataframe().to_dict("list") == {"id": [1, 2, 3], "label": ["a", "b", "c"]}
    assert ds.to_arrow().num_rows == 3
    reg = ds.register(store.workspace, "parquet-data")
    assert reg.to_pandas_dataframe()["id"].tolist() == [1, 2, 3]
    assert reg.profile["row_count"] == 3


def test_parquet_with_other_schemas_is_refused(src):
    pd.DataFrame({"id": [1]}).to_parquet(src / "a.parquet")
    pd.DataFrame({"id": ["one"]}).to_parquet(src / "b.parquet")
    ds = Dataset.Tabular.from_parquet_files(path=str(src / "*.parquet"))
    with pytest.raises(InvalidInputError, match="differ"):
        ds.to_pandas_dataframe()


def test_a_text_file_is_not_parquet(src):
    write(src / "a.parquet", "x,y\n1,2\n")
    with pytest.raises(InvalidInputError, match="not a Parquet file") as err:
        Dataset.Tabular.from_parquet_files(path=str(src / "a.parquet"))
    assert "from_delimited_files" in str(err.value)
