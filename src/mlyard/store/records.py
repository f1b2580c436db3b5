"""The records that cross the store boundary: frozen, plain, backend-agnostic.

Times are integer milliseconds since the epoch (as MLflow stores them). Mappings inside
a record are plain dicts by convention and must not be mutated by callers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


def now_ms() -> int:
    return int(time.time() * 1000)


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def finished(self) -> bool:
        return self is not RunStatus.RUNNING


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    created_at: int
    updated_at: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True, slots=True, eq=False)
class MetricSeries:
    """Points of one metric, held column-wise: 100,000 points are three arrays.

    It is both what runs log in a batch and what a history read returns (sorted by
    step, then timestamp). ``steps`` and ``timestamps`` are int64, ``values`` float64.

    Example:
        >>> s = MetricSeries.of("loss", [0.9, 0.5], steps=[0, 1], timestamps=[1, 2])
        >>> [p.value for p in s]
        [0.9, 0.5]
    """

    key: str
    steps: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray

    @classmethod
    def of(cls, key: str, values, steps=None, timestamps=None) -> MetricSeries:
        vals = np.asarray(values, dtype=np.float64).reshape(-1)
        n = len(vals)
        st = np.arange(n, dtype=np.int64) if steps is None else np.asarray(steps, np.int64)
        ts = (
            np.full(n, now_ms(), dtype=np.int64)
            if timestamps is None
            else np.asarray(timestamps, np.int64)
        )
        if not (len(st) == len(ts) == n):
            raise ValueError(f"metric {key!r}: steps, values and timestamps differ in length")
        return cls(key, st.reshape(-1), vals, ts.reshape(-1))

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[MetricPoint]:
        for s, v, t in zip(
            self.steps.tolist(), self.values.tolist(), self.timestamps.tolist(), strict=True
        ):
            yield MetricPoint(self.key, v, s, t)

    def last(self) -> MetricPoint:
        """The point with the highest (step, timestamp): the metric's current value."""
        i = int(np.lexsort((self.timestamps, self.steps))[-1])
        return MetricPoint(
            self.key, float(self.values[i]), int(self.steps[i]), int(self.timestamps[i])
        )

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(
            {"step": self.steps, "value": self.values, "timestamp": self.timestamps}
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    experiment_id: str
    name: str
    status: RunStatus
    start_time: int
    end_time: int | None
    user_id: str
    lifecycle_stage: str = "active"
    error: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file known by path, with the sha256 and size of its bytes."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class DatastoreRecord:
    name: str
    url: str
    is_default: bool
    created_at: int


@dataclass(frozen=True, slots=True)
class DatasetVersionRecord:
    name: str
    version: int
    kind: str  # "tabular" | "file"
    fingerprint: str
    spec: dict[str, Any]
    files: tuple[FileRecord, ...]
    profile: dict[str, Any] | None
    description: str | None
    tags: dict[str, str]
    created_at: int


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    name: str
    version: int
    framework: str
    framework_version: str | None
    flavor: str
    description: str | None
    run_id: str | None
    source: str | None
    manifest: dict[str, Any]
    resource_config: dict[str, Any] | None
    sample_input: str | None  # "dataset-name:version"
    sample_output: str | None
    tags: dict[str, str]
    aliases: tuple[str, ...]
    created_at: int
    status: str = "READY"


@dataclass(frozen=True, slots=True)
class RegisteredModelRecord:
    name: str
    description: str | None
    tags: dict[str, str]
    created_at: int
    updated_at: int
    latest_version: int | None
    aliases: dict[str, int]


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    name: str
    models: tuple[str, ...]  # "model-name:version"
    state: str
    host: str
    port: int
    pid: int | None
    config: dict[str, Any]
    directory: str
    created_at: int
    updated_at: int
    error: str | None = None

    @property
    def scoring_uri(self) -> str:
        return f"http://{self.host}:{self.port}/score"
