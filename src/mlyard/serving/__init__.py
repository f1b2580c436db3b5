"""Model serving: deploy registered model versions as local web services.

Each service is its own process (see :mod:`mlyard.serving.app`) that outlives the
Python process that deployed it, until ``service.delete()``.

Example:
    >>> from mlyard.serving import deploy
    >>> service = deploy(ws, "diabetes-service", [model], overwrite=True)  # doctest: +SKIP
    >>> service.wait_for_deployment(show_output=True)  # doctest: +SKIP
    >>> service.run({"data": X[0:2].values.tolist(), "method": "predict"})  # doctest: +SKIP
    {'predict': [206.1, 68.1]}

Names are imported on first use: the scoring process (``python -m mlyard.serving``)
needs none of the SDK side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlyard._lazy import lazy_exports

_EXPORTS = {
    "DeploymentConfig": "mlyard.serving.config",
    "Webservice": "mlyard.serving.service",
    "deploy": "mlyard.serving.deploy",
    "services_up": "mlyard.serving.deploy",
}

__all__ = ["DeploymentConfig", "Webservice", "deploy", "services_up"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mlyard.serving.config import DeploymentConfig
    from mlyard.serving.deploy import deploy, services_up
    from mlyard.serving.service import Webservice
