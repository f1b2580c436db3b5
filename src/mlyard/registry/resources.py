"""Model frameworks and the resources a model needs to serve."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mlyard.errors import InvalidInputError


class Framework:
    """Values for ``Model.register(model_framework=...)``."""

    SCIKITLEARN = "ScikitLearn"
    XGBOOST = "XGBoost"
    LIGHTGBM = "LightGBM"
    KERAS = "Keras"
    PYTORCH = "PyTorch"
    ONNX = "Onnx"
    CUSTOM = "Custom"

    @classmethod
    def all(cls) -> list[str]:
        return [v for k, v in vars(cls).items() if k.isupper()]


@dataclass(frozen=True)
class ResourceConfiguration:
    """CPU, memory and GPU one replica of the model needs.

    Example:
        >>> ResourceConfiguration(cpu=1, memory_in_gb=0.5).to_dict()
        {'cpu': 1.0, 'memory_in_gb': 0.5, 'gpu': 0}
    """

    cpu: float = 1.0
    memory_in_gb: float = 0.5
    gpu: int = 0

    def __post_init__(self) -> None:
        for field, value, low in (("cpu", self.cpu, 0.0), ("memory_in_gb", self.memory_in_gb, 0.0)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= low:
                raise InvalidInputError(
                    f"{field} must be a positive number, got {value!r}",
                    field=f"resource_configuration.{field}",
                    fix="e.g. ResourceConfiguration(cpu=1, memory_in_gb=0.5)",
                )
        if isinstance(self.gpu, bool) or not isinstance(self.gpu, int) or self.gpu < 0:
            raise InvalidInputError(
                f"gpu must be a whole number >= 0, got {self.gpu!r}",
                field="resource_configuration.gpu",
            )
        object.__setattr__(self, "cpu", float(self.cpu))
        object.__setattr__(self, "memory_in_gb", float(self.memory_in_gb))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ResourceConfiguration | None:
        return cls(**data) if data else None
