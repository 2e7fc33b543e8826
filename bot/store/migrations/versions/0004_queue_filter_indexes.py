"""queue filter indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("pre_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pre_registrations_current_city"), ["current_city"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pre_registrations_nationality"), ["nationality"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("pre_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pre_registrations_nationality"))
        batch_op.drop_index(batch_op.f("ix_pre_registrations_current_city"))
