"""mlyard: versioned data, tracked experiments and one-call model services.

Example:
    >>> from mlyard import Workspace, Experiment
    >>> import tempfile
    >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
    >>> with Experiment(ws, "demo").start_run() as run:
    ...     run.log("mse", 0.5)
    >>> run.get_metrics()["mse"]
    0.5

Names are imported on first use, so ``import mlyard`` (and the CLI) starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlyard._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "AlreadyExistsError": "mlyard.errors",
    "Dataset": "mlyard.data",
    "Datastore": "mlyard.data",
    "DeploymentConfig": "mlyard.serving",
    "Experiment": "mlyard.tracking",
    "FileDataset": "mlyard.data",
    "IntegrityError": "mlyard.errors",
    "InvalidInputError": "mlyard.errors",
    "MlyardError": "mlyard.errors",
    "Model": "mlyard.registry",
    "NotFoundError": "mlyard.errors",
    "ResourceConfiguration": "mlyard.registry",
    "Run": "mlyard.tracking",
    "ScoringError": "mlyard.errors",
    "TabularDataset": "mlyard.data",
    "Webservice": "mlyard.serving",
    "Workspace": "mlyard.workspace",
}

__all__ = [
    "AlreadyExistsError",
    "Dataset",
    "Datastore",
    "DeploymentConfig",
    "Experiment",
    "FileDataset",
    "IntegrityError",
    "InvalidInputError",
    "MlyardError",
    "Model",
    "NotFoundError",
    "ResourceConfiguration",
    "Run",
    "ScoringError",
    "TabularDataset",
    "Webservice",
    "Workspace",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mlyard.data import Dataset, Datastore, FileDataset, TabularDataset
    from mlyard.errors import (
        AlreadyExistsError,
        IntegrityError,
        InvalidInputError,
        MlyardError,
        NotFoundError,
        ScoringError,
    )
    from mlyard.registry import Model, ResourceConfiguration
    from mlyard.serving import DeploymentConfig, Webservice
    from mlyard.tracking import Experiment, Run
    from mlyard.workspace import Workspace
