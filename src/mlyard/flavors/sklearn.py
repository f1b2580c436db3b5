"""scikit-learn models, saved with joblib (or adopted from a joblib/pickle file)."""

from __future__ import annotations

import pickle
import shutil
import sys
import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from mlyard.errors import InvalidInputError
from mlyard.flavors._base import Flavor

_METHODS = ("predict_proba", "predict", "predict_log_proba", "decision_function", "transform")
_SERIALIZATIONS = {".joblib": "joblib", ".pkl": "pickle", ".pickle": "pickle"}


class SklearnFlavor(Flavor):
    name = "sklearn"
    framework = "ScikitLearn"
    package = "sklearn"

    def handles(self, model: Any) -> bool:
        if "sklearn" not in sys.modules:
            return False
        from sklearn.base import BaseEstimator

        return isinstance(model, BaseEstimator)

    def framework_version(self) -> str | None:
        try:
            return metadata.version("scikit-learn")
        except metadata.PackageNotFoundError:
            return None

    def save(self, model: Any, directory: Path) -> dict[str, Any]:
        import joblib

        self._check(model, "model")
        joblib.dump(model, directory / "model.joblib")
        return {"file": "model.joblib", "serialization": "joblib"}

    def wrap(self, file: Path, directory: Path) -> dict[str, Any]:
        serialization = _SERIALIZATIONS.get(file.suffix.lower())
        if serialization is None:
            raise InvalidInputError(
                f"{file.name!r} is not a joblib or pickle file",
                field="model_path",
                fix="save the model with joblib.dump(model, 'model.joblib') or pass a folder",
            )
        target = directory / f"model{file.suffix.lower()}"
        shutil.copyfile(file, target)
        loader = {"file": target.name, "serialization": serialization}
        # Registration is the user's own file: load it once to fail early on a non-model.
        self._check(self.load(directory, loader), "model_path")
        return loader

    def load(self, directory: Path, loader: dict[str, Any]) -> Any:
        path = directory / loader["file"]
        import joblib

        try:
            # joblib reads both its own files and plain pickles (a ".pkl" is often
            # written by joblib.dump).
            return joblib.load(path)
        except (pickle.UnpicklingError, EOFError, ValueError, ImportError) as e:
            raise InvalidInputError(
                f"cannot load {path.name}: {e}",
                field="model_path",
                fix="the file must be written by joblib.dump or pickle.dump",
            ) from e

    def methods(self, model: Any) -> list[str]:
        return [m for m in _METHODS if hasattr(model, m)]

    def predict(self, model: Any, data: Any, method: str) -> Any:
        names = getattr(model, "feature_names_in_", None)
        if names is not None and list(data.columns) != list(names):
            if len(data.columns) != len(names):
                raise InvalidInputError(
                    f"the model expects {len(names)} columns, got {len(data.columns)}",
                    field="data",
                )
            # Rows sent as lists, or a dataset with generated column names: the model
            # was fitted on named columns, so map them by position.
            data = data.set_axis(list(names), axis=1)
        elif names is None:
            data = data.to_numpy()
        return getattr(model, method)(data)

    def predict_array(self, model: Any, array: Any, columns: Sequence[str], method: str) -> Any:
        # sklearn takes arrays by position, as predict() maps renamed columns, and skips
        # its DataFrame checks (~1.5 ms a call, five times a linear model's prediction).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return getattr(model, method)(array)

    def requirements(self) -> list[str]:
        reqs = []
        for dist in ("scikit-learn", "joblib", "numpy", "scipy"):
            try:
                reqs.append(f"{dist}=={metadata.version(dist)}")
            except metadata.PackageNotFoundError:
                pass
        return reqs

    def _check(self, model: Any, field: str) -> None:
        if not self.handles(model):
            raise InvalidInputError(
                f"expected a scikit-learn estimator, got {type(model).__module__}."
                f"{type(model).__name__}",
                field=field,
                fix="pass a fitted scikit-learn model, or choose the matching model_framework",
            )
        if not hasattr(model, "predict") and not hasattr(model, "transform"):
            raise InvalidInputError(
                f"{type(model).__name__} has neither predict nor transform", field=field
            )


FLAVOR = SklearnFlavor()
