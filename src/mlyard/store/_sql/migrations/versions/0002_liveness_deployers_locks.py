"""run liveness, deployments split from their deployer, locks, workspace metadata

Runs record the process that owns them and its heartbeat. Deployments keep only what
every machine may see (scoring URI, the host whose deployer runs them); the pid and
folder move to the deployer's own files. Locks serialise deploys across processes.

Revision ID: 0002
Revises: 0001
"""

import os
import socket

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("host", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.BigInteger(), nullable=True))

    conn = op.get_bind()
    old = conn.execute(sa.text("SELECT name, host, port FROM deployments")).all()
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(
            sa.Column("scoring_uri", sa.String(length=1000), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("deployer", sa.String(length=32), nullable=False, server_default="local")
        )
        batch.drop_column("port")
        batch.drop_column("pid")
        batch.drop_column("directory")
    # Until now every service ran on the machine that deployed it, listening on `host`.
    machine = os.environ.get("MLYARD_MACHINE") or socket.gethostname()
    for name, listen, port in old:
        address = f"[{listen}]" if ":" in listen else listen
        conn.execute(
            sa.text("UPDATE deployments SET scoring_uri = :uri, host = :host WHERE name = :name"),
            {"uri": f"http://{address}:{port}/score", "host": machine, "name": name},
        )

    op.create_table(
        "locks",
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("owner", sa.String(length=1000), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_locks")),
    )
    op.create_table(
        "workspace_meta",
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_workspace_meta")),
    )


def downgrade() -> None:
    op.drop_table("workspace_meta")
    op.drop_table("locks")
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("port", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("directory", sa.String(length=1000), nullable=False, server_default="")
        )
        batch.drop_column("deployer")
        batch.drop_column("scoring_uri")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("pid")
        batch.drop_column("host")
