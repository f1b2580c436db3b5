"""The scoring app's errors come from the one error table (mlyard.wire.errors)."""

from __future__ import annotations

import httpx

from mlyard import errors
from mlyard.wire.errors import error_from_body, http_status


def test_the_scoring_app_answers_through_the_table(diabetes_service):
    base = diabetes_service.scoring_uri.removesuffix("/score")
    cases = [
        (httpx.post(f"{base}/score", content=b"{"), errors.InvalidInputError),
        (httpx.get(f"{base}/nowhere"), errors.NotFoundError),
        (httpx.post(f"{base}/health"), errors.MethodNotAllowedError),
        (
            httpx.post(f"{base}/score", json={"data": [[1.0]], "model": "nope"}),
            errors.NotFoundError,
        ),
    ]
    for response, cls in cases:
        err = error_from_body(response.status_code, response.json())
        assert type(err) is cls, (response.status_code, response.text)
        assert response.status_code == http_status(err)
