"""Every record crosses a process boundary through one codec and comes back equal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlyard.errors import InvalidInputError
from mlyard.store.records import (
    BlobReference,
    DatasetVersionRecord,
    DatastoreRecord,
    DeploymentRecord,
    DeploymentState,
    ExperimentRecord,
    FileRecord,
    MetricSeries,
    ModelVersionRecord,
    RegisteredModelRecord,
    Role,
    RunRecord,
    RunStatus,
    TokenRecord,
    UserRecord,
)
from mlyard.wire import codec

text = st.text(max_size=20)
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
stamps = st.integers(min_value=0, max_value=2**62)
tags = st.dictionaries(text, text, max_size=4)
floats = st.floats(allow_nan=True, allow_infinity=True)
sha = st.text("0123456789abcdef", min_size=64, max_size=64)
files = st.builds(FileRecord, text, sha, st.integers(min_value=0, max_value=2**40))
json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
RECORDS = {
    ExperimentRecord: st.builds(ExperimentRecord, text, text, text, text, stamps, stamps, tags),
    RunRecord: st.builds(
        RunRecord,
        text,
        text,
        text,
        st.sampled_from(RunStatus),
        stamps,
        st.none() | stamps,
        text,
        text,
        st.none() | text,
        tags,
        st.dictionaries(text, floats, max_size=4),
        tags,
        st.none() | text,
        st.none() | st.integers(1, 2**22),
        st.none() | stamps,
    ),
    FileRecord: files,
    DatastoreRecord: st.builds(DatastoreRecord, text, text, st.booleans(), stamps),
    DatasetVersionRecord: st.builds(
        DatasetVersionRecord,
        text,
        st.integers(1, 2**31 - 1),
        st.sampled_from(["tabular", "file"]),
        sha,
        st.dictionaries(text, json_like, max_size=3),
        st.lists(files, max_size=3).map(tuple),
        st.none() | st.dictionaries(text, json_like, max_size=3),
        st.none() | text,
        tags,
        stamps,
        st.none() | text,
    ),
    ModelVersionRecord: st.builds(
        ModelVersionRecord,
        text,
        st.integers(1, 2**31 - 1),
        text,
        st.none() | text,
        text,
        st.none() | text,
        st.none() | text,
        st.none() | text,
        st.dictionaries(text, json_like, max_size=3),
        st.none() | st.dictionaries(text, json_like, max_size=3),
        st.none() | text,
        st.none() | text,
        tags,
        st.lists(text, max_size=3).map(tuple),
        stamps,
        text,
        st.none() | text,
    ),
    RegisteredModelRecord: st.builds(
        RegisteredModelRecord,
        text,
        st.none() | text,
        tags,
        stamps,
        stamps,
        st.none() | st.integers(1, 2**31 - 1),
        st.dictionaries(text, st.integers(1, 2**31 - 1), max_size=3),
    ),
    DeploymentRecord: st.builds(
        DeploymentRecord,
        text,
        st.lists(text, max_size=3).map(tuple),
        st.sampled_from(DeploymentState),
        st.just("http://127.0.0.1:8890/score"),
        text,
        st.dictionaries(text, json_like, max_size=3),
        stamps,
        stamps,
        text,
        st.none() | text,
    ),
    BlobReference: st.builds(BlobReference, text, st.integers(0, 2**63 - 1), text),
    UserRecord: st.builds(UserRecord, text, st.sampled_from(Role), stamps, st.none() | stamps),
    TokenRecord: st.builds(
        TokenRecord,
        text,
        text,
        text,
        text,
        stamps,
        st.none() | stamps,
        st.none() | stamps,
        st.none() | stamps,
    ),
}


def _same(a, b) -> bool:
    """Equal, counting NaN as equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and all(
            _same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__
        )
    return a == b and type(a) is type(b)


def test_every_record_type_is_round_tripped_here():
    import dataclasses

    from mlyard.store import records

    kinds = {
        v for v in vars(records).values() if isinstance(v, type) and dataclasses.is_dataclass(v)
    }
    # a point is a view of a series; series have their own test below
    assert kinds - {records.MetricPoint, MetricSeries} == set(RECORDS)


@pytest.mark.parametrize("kind", list(RECORDS), ids=lambda k: k.__name__)
def test_every_record_round_trips(kind):
    @settings(max_examples=40, deadline=None)
    @given(st.lists(RECORDS[kind], max_size=3))
    def check(records):
        data = codec.encode(records, list[kind])
        back = codec.decode(data, list[kind])
        assert _same(back, records)
        assert _same(codec.load(codec.dump(records, list[kind]), list[kind]), records)

    check()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(ints, floats, stamps), max_size=50), text)
def test_metric_series_keep_exact_arrays(points, key):
    series = MetricSeries.of(
        key, [p[1] for p in points], [p[0] for p in points], [p[2] for p in points]
    )
    back = codec.decode(codec.encode([series], list[MetricSeries]), list[MetricSeries])[0]
    assert back.key == key
    assert back.steps.dtype == np.int64 and back.values.dtype == np.float64
    assert back.steps.tolist() == series.steps.tolist()
    assert back.timestamps.tolist() == series.timestamps.tolist()
    assert np.array_equal(back.values, series.values, equal_nan=True)


def test_nan_and_infinities_survive_in_run_metrics():
    run = RunRecord(
        "r", "1", "n", RunStatus.LOST, 1, None, "u", metrics={"n": math.nan, "i": -math.inf}
    )
    back = codec.decode(codec.encode(run), RunRecord)
    assert math.isnan(back.metrics["n"]) and back.metrics["i"] == -math.inf
    assert back.status is RunStatus.LOST


@pytest.mark.parametrize(
    "data, where",
    [
        (b'{"name": "d"}', "version"),
        (b'{"name": "d", "version": "x", "kind": "file"}', "version"),
        (b"not json", "body"),
    ],
)
def test_a_bad_wire_form_names_the_field(data, where):
    with pytest.raises(InvalidInputError) as err:
        codec.decode(data, DatasetVersionRecord)
    assert where in str(err.value)


def test_a_damaged_metric_series_is_refused():
    good = codec.dump(MetricSeries.of("m", [1.0, 2.0]))
    with pytest.raises(InvalidInputError):
        codec.load({**good, "steps": good["steps"][:4]}, MetricSeries)
    with pytest.raises(InvalidInputError):
        codec.load({**good, "values": 5}, MetricSeries)
