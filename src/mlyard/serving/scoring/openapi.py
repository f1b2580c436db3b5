"""What the service's OpenAPI document (``/swagger.json``) says about ``/score``.

FastAPI generates the document; this module adds what it cannot know: each model's
signature as row schemas (lists in column order, or records keyed by column), the
methods each model offers, and the error body.

Example:
    >>> sorted(components(served_models))  # doctest: +SKIP
    ['Error', 'ScoreRequest', 'ScoreResponse', 'diabetes_1_record', 'diabetes_1_row']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

if TYPE_CHECKING:
    from mlyard.serving.scoring.served import ServedModel

_TYPES = {
    "double": {"type": "number"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"},
}
_JSON = "application/json"


def components(models: Sequence[ServedModel]) -> dict[str, Any]:
    """The named schemas ``/score`` refers to: its request, rows per model, errors."""
    schemas: dict[str, Any] = {"Error": _error_schema(), "ScoreResponse": _response_schema()}
    row_refs = []
    for model in models:
        for kind, schema in _row_schemas(model).items():
            schema_name = f"{_schema_name(model.key)}_{kind}"
            schemas[schema_name] = schema
            row_refs.append({"$ref": f"#/components/schemas/{schema_name}"})
    schemas["ScoreRequest"] = _request_schema(models, row_refs)
    return schemas


def install(api: FastAPI, models: Sequence[ServedModel]) -> None:
    """Make ``api`` publish its generated document plus the signature schemas."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            doc = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            doc.setdefault("components", {}).setdefault("schemas", {}).update(components(models))
            api.openapi_schema = doc
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def _schema_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)


def _row_schemas(model: ServedModel) -> dict[str, Any]:
    sig = model.signature
    if sig is None:
        return {"row": {"type": "array", "description": f"a row of {model.key}'s features"}}
    names = ", ".join(sig.names)
    numeric = all(c.type in ("double", "long") for c in sig.inputs)
    row: dict[str, Any] = {
        "type": "array",
        "minItems": len(sig.inputs),
        "maxItems": len(sig.inputs),
        "description": f"{model.key}: values in column order ({names})",
    }
    if numeric:
        row["items"] = {"type": "number", "nullable": True}
    record = {
        "type": "object",
        "required": sig.names,
        "properties": {c.name: {**_TYPES.get(c.type, {}), "nullable": True} for c in sig.inputs},
        "description": f"{model.key}: values by column name",
    }
    return {"row": row, "record": record}


def _request_schema(models: Sequence[ServedModel], row_refs: list[Any]) -> dict[str, Any]:
    methods = sorted({m for model in models for m in model.methods})
    keys = [m.key for m in models] + sorted({m.name for m in models})
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "array", "minItems": 1, "items": {"oneOf": row_refs}},
            "method": {
                "type": "string",
                "enum": methods,
                "description": "default: predict_proba when the model has it, else predict",
            },
            "model": {
                "type": "string",
                "enum": keys,
                "description": f"name or name:version; default {models[0].key}",
            },
        },
    }


def score_operation(models: Sequence[ServedModel]) -> dict[str, Any]:
    """``openapi_extra`` for the ``/score`` route: its body and every response."""
    first = models[0]
    example: dict[str, Any] = {"method": first.default_method}
    sample = first.sample_rows(1)
    example["data"] = sample if sample is not None else [[]]
    error = {"content": {_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "summary": "Score rows with a model",
        "operationId": "score",
        "requestBody": {
            "required": True,
            "content": {
                _JSON: {"schema": {"$ref": "#/components/schemas/ScoreRequest"}, "example": example}
            },
        },
        "responses": {
            "200": {
                "description": "the method's output, one entry per row",
                "content": {_JSON: {"schema": {"$ref": "#/components/schemas/ScoreResponse"}}},
            },
            "400": {"description": "the body, data, method or model is not acceptable", **error},
            "404": {"description": "no such model in this service", **error},
            "413": {"description": "the body is too large", **error},
            "500": {"description": "the model raised an error", **error},
        },
    }


def _response_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": 'the called method\'s output, e.g. {"predict": [151.2, 83.9]}',
        "additionalProperties": {"type": "array", "items": {}},
    }


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error_code", "message"],
        "properties": {
            "error_code": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string", "description": "the part of the request at fault"},
        },
    }
