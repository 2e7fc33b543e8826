"""case assignment

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "fk_pre_registrations_assigned_to_accounts"


def upgrade() -> None:
    # Not a batch operation: `pre_registrations` is the largest table.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE pre_registrations ADD COLUMN assigned_to INTEGER CONSTRAINT {_KEY} "
            "REFERENCES accounts (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("pre_registrations", sa.Column("assigned_to", sa.Integer()))
        op.create_foreign_key(
            op.f(_KEY), "pre_registrations", "accounts", ["assigned_to"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    op.create_index(op.f("ix_pre_registrations_assigned_to"), "pre_registrations", ["assigned_to"])


def downgrade() -> None:
    with op.batch_alter_table("pre_registrations") as batch_op:
        batch_op.drop_index(op.f("ix_pre_registrations_assigned_to"))
        batch_op.drop_column("assigned_to")
