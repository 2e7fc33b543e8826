"""indexes for the reports: when counted cases were last refreshed, and every column the
reports filter, group and add up by, so a year of cases is read from the index alone

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


REPORTED = [
    "requested_month",
    "status",
    "nationality",
    "city",
    "source_id",
    "project_id",
    "destination",
    "plan_kind",
    "people",
    "grant_cap_cents",
]


def upgrade() -> None:
    op.create_index(
        "ix_case_statistics_refreshed_at", "case_statistics", ["refreshed_at"], unique=False
    )
    op.create_index("ix_case_statistics_reported", "case_statistics", REPORTED, unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_statistics_reported", table_name="case_statistics")
    op.drop_index("ix_case_statistics_refreshed_at", table_name="case_statistics")
