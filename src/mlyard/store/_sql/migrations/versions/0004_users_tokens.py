"""users and API tokens; dataset and model versions record who registered them

Tokens are stored as their keyed hash, looked up through a unique index on it. Existing
dataset and model versions keep ``created_by`` NULL: who registered them is unknown.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("disabled_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_users")),
    )
    op.create_table(
        "tokens",
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("user_name", sa.String(length=256), nullable=False),
        sa.Column("label", sa.String(length=256), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name=op.f("fk_tokens_user_name_users")
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_index(op.f("ix_tokens_user_name"), "tokens", ["user_name"], unique=False)
    # Plain ADD COLUMN on both dialects: a nullable column needs no table rebuild.
    op.add_column("dataset_versions", sa.Column("created_by", sa.String(length=256)))
    op.add_column("model_versions", sa.Column("created_by", sa.String(length=256)))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("created_by")
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_column("created_by")
    op.drop_index(op.f("ix_tokens_user_name"), table_name="tokens")
    op.drop_table("tokens")
    op.drop_table("users")
