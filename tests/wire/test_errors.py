"""One table error_code <-> exception class <-> HTTP status, used by every HTTP front."""

from __future__ import annotations

import pytest

from mlyard import errors
from mlyard.errors import MlyardError
from mlyard.wire.errors import ERRORS, error_body, error_from_body, http_status


def _all_error_classes() -> list[type[MlyardError]]:
    found, todo = [], [MlyardError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__ == "mlyard.errors"]


def test_every_error_class_is_in_the_table_with_its_own_code():
    classes = _all_error_classes()
    assert {cls for cls, _ in ERRORS} == set(classes)
    codes = [cls.error_code for cls in classes]
    assert len(codes) == len(set(codes)), "two error classes share a code"
    for cls in classes:  # and the docstring tree names each class with its code
        assert cls.__name__ in errors.__doc__ and cls.error_code in errors.__doc__


@pytest.mark.parametrize(
    "err, status",
    [
        (errors.InvalidInputError("x", field="f"), 400),
        (errors.NotFoundError("x"), 404),
        (errors.AlreadyExistsError("x"), 409),
        (errors.ConflictError("x"), 409),
        (errors.LockedError("x"), 409),
        (errors.RequestTooLargeError("x"), 413),
        (errors.StoreError("x"), 503),
        (errors.ModelError("x"), 500),
        (errors.DeploymentFailedError("x"), 502),
        (errors.ScoringError("x", status=400), 502),
    ],
)
def test_status_and_round_trip(err, status):
    got_status, body = error_body(err)
    assert got_status == status == http_status(err)
    back = error_from_body(got_status, body)
    assert type(back) is type(err)
    assert str(back) == str(err) and back.field == err.field


def test_foreign_bodies_become_plain_errors():
    err = error_from_body(502, "<html>bad gateway</html>")
    assert type(err) is MlyardError and "502" in str(err)
    unknown = error_from_body(418, {"error_code": "TEAPOT", "message": "short and stout"})
    assert type(unknown) is MlyardError and str(unknown) == "short and stout"
