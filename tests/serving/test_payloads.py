"""Whatever a client sends, the answer is JSON naming the problem, and serving goes on."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from pytest import approx

from mlyard.errors import InvalidInputError, ScoringError
from mlyard.serving.scoring.payload import encode_result, numeric_rows, parse_score

ROW = [0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, 0.0, 0.02, -0.02]


@pytest.fixture
def client(diabetes_service):
    with httpx.Client(base_url=diabetes_service.scoring_uri.removesuffix("/score")) as c:
        yield c


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        (b'{"data": [[1, 2,', 400, "body", "not valid JSON"),
        (b"", 400, "body", "empty"),
        (b"[[1, 2, 3]]", 400, "body", "not an object"),
        (b'{"rows": [[1]]}', 400, "data", "no 'data'"),
        (b'{"data": []}', 400, "data", "non-empty list"),
        (b'{"data": {"age": [1]}}', 400, "data", "non-empty list"),
        (b'{"data": [[1, 2, 3]]}', 400, "data", "row 0 has 3 values; the model takes 10"),
        (b'{"data": [[1,2,3,4,5,6,7,8,9,10], [1]]}', 400, "data", "row 1 has 1 values"),
        (b'{"data": [5, 6]}', 400, "data", "row 0 must be a list of 10 values"),
        (b'{"data": [["a",2,3,4,5,6,7,8,9,10]]}', 400, "data[0].age", "takes numbers"),
        (b'{"data": [{"age": 1}]}', 400, "data", "lacks column(s)"),
        (b'{"data": [[[1],2,3,4,5,6,7,8,9,10]]}', 400, "data[0].age", "holds [1]"),
        (b'{"data": [[1,2,3,4,5,6,7,8,9,10]], "method": "fly"}', 400, "method", "no method"),
        (b'{"data": [[1,2,3,4,5,6,7,8,9,10]], "method": 3}', 400, "method", "string"),
        (b'{"data": [[1,2,3,4,5,6,7,8,9,10]], "model": "x"}', 404, "model", "no model 'x'"),
    ],
)
def test_bad_requests_get_a_4xx_json_error_naming_the_field(client, body, status, field, words):
    response = client.post("/score", content=body)
    assert response.status_code == status
    error = response.json()
    assert error["field"] == field
    assert words in error["message"]
    assert error["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    assert client.post("/score", json={"data": [ROW]}).status_code == 200  # still serving


def test_a_model_raising_gives_500_and_the_service_goes_on(client, diabetes_service, diabetes):
    X, _, model = diabetes
    response = client.post("/score", json={"data": [[None] * 10]})  # Ridge refuses NaN
    assert response.status_code == 500
    assert response.json()["error_code"] == "MODEL_ERROR"
    assert "ValueError" in response.json()["message"]
    assert "Traceback" in diabetes_service.get_logs()
    again = client.post("/score", json={"data": X[0:1].values.tolist()})
    assert again.json() == {"predict": approx(model.predict(X[0:1]).tolist())}


def test_wrong_routes_and_verbs_are_json_too(client):
    assert client.head("/health").status_code == 200
    assert client.get("/score").status_code == 405
    assert client.post("/health").status_code == 405
    missing = client.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["field"] == "path"


def test_run_raises_scoring_error_with_status_and_field(diabetes_service):
    with pytest.raises(ScoringError, match="row 0 has 2 values") as err:
        diabetes_service.run({"data": [[1, 2]]})
    assert err.value.status == 400
    assert err.value.field == "data"
    with pytest.raises(ScoringError) as err:
        diabetes_service.run('{"data": ')
    assert err.value.field == "body"
    with pytest.raises(InvalidInputError, match="JSON string or a dict"):
        diabetes_service.run(42)
    assert list(diabetes_service.run({"data": np.array([ROW])})) == ["predict"]


def test_parse_score_reads_the_three_keys():
    request = parse_score(b'{"data": [[1]], "method": "predict", "model": "m:2"}')
    assert (request.rows, request.method, request.model) == ([[1]], "predict", "m:2")
    assert parse_score(b'{"data": [[1]]}').method is None


def test_numeric_rows_only_for_lists_of_the_right_width():
    assert numeric_rows([[1, 2], [3, 4.5]], 2).dtype == np.float64
    assert numeric_rows([[1, 2]], 3) is None
    assert numeric_rows([{"a": 1}], 1) is None
    assert numeric_rows([[1, "x"]], 2) is None
    assert numeric_rows([[1, [2]]], 2) is None


def test_results_encode_arrays_frames_and_scalars():
    import pandas as pd

    assert encode_result("predict", np.array([1.5, 2.0])) == b'{"predict":[1.5,2.0]}'
    assert encode_result("p", np.array(["a", "b"], dtype=object)) == b'{"p":["a","b"]}'
    assert encode_result("p", pd.Series([1, 2])) == b'{"p":[1,2]}'
    assert encode_result("p", np.float32(0.5)) == b'{"p":0.5}'
