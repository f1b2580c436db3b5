import pytest

from mlyard.errors import InvalidInputError
from mlyard.store.search import Clause, OrderKey, parse_filter, parse_order_by


def test_parses_the_documented_forms():
    assert parse_filter("metrics.mse < 3000 and params.alpha = '0.1'") == (
        Clause("metric", "mse", "<", 3000.0),
        Clause("param", "alpha", "=", "0.1"),
    )
    assert parse_filter('tags."team name" != "x"') == (Clause("tag", "team name", "!=", "x"),)
    assert parse_filter("metrics.`val loss` >= -1e-3") == (
        Clause("metric", "val loss", ">=", -0.001),
    )
    assert parse_filter("status = 'COMPLETED' AND run_name LIKE 'r%'") == (
        Clause("attribute", "status", "=", "COMPLETED"),
        Clause("attribute", "run_name", "LIKE", "r%"),
    )
    assert parse_filter("params.m NOT IN ('a', 'b')") == (
        Clause("param", "m", "NOT IN", ("a", "b")),
    )
    assert parse_filter("") == ()
    assert parse_order_by(["metrics.mse", "start_time DESC"]) == (
        OrderKey("metric", "mse", True),
        OrderKey("attribute", "start_time", False),
    )


@pytest.mark.parametrize(
    "text",
    [
        "metrics.mse <",
        "metrics.mse < 'abc'",
        "metrics.mse < 'nan'",
        "params.alpha = 0.1",
        "metrics.mse LIKE '1%'",
        "foo.bar = 'x'",
        "colour = 'red'",
        "metrics.mse < 1 or metrics.mse > 2",
        "metrics.mse < 1 and",
        "params.a IN 'x'",
        "metrics.mse ~ 3",
    ],
)
def test_bad_filters_name_the_field(text):
    with pytest.raises(InvalidInputError) as err:
        parse_filter(text)
    assert err.value.field == "filter"


def test_bad_order_by():
    with pytest.raises(InvalidInputError) as err:
        parse_order_by(["metrics.mse UP"])
    assert err.value.field == "order_by"
