"""The schema, as SQLAlchemy Core tables. Changes go through a new Alembic migration.

Metric series are stored column-wise: each flush of a run's buffer writes one
``metric_chunks`` row per key, holding packed arrays of steps, values and timestamps.
A 100,000-point history is a handful of rows, read with three ``np.frombuffer`` calls.
``latest_metrics`` keeps each run's current value per key, so searches and run
listings never touch the series.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

KEY = 250  # max length of a param, metric or tag key
NAME = 256
PATH = 1000

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME), nullable=False, unique=True),
    Column("artifact_location", String(PATH), nullable=False, default=""),
    Column("lifecycle_stage", String(32), nullable=False, default="active"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", ForeignKey("experiments.experiment_id"), nullable=False),
    Column("key", String(KEY), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("experiment_id", "key"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("experiment_id", ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("user_id", String(NAME), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False, default="active"),
    Column("error", Text),
    # JSON copies of the run's params, latest metrics and tags, refreshed by the same
    # transaction that writes those tables: listing runs reads them, never aggregates.
    Column("params_json", Text),
    Column("metrics_json", Text),
    Column("tags_json", Text),
    # The process that owns a RUNNING run, and when it last said it was alive.
    Column("host", String(NAME)),
    Column("pid", Integer),
    Column("heartbeat_at", BigInteger),
    Index(None, "experiment_id", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", ForeignKey("runs.run_id"), nullable=False),
    Column("key", String(KEY), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    # clustered by (run_id, key): a run's rows are read in one B-tree range
    sqlite_with_rowid=False,
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", ForeignKey("runs.run_id"), nullable=False),
    Column("key", String(KEY), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    # clustered by (run_id, key): a run's rows are read in one B-tree range
    sqlite_with_rowid=False,
)

metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", ForeignKey("runs.run_id"), nullable=False),
    Column("key", String(KEY), nullable=False),
    Column("count", Integer, nullable=False),
    # little-endian int64 / float64 / int64 arrays of `count` items each
    Column("steps", LargeBinary, nullable=False),
    Column("values", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
    Index(None, "run_id", "key"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", ForeignKey("runs.run_id"), nullable=False),
    Column("key", String(KEY), nullable=False),
    # NULL stands for NaN: SQLite cannot store NaN in a REAL column.
    Column("value", Double),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    # The run's experiment, copied (runs never change experiment) so that a search reads
    # one experiment's values of one key in order from the index below, whatever else
    # the workspace holds. No foreign key: runs.experiment_id is already checked.
    Column("experiment_id", Integer, nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    Index(None, "experiment_id", "key", "value"),
    # clustered by (run_id, key): a run's rows are read in one B-tree range
    sqlite_with_rowid=False,
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_id", ForeignKey("runs.run_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "path"),
)

datastores = Table(
    "datastores",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("url", String(PATH), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
)

datastore_files = Table(
    "datastore_files",
    metadata,
    Column("datastore", ForeignKey("datastores.name"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("datastore", "path"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("name", ForeignKey("datasets.name"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("profile", JSON),
    Column("description", Text),
    Column("tags", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(NAME)),
    PrimaryKeyConstraint("name", "version"),
    UniqueConstraint("name", "fingerprint"),
)

dataset_files = Table(
    "dataset_files",
    metadata,
    Column("name", String(NAME), nullable=False),
    Column("version", Integer, nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("name", "version", "path"),
    ForeignKeyConstraint(
        ["name", "version"], ["dataset_versions.name", "dataset_versions.version"]
    ),
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("description", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("name", ForeignKey("registered_models.name"), nullable=False),
    Column("key", String(KEY), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("name", "key"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", ForeignKey("registered_models.name"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("framework", String(64), nullable=False),
    Column("framework_version", String(64)),
    Column("flavor", String(64), nullable=False),
    Column("description", Text),
    Column("run_id", String(32)),
    Column("source", String(PATH)),
    Column("manifest", JSON, nullable=False),
    Column("resource_config", JSON),
    Column("sample_input", String(NAME + 16)),
    Column("sample_output", String(NAME + 16)),
    Column("status", String(32), nullable=False, default="READY"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("created_by", String(NAME)),
    PrimaryKeyConstraint("name", "version"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("name", String(NAME), nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", String(KEY), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("name", "version", "key"),
    ForeignKeyConstraint(["name", "version"], ["model_versions.name", "model_versions.version"]),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("name", ForeignKey("registered_models.name"), nullable=False),
    Column("alias", String(KEY), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("name", "alias"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("models", JSON, nullable=False),
    Column("state", String(32), nullable=False),
    Column("scoring_uri", String(PATH), nullable=False),
    # the machine whose deployer runs the service; pid, folder and logs are its own
    Column("host", String(NAME), nullable=False),
    Column("deployer", String(32), nullable=False),
    Column("config", JSON, nullable=False),
    Column("error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger),
)

# API tokens, known only by their keyed hash (see mlyard.auth): every request looks
# one up by that hash, through the unique index.
tokens = Table(
    "tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("user_name", ForeignKey("users.name"), nullable=False, index=True),
    Column("label", String(NAME), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("revoked_at", BigInteger),
    Column("last_used_at", BigInteger),
)

# Leases that serialise work on one object across processes and machines.
locks = Table(
    "locks",
    metadata,
    Column("key", String(PATH), primary_key=True),
    Column("owner", String(PATH), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

# Facts about the workspace itself, e.g. the artifact root of a database workspace.
workspace_meta = Table(
    "workspace_meta",
    metadata,
    Column("key", String(NAME), primary_key=True),
    Column("value", Text, nullable=False),
)
