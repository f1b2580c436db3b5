"""The one table ``error_code <-> exception class <-> HTTP status``.

Every front that speaks HTTP — the scoring app now, the team server and its REST client
next — turns an error into a status and a JSON body ``{"error_code", "message",
"field"?}`` through :func:`error_body`, and a received body back into the same
exception class through :func:`error_from_body`.

Example:
    >>> from mlyard.errors import NotFoundError
    >>> status, body = error_body(NotFoundError("no model named 'm'", field="name"))
    >>> status, body["error_code"]
    (404, 'RESOURCE_DOES_NOT_EXIST')
    >>> type(error_from_body(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "x"}))
    <class 'mlyard.errors.NotFoundError'>
"""

from __future__ import annotations

from typing import Any

from mlyard import errors as e

# (exception class, HTTP status). Codes are the classes' own ``error_code``s.
ERRORS: tuple[tuple[type[e.MlyardError], int], ...] = (
    (e.MlyardError, 500),
    (e.InvalidInputError, 400),
    (e.RequestTooLargeError, 413),
    (e.MethodNotAllowedError, 405),
    (e.ConflictError, 409),
    (e.LockedError, 409),
    (e.NotFoundError, 404),
    (e.AlreadyExistsError, 409),
    (e.IntegrityError, 500),
    (e.StoreError, 503),
    (e.UnauthenticatedError, 401),
    (e.PermissionDeniedError, 403),
    (e.ServiceError, 502),
    (e.DeploymentFailedError, 502),
    (e.ScoringError, 502),
    (e.ModelError, 500),
)

_STATUS = dict(ERRORS)
_BY_CODE = {cls.error_code: cls for cls, _ in ERRORS}


def http_status(err: e.MlyardError) -> int:
    """The HTTP status of ``err``: that of its class, or of its nearest listed base."""
    for cls in type(err).__mro__:
        status = _STATUS.get(cls)
        if status is not None:
            return status
    return 500


def error_body(err: e.MlyardError) -> tuple[int, dict[str, str]]:
    """``(HTTP status, JSON body)`` for ``err``."""
    return http_status(err), err.to_dict()


def error_from_body(status: int, body: Any) -> e.MlyardError:
    """The exception a received error body stands for (its class found by code).

    A body that is not one of ours becomes a plain :class:`~mlyard.errors.MlyardError`
    keeping the status in its message.
    """
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return e.MlyardError(f"HTTP {status}: {str(body)[:500]}")
    cls = _BY_CODE.get(str(body.get("error_code")), e.MlyardError)
    field = body.get("field") if isinstance(body.get("field"), str) else None
    if cls is e.ScoringError:
        return e.ScoringError(body["message"], status=status, field=field)
    return cls(body["message"], field=field)
