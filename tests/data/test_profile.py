"""Profiles: schema and summary statistics, as plain JSON data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlyard import Dataset
from mlyard.data.profile import profile_frame
from tests.data.data_helpers import write


def column(profile: dict, name: str) -> dict:
    return next(c for c in profile["columns"] if c["name"] == name)


def test_numeric_and_text_columns(src):
    write(
        src / "people.csv",
        "name,age,score,city\nann,31,1.5,Oslo\nbob,42,,Rome\ncid,,2.5,Oslo\ndan,25,3.5,Oslo\n",
    )
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "people.csv"))
    profile = ds.profile

    assert (profile["row_count"], profile["column_count"]) == (4, 4)
    age = column(profile, "age")
    assert age == {
        "name": "age",
        "dtype": "float64",
        "count": 3,
        "missing": 1,
        "min": 25.0,
        "max": 42.0,
        "mean": pytest.approx(98 / 3),
        "std": pytest.approx(float(np.std([31, 42, 25], ddof=1))),
    }
    assert column(profile, "city") == {
        "name": "city",
        "dtype": str(ds.to_pandas_dataframe()["city"].dtype),  # "str" from pandas 3
        "count": 4,
        "missing": 0,
        "unique": 2,
        "top": [{"value": "Oslo", "count": 3}, {"value": "Rome", "count": 1}],
    }
    json.dumps(profile, allow_nan=False)  # plain JSON, no NaN


def test_top_values_are_at_most_five_most_frequent_first():
    frame = pd.DataFrame({"c": list("aaabbcdefgh")})
    top = profile_frame(frame)["columns"][0]["top"]
    assert [t["value"] for t in top] == ["a", "b", "c", "d", "e"]
    assert [t["count"] for t in top] == [3, 2, 1, 1, 1]


def test_integer_bool_datetime_and_empty_columns_are_plain_json():
    frame = pd.DataFrame(
        {
            "i": np.array([3, 1, 2], dtype=np.int64),
            "b": [True, False, True],
            "t": pd.to_datetime(["2024-01-01", "2024-01-02", None]),
            "empty": [np.nan, np.nan, np.nan],
        }
    )
    profile = profile_frame(frame)
    json.dumps(profile, allow_nan=False)
    i, b, t, empty = profile["columns"]
    assert (i["min"], i["max"], i["mean"]) == (1, 3, 2.0) and type(i["min"]) is int
    assert b["top"] == [{"value": True, "count": 2}, {"value": False, "count": 1}]
    assert t["missing"] == 1 and t["top"][0]["value"] == "2024-01-01T00:00:00"
    assert (empty["count"], empty["min"], empty["mean"], empty["std"]) == (0, None, None, None)


def test_the_registered_profile_is_stored(ws, src):
    np.savetxt(src / "f.csv", np.arange(6.0).reshape(3, 2), delimiter=",")
    reg = Dataset.Tabular.from_delimited_files(path=str(src / "f.csv")).register(ws, "f")
    stored = ws.store.get_dataset_version("f", 1).profile
    assert stored == reg.profile
    assert [c["name"] for c in stored["columns"]] == ["Column1", "Column2"]
    assert column(stored, "Column2")["max"] == 5.0
    assert stored["row_count"] == 3


def test_file_datasets_have_no_table_profile(ws, src):
    write(src / "a.bin", b"\x00")
    reg = Dataset.File.from_files(path=str(src / "a.bin")).register(ws, "bin")
    assert ws.store.get_dataset_version("bin").profile is None
    assert not hasattr(reg, "profile")
