"""The model registry: versions, manifests, signatures, lineage, aliases."""

from mlyard.registry.model import Model
from mlyard.registry.resources import Framework, ResourceConfiguration

__all__ = ["Framework", "Model", "ResourceConfiguration"]
