"""The records that cross the store boundary: frozen, plain, backend-agnostic.

Times are integer milliseconds since the epoch (as MLflow stores them). Mappings inside
a record are plain dicts by convention and must not be mutated by callers. Every record
crosses a process boundary through one codec, :mod:`mlyard.wire.codec`;
``__pydantic_config__`` below only tells it how to write NaN and infinities.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

# How records write NaN and infinities in JSON (as the constants NaN and Infinity).
_WIRE: Any = {"ser_json_inf_nan": "constants"}


def now_ms() -> int:
    return int(time.time() * 1000)


class RunStatus(StrEnum):
    """Where a run is in its life. ``LOST``: its process died without ending it."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    LOST = "LOST"

    @property
    def finished(self) -> bool:
        return self is not RunStatus.RUNNING


class DeploymentState(StrEnum):
    """The state of a web service, as the deployer that runs it last saw it."""

    TRANSITIONING = "Transitioning"
    HEALTHY = "Healthy"
    UNHEALTHY = "Unhealthy"
    FAILED = "Failed"


class Role(StrEnum):
    """What a user may do in a workspace; each role includes the ones before it.

    ``viewer`` reads; ``editor`` also creates runs, datasets and models; ``admin`` also
    manages users, deployments and deletions. Compare roles with :meth:`allows`, never
    with ``<`` (that compares the names as text).

    Example:
        >>> Role.ADMIN.allows(Role.EDITOR), Role.VIEWER.allows("editor")
        (True, False)
    """

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def allows(self, needed: Role | str) -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= Role(needed).rank


_ROLE_RANK = {role: rank for rank, role in enumerate(Role)}


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    __pydantic_config__ = _WIRE

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    created_at: int
    updated_at: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    __pydantic_config__ = _WIRE

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

    __pydantic_config__ = _WIRE

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

    # -- the wire form: exact arrays as base64 of their little-endian bytes ---------
    def to_wire(self) -> dict[str, str]:
        return {
            "key": self.key,
            "steps": _b64(self.steps, "<i8"),
            "values": _b64(self.values, "<f8"),
            "timestamps": _b64(self.timestamps, "<i8"),
        }

    @classmethod
    def from_wire(cls, data: Any) -> MetricSeries:
        if isinstance(data, MetricSeries):
            return data
        if not isinstance(data, dict) or not isinstance(data.get("key"), str):
            raise ValueError("a metric series is {key, steps, values, timestamps}")
        steps = _unb64(data.get("steps"), "<i8")
        values = _unb64(data.get("values"), "<f8")
        stamps = _unb64(data.get("timestamps"), "<i8")
        if not (len(steps) == len(values) == len(stamps)):
            raise ValueError(f"metric {data['key']!r}: columns differ in length")
        return cls(data["key"], steps, values, stamps)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.from_wire,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda s: s.to_wire()),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        column = {"type": "string", "format": "byte", "description": "base64, little-endian"}
        return {
            "type": "object",
            "properties": {
                "key": {"type": "string"},
                "steps": {**column, "title": "int64 steps"},
                "values": {**column, "title": "float64 values"},
                "timestamps": {**column, "title": "int64 ms since the epoch"},
            },
            "required": ["key", "steps", "values", "timestamps"],
        }


@dataclass(frozen=True, slots=True)
class RunRecord:
    __pydantic_config__ = _WIRE

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
    # Who runs it, for telling a live run from a dead one: the machine and process
    # that started it, and when that process last said it was alive.
    host: str | None = None
    pid: int | None = None
    heartbeat_at: int | None = None


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file known by path, with the sha256 and size of its bytes."""

    __pydantic_config__ = _WIRE

    path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class DatastoreRecord:
    __pydantic_config__ = _WIRE

    name: str
    url: str
    is_default: bool
    created_at: int


@dataclass(frozen=True, slots=True)
class BlobReference:
    """A record's pointer to a blob: its sha256, its size, and who points at it."""

    sha256: str
    size: int
    owner: str  # e.g. "run 3f2a… file 'model/model.joblib'"


@dataclass(frozen=True, slots=True)
class DatasetVersionRecord:
    __pydantic_config__ = _WIRE

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
    created_by: str | None = None  # the user who registered it, when known


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    __pydantic_config__ = _WIRE

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
    created_by: str | None = None  # the user who registered it, when known


@dataclass(frozen=True, slots=True)
class RegisteredModelRecord:
    __pydantic_config__ = _WIRE

    name: str
    description: str | None
    tags: dict[str, str]
    created_at: int
    updated_at: int
    latest_version: int | None
    aliases: dict[str, int]


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """What every machine may know of a web service.

    The process, its folder and its logs belong to the deployer on ``host`` (see
    :mod:`mlyard.serving.deployer`); ``state`` is what that deployer last saw.
    """

    __pydantic_config__ = _WIRE

    name: str
    models: tuple[str, ...]  # "model-name:version"; the first is the default
    state: DeploymentState
    scoring_uri: str
    host: str  # the machine whose deployer runs the service
    config: dict[str, Any]
    created_at: int
    updated_at: int
    deployer: str = "local"
    error: str | None = None

    @property
    def port(self) -> int:
        return int(self.scoring_uri.rsplit(":", 1)[1].split("/", 1)[0])


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user of the workspace and its role there; ``disabled_at`` is set once disabled."""

    __pydantic_config__ = _WIRE

    name: str
    role: Role
    created_at: int
    disabled_at: int | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token, as stored: never the token itself, only who it belongs to.

    ``prefix`` is the token's first characters, shown so a user can tell which of their
    tokens one is. Times are ms since the epoch; ``expires_at`` None never expires.
    """

    __pydantic_config__ = _WIRE

    token_id: str
    user: str
    label: str
    prefix: str
    created_at: int
    expires_at: int | None = None
    revoked_at: int | None = None
    last_used_at: int | None = None

    def expired(self, at: int) -> bool:
        return self.expires_at is not None and self.expires_at <= at

    def state(self, at: int | None = None) -> str:
        """``revoked``, ``expired`` or ``active``, at ``at`` (default: now)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expired(now_ms() if at is None else at) else "active"


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode()


def _unb64(text: Any, dtype: str) -> np.ndarray:
    if not isinstance(text, str):
        raise ValueError("metric columns (steps, values, timestamps) are base64 text")
    return np.frombuffer(base64.b64decode(text, validate=True), dtype=dtype).astype(
        dtype[1:], copy=True
    )
