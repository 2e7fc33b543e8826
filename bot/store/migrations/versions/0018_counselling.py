"""counselling checklist, family members, refusal reasons and duplicates

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUPLICATE_KEY = "fk_pre_registrations_duplicate_of_pre_registrations"


def upgrade() -> None:
    op.create_table(
        "case_checklist",
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_case_checklist_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pre_registration_id", "item", name=op.f("pk_case_checklist")),
    )
    op.create_table(
        "case_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relationship", sa.String(length=32), nullable=True),
        sa.Column("date_of_birth", sa.String(length=10), nullable=True),
        sa.Column("travel_document", sa.String(length=32), nullable=True),
        sa.Column("fitness", sa.String(length=32), nullable=True),
        sa.Column("vulnerabilities", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_case_members_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_members")),
    )
    op.create_index(
        op.f("ix_case_members_pre_registration_id"), "case_members", ["pre_registration_id"]
    )
    # Not a batch operation: `pre_registrations` is the largest table.
    op.add_column("pre_registrations", sa.Column("refusal_reason", sa.String(length=32)))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE pre_registrations ADD COLUMN duplicate_of INTEGER CONSTRAINT "
            f"{_DUPLICATE_KEY} REFERENCES pre_registrations (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("pre_registrations", sa.Column("duplicate_of", sa.Integer()))
        op.create_foreign_key(
            op.f(_DUPLICATE_KEY), "pre_registrations", "pre_registrations",
            ["duplicate_of"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
    _members_of_sent_requests()


def _members_of_sent_requests() -> None:
    """The family members of the requests sent before, from their answers, as a request
    sent now gets them."""
    cases = sa.table("pre_registrations", sa.column("id", sa.Integer()),
                     sa.column("answers", sa.JSON()))  # fmt: skip
    members = sa.table(
        "case_members",
        *(sa.column(name) for name in ("pre_registration_id", "position", "name",
                                       "relationship", "date_of_birth")),
        sa.column("vulnerabilities", sa.JSON()),
        sa.column("updated_at", UTCDateTime(timezone=True)),
    )  # fmt: skip
    bind = op.get_bind()
    now = datetime.now(UTC)
    with_family = sa.cast(cases.c.answers, sa.Text()).like('%"family_members"%')
    found = bind.execute(sa.select(cases.c.id, cases.c.answers).where(with_family)).all()
    for case_id, answers in found:
        items = (answers or {}).get("family_members")
        rows = [
            {"pre_registration_id": case_id, "position": position,
             "name": str(item.get("name") or "")[:100],
             "relationship": item.get("relationship") or None,
             "date_of_birth": item.get("date_of_birth") or None,
             "vulnerabilities": [], "updated_at": now}
            for position, item in enumerate(items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]  # fmt: skip
        if rows:
            bind.execute(sa.insert(members), rows)


def downgrade() -> None:
    with op.batch_alter_table("pre_registrations") as batch_op:
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("refusal_reason")
    op.drop_index(op.f("ix_case_members_pre_registration_id"), table_name="case_members")
    op.drop_table("case_members")
    op.drop_table("case_checklist")
