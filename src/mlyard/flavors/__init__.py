"""Flavors, discovered by module, and the model directory they read and write.

Adding a framework is adding one module here that defines ``FLAVOR``.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.linear_model import LinearRegression
    >>> d = Path(tempfile.mkdtemp())
    >>> save_model(LinearRegression().fit([[0], [1]], [0, 1]), d).flavor
    'sklearn'
    >>> load_model(d).predict([[2]])
    array([2.])
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlyard.errors import InvalidInputError
from mlyard.flavors._base import Flavor
from mlyard.flavors.manifest import MANIFEST, Manifest, hash_files
from mlyard.flavors.signature import Signature


@cache
def all_flavors() -> dict[str, Flavor]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        flavor = getattr(module, "FLAVOR", None)
        if isinstance(flavor, Flavor):
            found[flavor.name] = flavor
    return found


def get_flavor(name_or_framework: str) -> Flavor:
    """The flavor called ``name_or_framework``, or serving that ``Model.Framework``."""
    key = name_or_framework.lower()
    for flavor in all_flavors().values():
        if key in (flavor.name.lower(), flavor.framework.lower()):
            return flavor
    known = ", ".join(sorted(f.framework for f in all_flavors().values()))
    raise InvalidInputError(
        f"no flavor for framework {name_or_framework!r} in this build of mlyard",
        field="model_framework",
        fix=f"supported frameworks: {known}",
    )


def flavor_for(model: Any) -> Flavor:
    for flavor in all_flavors().values():
        if flavor.handles(model):
            return flavor
    known = ", ".join(sorted(f.framework for f in all_flavors().values()))
    raise InvalidInputError(
        f"no flavor knows how to save a {type(model).__module__}.{type(model).__name__}",
        field="model",
        fix=f"supported frameworks: {known}",
    )


def _finish(flavor: Flavor, model: Any, loader: dict[str, Any], directory: Path) -> Manifest:
    manifest = Manifest(
        flavor=flavor.name,
        framework=flavor.framework,
        framework_version=flavor.framework_version(),
        loader=loader,
        methods=tuple(flavor.methods(model)),
        files=hash_files(directory),
        requirements=tuple(flavor.requirements()),
    )
    manifest.write(directory)
    return manifest


def save_model(model: Any, directory: Path, flavor: Flavor | None = None) -> Manifest:
    """Write ``model`` and its manifest into ``directory`` (created if missing)."""
    flavor = flavor or flavor_for(model)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    loader = flavor.save(model, directory)
    return _finish(flavor, model, loader, directory)


def wrap_model_file(file: Path, directory: Path, framework: str) -> Manifest:
    """Make a model directory from a joblib/pickle file of the named framework."""
    flavor = get_flavor(framework)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    loader = flavor.wrap(Path(file), directory)
    model = flavor.load(directory, loader)
    return _finish(flavor, model, loader, directory)


@dataclass
class LoadedModel:
    """A verified, loaded model and how to call it."""

    manifest: Manifest
    flavor: Flavor
    model: Any

    @property
    def signature(self) -> Signature | None:
        sig = self.manifest.signature
        return Signature.from_dict(sig) if sig else None

    @property
    def default_method(self) -> str:
        return self.manifest.methods[0] if self.manifest.methods else "predict"

    def predict(self, data: Any, method: str | None = None) -> Any:
        import pandas as pd

        method = method or ("predict" if "predict" in self.manifest.methods else None)
        method = method or self.default_method
        if method not in self.manifest.methods:
            raise InvalidInputError(
                f"the model has no method {method!r}",
                field="method",
                fix=f"use one of {', '.join(self.manifest.methods)}",
            )
        if not isinstance(data, pd.DataFrame):
            sig = self.signature
            data = sig.frame(data) if sig else pd.DataFrame(data)
        return self.flavor.predict(self.model, data, method)


def load_model(directory: Path, *, verify: bool = True) -> LoadedModel:
    """Load the model in ``directory``, checking every file's hash first."""
    directory = Path(directory)
    manifest = Manifest.read(directory)
    if verify:
        manifest.verify(directory)
    flavor = get_flavor(manifest.flavor)
    return LoadedModel(manifest, flavor, flavor.load(directory, manifest.loader))


__all__ = [
    "MANIFEST",
    "Flavor",
    "LoadedModel",
    "Manifest",
    "Signature",
    "all_flavors",
    "flavor_for",
    "get_flavor",
    "load_model",
    "save_model",
    "wrap_model_file",
]
