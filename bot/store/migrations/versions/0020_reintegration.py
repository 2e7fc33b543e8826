"""projects, reintegration plans and grants, check-in scores, anonymous statistics

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "fk_pre_registrations_project_id_projects"


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("funders", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("grant_cap_cents", sa.Integer(), nullable=False),
        sa.Column("member_cap_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
    )
    op.create_table(
        "case_statistics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=True),
        sa.Column("requested_month", sa.String(length=7), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("destination", sa.String(length=2), nullable=True),
        sa.Column("sex", sa.String(length=24), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("city", sa.String(length=60), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("plan_kind", sa.String(length=24), nullable=True),
        sa.Column("grant_cap_cents", sa.Integer(), nullable=True),
        sa.Column("refreshed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_case_statistics_pre_registration_id_pre_registrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_case_statistics_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["outreach_sources.id"],
            name=op.f("fk_case_statistics_source_id_outreach_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_statistics")),
        sa.UniqueConstraint(
            "pre_registration_id", name=op.f("uq_case_statistics_pre_registration_id")
        ),
    )
    with op.batch_alter_table("case_statistics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_statistics_requested_month_status", ["requested_month", "status"], unique=False
        )

    op.create_table(
        "reintegration_plans",
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_reintegration_plans_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pre_registration_id", name=op.f("pk_reintegration_plans")),
    )
    op.create_table(
        "grant_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("usd_rate", sa.String(length=24), nullable=False),
        sa.Column("amount_usd_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("override_note", sa.Text(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("proof", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["case_members.id"],
            name=op.f("fk_grant_items_member_id_case_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_grant_items_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_items")),
    )
    with op.batch_alter_table("grant_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grant_items_pre_registration_id"), ["pre_registration_id"], unique=False
        )

    op.create_table(
        "statistic_checkins",
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("checkin", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("economic", sa.Float(), nullable=True),
        sa.Column("social", sa.Float(), nullable=True),
        sa.Column("psychosocial", sa.Float(), nullable=True),
        sa.Column("composite", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["case_statistics.id"],
            name=op.f("fk_statistic_checkins_statistic_id_case_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statistic_id", "checkin", name=op.f("pk_statistic_checkins")),
    )
    op.create_table(
        "statistic_flags",
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=40), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["case_statistics.id"],
            name=op.f("fk_statistic_flags_statistic_id_case_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statistic_id", "flag", name=op.f("pk_statistic_flags")),
    )
    with op.batch_alter_table("statistic_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statistic_flags_flag"), ["flag"], unique=False)

    op.create_table(
        "statistic_grants",
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("planned_cents", sa.Integer(), nullable=False),
        sa.Column("approved_cents", sa.Integer(), nullable=False),
        sa.Column("delivered_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["case_statistics.id"],
            name=op.f("fk_statistic_grants_statistic_id_case_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statistic_id", "category", name=op.f("pk_statistic_grants")),
    )
    op.create_table(
        "statistic_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("sex", sa.String(length=24), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["case_statistics.id"],
            name=op.f("fk_statistic_people_statistic_id_case_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistic_people")),
    )
    with op.batch_alter_table("statistic_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statistic_people_statistic_id"), ["statistic_id"], unique=False
        )

    op.create_table(
        "statistic_steps",
        sa.Column("statistic_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statistic_id"],
            ["case_statistics.id"],
            name=op.f("fk_statistic_steps_statistic_id_case_statistics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statistic_id", "step", name=op.f("pk_statistic_steps")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score_economic", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("score_social", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("score_psychosocial", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("score_composite", sa.Float(), nullable=True))

    # Not a batch operation: `pre_registrations` is the largest table.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE pre_registrations ADD COLUMN project_id INTEGER CONSTRAINT {_KEY} "
            "REFERENCES projects (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("pre_registrations", sa.Column("project_id", sa.Integer()))
        op.create_foreign_key(
            op.f(_KEY), "pre_registrations", "projects", ["project_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    op.create_index(op.f("ix_pre_registrations_project_id"), "pre_registrations", ["project_id"])


def downgrade() -> None:
    with op.batch_alter_table("pre_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pre_registrations_project_id"))
        batch_op.drop_column("project_id")

    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_column("score_composite")
        batch_op.drop_column("score_psychosocial")
        batch_op.drop_column("score_social")
        batch_op.drop_column("score_economic")

    op.drop_table("statistic_steps")
    with op.batch_alter_table("statistic_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statistic_people_statistic_id"))

    op.drop_table("statistic_people")
    op.drop_table("statistic_grants")
    with op.batch_alter_table("statistic_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statistic_flags_flag"))

    op.drop_table("statistic_flags")
    op.drop_table("statistic_checkins")
    with op.batch_alter_table("grant_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_items_pre_registration_id"))

    op.drop_table("grant_items")
    op.drop_table("reintegration_plans")
    with op.batch_alter_table("case_statistics", schema=None) as batch_op:
        batch_op.drop_index("ix_case_statistics_requested_month_status")

    op.drop_table("case_statistics")
    op.drop_table("projects")
