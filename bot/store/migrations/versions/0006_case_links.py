"""case links

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "case_links",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        sa.Column("linked_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["pre_registrations.id"],
            name=op.f("fk_case_links_case_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["pre_registrations.id"],
            name=op.f("fk_case_links_other_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "other_id", name=op.f("pk_case_links")),
    )


def downgrade() -> None:

    op.drop_table("case_links")
