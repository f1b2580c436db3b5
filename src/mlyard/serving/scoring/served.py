"""A loaded model as the scoring server calls it: methods, input checks, the fast path.

Rows are checked against the model's signature. When every input column is a
double, rows sent as lists go straight into a float array and through the flavor's
``predict_array`` — but only for methods where that was shown, at load time, to give
exactly what the DataFrame path gives on sample rows.

Example:
    >>> served = ServedModel.load(ModelSpec("m", 1, "models/m/1"), folder)  # doctest: +SKIP
    >>> served.predict([[0.1] * 10], served.method_for(None))  # doctest: +SKIP
    array([151.8])
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from mlyard.errors import InvalidInputError
from mlyard.flavors import LoadedModel, load_model
from mlyard.serving.scoring.payload import numeric_rows, sample_rows
from mlyard.serving.spec import ModelSpec

log = logging.getLogger("mlyard.serving")


class ServedModel:
    """One model of a service, verified and loaded."""

    def __init__(self, spec: ModelSpec, loaded: LoadedModel):
        self.name = spec.name
        self.version = spec.version
        self.key = spec.key
        self.loaded = loaded
        self.methods: tuple[str, ...] = tuple(loaded.manifest.methods) or ("predict",)
        self.signature = loaded.signature
        self.columns: list[str] = self.signature.names if self.signature else []
        self._array_methods: frozenset[str] = frozenset()

    @classmethod
    def load(cls, spec: ModelSpec, folder: Path) -> ServedModel:
        """Verify every file's sha256, load the model, and choose its input path."""
        served = cls(spec, load_model(Path(folder) / spec.path, verify=True))
        served._array_methods = frozenset(served._methods_taking_arrays())
        return served

    @property
    def default_method(self) -> str:
        """``predict_proba`` when the model has it, else ``predict`` (as Azure does)."""
        for method in ("predict_proba", "predict"):
            if method in self.methods:
                return method
        return self.methods[0]

    def method_for(self, requested: str | None) -> str:
        if requested is None:
            return self.default_method
        if requested not in self.methods:
            raise InvalidInputError(
                f"model {self.key} has no method {requested!r}",
                field="method",
                fix=f"use one of {', '.join(self.methods)}",
            )
        return requested

    def predict(self, rows: list[Any], method: str) -> Any:
        """Call ``method`` on ``rows`` (lists in column order, or records)."""
        flavor, model = self.loaded.flavor, self.loaded.model
        if method in self._array_methods:
            array = numeric_rows(rows, len(self.columns))
            if array is not None:
                return flavor.predict_array(model, array, self.columns, method)
        return flavor.predict(model, self.frame(rows), method)

    def frame(self, rows: list[Any]) -> Any:
        """A DataFrame of ``rows`` checked against the signature."""
        try:
            if self.signature is None:
                import pandas as pd

                return pd.DataFrame(rows)
            return self.signature.frame(rows)
        except InvalidInputError:
            raise
        except (ValueError, TypeError) as e:
            raise InvalidInputError(
                f"'data' holds values model {self.key} cannot take: {e}",
                field="data",
                fix=f"send rows of {len(self.columns) or 'the model'}'s columns as plain values",
            ) from None

    def sample_rows(self, n: int = 2) -> list[list[Any]] | None:
        """``n`` placeholder rows of the signature's shape, or None without a signature."""
        return sample_rows(self.signature, n)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "flavor": self.loaded.manifest.flavor,
            "methods": list(self.methods),
            "default_method": self.default_method,
            "inputs": self.signature.to_dict()["inputs"] if self.signature else None,
        }

    def _methods_taking_arrays(self) -> list[str]:
        sig = self.signature
        if sig is None or not all(c.type == "double" for c in sig.inputs):
            return []
        n = len(self.columns)
        array = np.array([[0.0] * n, [1.0] * n, [float(i) for i in range(n)]])
        frame = sig.frame(array.tolist())
        flavor, model = self.loaded.flavor, self.loaded.model
        agreed = []
        for method in self.methods:
            try:
                fast = flavor.predict_array(model, array, self.columns, method)
                slow = flavor.predict(model, frame, method)
            except Exception as e:  # the sample rows may not suit the model: no fast path
                log.info("%s.%s takes DataFrames only (%s)", self.key, method, e)
                continue
            if _same(fast, slow):
                agreed.append(method)
        log.info("%s: array fast path for %s", self.key, agreed or "no method")
        return agreed


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        # Not bit-equal: BLAS may sum in another order for another memory layout.
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
    return bool(np.array_equal(a, b))
