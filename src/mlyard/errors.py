"""Every error mlyard raises on purpose has one root, :class:`MlyardError`.

The tree::

    MlyardError
    ├── InvalidInputError        bad argument or payload; names the field and the fix   (400)
    │   └── ConflictError        the request contradicts stored state                   (409)
    ├── NotFoundError            no such workspace object                               (404)
    ├── AlreadyExistsError       the name or path is taken                              (409)
    ├── IntegrityError           stored bytes do not match their recorded sha256        (500)
    ├── StoreError               the metadata backend failed (database locked, down)    (503)
    └── ServiceError             a deployment failed to start, or answered with an error
        ├── DeploymentFailedError
        └── ScoringError

Each error carries an ``error_code`` (the MLflow-style code used in HTTP bodies) and,
where it applies, the ``field`` that was wrong and the ``fix`` to apply. The message
always reads well on its own: ``str(err)`` is what the CLI prints.
"""

from __future__ import annotations


class MlyardError(Exception):
    """Root of every error mlyard raises on purpose."""

    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, field: str | None = None, fix: str | None = None):
        self.field = field
        self.fix = fix
        full = message
        if fix and fix not in message:
            full = f"{message.rstrip('.')}. {fix[:1].upper()}{fix[1:]}"
        super().__init__(full)

    @property
    def message(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, str]:
        body = {"error_code": self.error_code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInputError(MlyardError, ValueError):
    """An argument, file or payload is not acceptable; ``field`` says which."""

    error_code = "INVALID_PARAMETER_VALUE"


class ConflictError(InvalidInputError):
    """The request contradicts what is stored (a param logged twice with two values)."""

    error_code = "INVALID_STATE"


class NotFoundError(MlyardError, LookupError):
    """The named run, model, dataset, datastore or service does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExistsError(MlyardError):
    """The name or path is already taken and overwriting was not asked for."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class IntegrityError(MlyardError):
    """Stored bytes do not match the sha256 they were recorded with."""

    error_code = "DATA_LOSS"


class StoreError(MlyardError):
    """The metadata backend failed; the operation left the store unchanged."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class ServiceError(MlyardError):
    """A web service could not be started or answered with an error."""

    error_code = "SERVICE_ERROR"


class DeploymentFailedError(ServiceError):
    """The scoring process exited or failed its checks; the message holds its log tail."""


class ScoringError(ServiceError):
    """The scoring service rejected a request; ``status`` is its HTTP status."""

    def __init__(self, message: str, *, status: int, field: str | None = None):
        self.status = status
        super().__init__(message, field=field)


def require(condition: bool, message: str, *, field: str, fix: str | None = None) -> None:
    """Raise :class:`InvalidInputError` unless ``condition`` holds."""
    if not condition:
        raise InvalidInputError(message, field=field, fix=fix)
