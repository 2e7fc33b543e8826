"""a project's waiting list: when a case joined it

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE, not a batch operation: `pre_registrations` is the largest table.
    op.add_column("pre_registrations", sa.Column("waitlisted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pre_registrations") as batch_op:
        batch_op.drop_column("waitlisted_at")
