"""Every error mlyard raises on purpose has one root, :class:`MlyardError`.

The tree, with each class's ``error_code`` (unique per class)::

    MlyardError                  INTERNAL_ERROR           (the root; never raised as such)
    ├── InvalidInputError        INVALID_PARAMETER_VALUE  bad argument or payload
    │   ├── RequestTooLargeError REQUEST_TOO_LARGE        a body past the size limit
    │   └── MethodNotAllowedError METHOD_NOT_ALLOWED      an HTTP method a route lacks
    ├── ConflictError            INVALID_STATE            contradicts stored state
    │   └── LockedError          RESOURCE_LOCKED          another process holds the object
    ├── NotFoundError            RESOURCE_DOES_NOT_EXIST  no such workspace object
    ├── AlreadyExistsError       RESOURCE_ALREADY_EXISTS  the name or path is taken
    ├── IntegrityError           DATA_LOSS                stored bytes do not match their sha256
    ├── StoreError               TEMPORARILY_UNAVAILABLE  the metadata backend failed
    ├── UnauthenticatedError     UNAUTHENTICATED          no valid token: unknown, revoked, expired
    ├── PermissionDeniedError    PERMISSION_DENIED        the user's role does not allow it
    └── ServiceError             SERVICE_ERROR            a web service does not answer
        ├── DeploymentFailedError DEPLOYMENT_FAILED       a deployment failed to start
        ├── ScoringError         SCORING_ERROR            a service answered with an error
        └── ModelError           MODEL_ERROR              the model raised while scoring

Each error carries its ``error_code`` and, where it applies, the ``field`` that was
wrong and the ``fix`` to apply. The message always reads well on its own: ``str(err)``
is what the CLI prints. How codes map to HTTP statuses is one table,
:mod:`mlyard.wire.errors`; this module knows nothing of HTTP.
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
        """The JSON body this error crosses a process boundary as."""
        body = {"error_code": self.error_code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInputError(MlyardError, ValueError):
    """An argument, file or payload is not acceptable; ``field`` says which."""

    error_code = "INVALID_PARAMETER_VALUE"


class RequestTooLargeError(InvalidInputError):
    """A request body is larger than the receiver accepts."""

    error_code = "REQUEST_TOO_LARGE"


class MethodNotAllowedError(InvalidInputError):
    """An HTTP method the route does not offer."""

    error_code = "METHOD_NOT_ALLOWED"


class ConflictError(MlyardError):
    """The request contradicts what is stored (a param logged twice with two values)."""

    error_code = "INVALID_STATE"


class LockedError(ConflictError):
    """Another process is changing the same object right now (e.g. deploying a service)."""

    error_code = "RESOURCE_LOCKED"


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


class UnauthenticatedError(MlyardError):
    """The request carries no token that admits a user: it is missing, unknown,
    revoked or expired, or its user is disabled."""

    error_code = "UNAUTHENTICATED"


class PermissionDeniedError(MlyardError):
    """The user is known, but their role in the workspace does not allow the action."""

    error_code = "PERMISSION_DENIED"


class ServiceError(MlyardError):
    """A web service could not be reached."""

    error_code = "SERVICE_ERROR"


class DeploymentFailedError(ServiceError):
    """The scoring process exited or failed its checks; the message holds its log tail."""

    error_code = "DEPLOYMENT_FAILED"


class ScoringError(ServiceError):
    """The scoring service rejected a request; ``status`` is its HTTP status."""

    error_code = "SCORING_ERROR"

    def __init__(
        self, message: str, *, status: int = 502, field: str | None = None, fix: str | None = None
    ):
        self.status = status
        super().__init__(message, field=field, fix=fix)


class ModelError(ServiceError):
    """The model itself raised while scoring a request."""

    error_code = "MODEL_ERROR"


def require(condition: bool, message: str, *, field: str, fix: str | None = None) -> None:
    """Raise :class:`InvalidInputError` unless ``condition`` holds."""
    if not condition:
        raise InvalidInputError(message, field=field, fix=fix)
