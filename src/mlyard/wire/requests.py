"""The bodies of requests to ``mlyard server``: one pydantic model per store call.

The server declares them (so they validate what arrives and document the API at
``/docs``) and the REST store builds them (so what it sends is what the server reads).
Records inside travel in their codec form (:mod:`mlyard.wire.codec`); NaN and
infinities as the JSON constants.

Example:
    >>> LockRequest(owner="host/1/2", ttl_ms=1000).model_dump_json()
    '{"owner":"host/1/2","ttl_ms":1000}'
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from mlyard.names import MAX_VERSION
from mlyard.store.records import (
    DeploymentState,
    FileRecord,
    MetricSeries,
    Role,
    RunStatus,
)
from mlyard.wire import codec

_INT64 = 2**63 - 1
_Name = Field(min_length=1, max_length=256)
_HEX = frozenset("0123456789abcdef")


def _file(f: FileRecord) -> FileRecord:
    if len(f.sha256) != 64 or not _HEX.issuperset(f.sha256):
        raise ValueError(f"file {f.path!r}: sha256 must be 64 lowercase hex digits")
    if not 0 <= f.size <= _INT64:
        raise ValueError(f"file {f.path!r}: size must be a whole number >= 0")
    if not f.path or "\x00" in f.path or len(f.path) > 4096:
        raise ValueError("a file path is 1 to 4096 characters without NUL")
    return f


File = Annotated[FileRecord, AfterValidator(_file)]


def _json(value: Any, depth: int = 0) -> Any:
    """``value`` if a database JSON column can hold it: ints within 64 bits, 64 deep."""
    if depth > 64:
        raise ValueError("nested more than 64 levels deep")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -_INT64 - 1 <= value <= _INT64:
        raise ValueError(f"{value} does not fit in 64 bits")
    if isinstance(value, dict):
        for item in value.values():
            _json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _json(item, depth + 1)
    return value


Json = Annotated[dict[str, Any], AfterValidator(_json)]  # free-form, stored as JSON


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants", frozen=True)

    def __init__(self, **data: Any):
        # Built by the REST client: a bad argument is the caller's InvalidInputError,
        # as from any backend. (The server validates arrivals apart, as 400s.)
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise codec.invalid(e, type(self)) from None


class ExperimentCreate(Body):
    name: str = _Name
    artifact_location: str = Field("", max_length=4096)


class RunCounts(Body):
    experiment_ids: list[str] = Field(max_length=100_000)


class RunCreate(Body):
    experiment_id: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=256)
    user_id: str = Field(max_length=256)
    tags: dict[str, str] = {}
    start_time: int | None = Field(None, ge=0, le=_INT64)
    host: str | None = Field(None, max_length=256)
    pid: int | None = Field(None, ge=0, le=2**31)


class Batch(Body):
    metrics: list[MetricSeries] = []
    params: dict[str, str] | None = None
    tags: dict[str, str] | None = None


class RunEnd(Batch):
    status: RunStatus
    end_time: int = Field(ge=0, le=_INT64)
    error: str | None = None


class Heartbeat(Body):
    run_ids: list[str] = Field(max_length=100_000)
    at: int = Field(ge=0, le=_INT64)


class RunLost(Body):
    end_time: int = Field(ge=0, le=_INT64)
    reason: str = Field(max_length=10_000)


class RunSearch(Body):
    experiment_ids: list[str] | None = None
    filter_string: str | None = Field(None, max_length=100_000)
    order_by: list[str] = Field([], max_length=100)
    max_results: int = 1000
    offset: int = 0


class Files(Body):
    files: list[File] = Field(max_length=1_000_000)


class DatastoreCreate(Body):
    name: str = _Name
    url: str = Field(min_length=1, max_length=4096)
    is_default: bool = False


class DatasetVersionCreate(Body):
    kind: str = Field(min_length=1, max_length=32)
    fingerprint: str = Field(min_length=1, max_length=128)
    spec: Json
    files: list[File]
    profile: Json | None = None
    description: str | None = None
    tags: dict[str, str] = {}
    created_by: str | None = Field(None, max_length=256)  # the caller, when authenticated


class ModelVersionCreate(Body):
    framework: str = Field(min_length=1, max_length=64)
    framework_version: str | None = None
    flavor: str = Field(min_length=1, max_length=64)
    manifest: Json
    description: str | None = None
    run_id: str | None = None
    source: str | None = None
    resource_config: Json | None = None
    sample_input: str | None = None
    sample_output: str | None = None
    tags: dict[str, str] | None = None
    created_by: str | None = Field(None, max_length=256)  # the caller, when authenticated


class ModelVersionQuery(Body):
    name: str | None = None
    tags: dict[str, str | None] | None = None


class AliasSet(Body):
    version: int = Field(ge=1, le=MAX_VERSION)


class Tags(Body):
    tags: dict[str, str]


class TagKeys(Body):
    keys: list[str]


class DeploymentStateSet(Body):
    state: DeploymentState
    error: str | None = None


class MetaSet(Body):
    value: str = Field(max_length=100_000)


class LockRequest(Body):
    owner: str = Field(min_length=1, max_length=512)
    ttl_ms: int = Field(ge=0, le=_INT64)


class ServiceCreate(Body):
    """Deploy model versions (``"name:version"``) as service ``name`` on the server."""

    name: str = _Name
    models: list[str] = Field(min_length=1, max_length=64)
    overwrite: bool = False
    deployment_config: Json | None = None


class Move(Body):
    src: str = Field(min_length=1, max_length=4096)
    dst: str = Field(min_length=1, max_length=4096)


class Collect(Body):
    dry_run: bool = False
    min_age: float = Field(3600.0, ge=0)


class UserCreate(Body):
    name: str = _Name
    role: Role = Role.VIEWER


class RoleSet(Body):
    role: Role


class TokenCreate(Body):
    """Issue a token for ``user``; the server mints and hashes it (its key never leaves)."""

    user: str = _Name
    label: str = Field("", max_length=256)
    expires_in: float | None = Field(None, gt=0)
