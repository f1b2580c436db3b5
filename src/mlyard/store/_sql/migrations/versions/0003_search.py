"""search: latest_metrics carries the run's experiment, indexed by (experiment, key, value)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("latest_metrics", sa.Column("experiment_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE latest_metrics SET experiment_id = (SELECT runs.experiment_id FROM runs "
        "WHERE runs.run_id = latest_metrics.run_id)"
    )
    # SQLite rebuilds the table for NOT NULL; say again that it has no rowid, which
    # reflection does not carry over.
    with op.batch_alter_table(
        "latest_metrics", schema=None, table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.alter_column("experiment_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_latest_metrics_key_value"))
        batch_op.create_index(
            batch_op.f("ix_latest_metrics_experiment_id_key_value"),
            ["experiment_id", "key", "value"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table(
        "latest_metrics", schema=None, table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_index(batch_op.f("ix_latest_metrics_experiment_id_key_value"))
        batch_op.create_index(batch_op.f("ix_latest_metrics_key_value"), ["key", "value"])
        batch_op.drop_column("experiment_id")
