"""indexes that keep a batch erasure fast

Erasing a case sets to NULL the keys that name it or its family members: without an index
on those columns the database reads the whole table for every case erased (1,000 expired
cases took over a minute among 10,000).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_grant_items_member_id", "grant_items", ["member_id"])
    op.create_index("ix_pre_registrations_duplicate_of", "pre_registrations", ["duplicate_of"])


def downgrade() -> None:
    op.drop_index("ix_pre_registrations_duplicate_of", table_name="pre_registrations")
    op.drop_index("ix_grant_items_member_id", table_name="grant_items")
