"""an index on when counted cases were last refreshed, for the reports' cached figures

Revision ID: 0025
Revises: 0020
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_statistics_refreshed_at", "case_statistics", ["refreshed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_case_statistics_refreshed_at", table_name="case_statistics")
