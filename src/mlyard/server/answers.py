"""Errors as answers: every failure a route meets becomes one JSON body from the table.

Used by the app's exception handlers and by the lane (:mod:`mlyard.server.lane`), so a
request gets the same answer whichever of the two serves it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.responses import Response

from mlyard.errors import InvalidInputError, MlyardError
from mlyard.wire.errors import error_body

log = logging.getLogger("mlyard.server")
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def error_response(err: MlyardError, method: str, path: str) -> Response:
    """``err`` as its status and JSON body; a server-side error is logged too."""
    status, body = error_body(err)
    if status >= 500:
        log.error("%s %s: %s", method, path, err)
    return Response(orjson.dumps(body), status, media_type="application/json")


def crash_response(exc: Exception, method: str, path: str) -> Response:
    """A 500 for a failure no route expected, logged with its traceback."""
    log.error("%s %s failed", method, path, exc_info=exc)
    err = MlyardError(f"the server failed: {type(exc).__name__}: {exc}")
    status, body = error_body(err)
    return Response(orjson.dumps(body), status, media_type="application/json")


def invalid(errors: Sequence[Mapping[str, Any]]) -> InvalidInputError:
    """The first problem of a request that did not validate (pydantic's ``errors()``),
    naming its field."""
    first = errors[0] if errors else {}
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, InvalidInputError):  # a request body's own check (wire/requests.py)
        return cause
    if first.get("type") == "json_invalid":  # its loc is a character offset
        return InvalidInputError(
            f"the body is not valid JSON: {cause or first.get('msg')}",
            field="body",
            fix="send a JSON object; see /docs for the schema",
        )
    loc = [str(p) for p in first.get("loc", ())]
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    where = ".".join(loc) or "body"
    message = f"{where}: {first.get('msg', 'invalid value')}"
    return InvalidInputError(message, field=where, fix="see /docs for the schema")
