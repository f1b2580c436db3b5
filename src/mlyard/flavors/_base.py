"""What a flavor is: how one framework's models are saved, loaded and called.

A flavor is one module in ``mlyard/flavors/`` that defines ``FLAVOR = MyFlavor()``;
it is discovered by name, nothing else needs to change. A flavor module must not
import its framework at import time (mlyard imports every flavor module to find the
one for a model), only inside its methods.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar


class Flavor(ABC):
    """Saves, loads and calls one framework's models."""

    name: ClassVar[str]
    """Short id stored in manifests, e.g. ``"sklearn"``."""
    framework: ClassVar[str]
    """The ``Model.Framework`` value this flavor serves, e.g. ``"ScikitLearn"``."""
    package: ClassVar[str]
    """The import name of the framework, e.g. ``"sklearn"``."""
    extra: ClassVar[str | None] = None
    """The mlyard extra that installs the framework, if any."""
    fork_safe: ClassVar[bool] = True
    """Whether a process that has loaded the framework may fork a scoring server."""

    def available(self) -> bool:
        return self.package in sys.modules or _importable(self.package)

    @abstractmethod
    def handles(self, model: Any) -> bool:
        """Whether ``model`` is an object of this framework (without importing it)."""

    @abstractmethod
    def framework_version(self) -> str | None: ...

    @abstractmethod
    def save(self, model: Any, directory: Path) -> dict[str, Any]:
        """Write ``model`` into ``directory``; return the loader entry for the manifest."""

    @abstractmethod
    def wrap(self, file: Path, directory: Path) -> dict[str, Any]:
        """Adopt an already-serialised model file; return the loader entry.

        Raises :class:`~mlyard.errors.InvalidInputError` if the file does not hold a
        model of this framework.
        """

    @abstractmethod
    def load(self, directory: Path, loader: dict[str, Any]) -> Any: ...

    @abstractmethod
    def methods(self, model: Any) -> list[str]:
        """Prediction methods the model offers, the default one first."""

    @abstractmethod
    def predict(self, model: Any, data: Any, method: str) -> Any:
        """Call ``method`` on ``data`` (a pandas DataFrame); return an array-like."""

    def predict_array(self, model: Any, array: Any, columns: Sequence[str], method: str) -> Any:
        """Call ``method`` on a 2-D float array whose columns are ``columns``, in order.

        The scoring server uses this for all-numeric inputs. The default builds a
        DataFrame and calls :meth:`predict`; a flavor whose framework takes arrays may
        skip the DataFrame (the server first checks, on sample rows, that both agree).
        """
        import pandas as pd

        return self.predict(model, pd.DataFrame(array, columns=list(columns), copy=False), method)

    def requirements(self) -> list[str]:
        """Pinned packages needed to load the model."""
        return []


def _importable(package: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(package) is not None
