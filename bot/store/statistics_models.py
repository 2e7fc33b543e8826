"""The anonymous statistics tables: what the reports count, kept after people are erased.

One `case_statistics` row per counted case, refreshed whenever the case changes. Its link
to the case (`pre_registration_id`) is cut when the case is erased; the row stays, so the
office's figures do not change. Nothing here names or identifies a person: no name,
phone, exact date of birth, free text, or exact date (months, and whole days between a
case's steps, only).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class CaseStatistic(Base):
    """One case's reportable facts."""

    __tablename__ = "case_statistics"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The live case; None once it was erased.
    pre_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="SET NULL"), unique=True
    )
    requested_month: Mapped[str] = mapped_column(String(7))  # "2026-11", in UTC
    nationality: Mapped[str | None] = mapped_column(String(2))
    destination: Mapped[str | None] = mapped_column(String(2))  # country of return
    sex: Mapped[str | None] = mapped_column(String(24))  # the intake's option code
    age_band: Mapped[str | None] = mapped_column(String(8))  # at the request; see statistics
    city: Mapped[str | None] = mapped_column(String(60))  # a listed city's code, or "other"
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("outreach_sources.id", ondelete="SET NULL")
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    people: Mapped[int] = mapped_column(Integer)  # the applicant and family members
    plan_kind: Mapped[str | None] = mapped_column(String(24))
    grant_cap_cents: Mapped[int | None] = mapped_column(Integer)  # once a grant is prepared
    refreshed_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_case_statistics_requested_month_status", "requested_month", "status"),
        # The latest refresh tells the reports whether their cached figures still hold.
        Index("ix_case_statistics_refreshed_at", "refreshed_at"),
        # Every column the reports filter, group and add up by: a year is read from it alone.
        Index(
            "ix_case_statistics_reported",
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
        ),
    )


class StatisticPerson(Base):
    """One person of a counted case: the applicant or a family member."""

    __tablename__ = "statistic_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    statistic_id: Mapped[int] = mapped_column(
        ForeignKey("case_statistics.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(12))  # applicant, member
    sex: Mapped[str | None] = mapped_column(String(24))
    age_band: Mapped[str | None] = mapped_column(String(8))


class StatisticStep(Base):
    """A step a counted case reached (requested, accepted, departed, returned, ...)."""

    __tablename__ = "statistic_steps"

    statistic_id: Mapped[int] = mapped_column(
        ForeignKey("case_statistics.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(16), primary_key=True)  # "requested" or a status
    month: Mapped[str] = mapped_column(String(7))
    day: Mapped[int] = mapped_column(Integer)  # whole days after the request


class StatisticFlag(Base):
    """A flag a counted case carries, and whether a caseworker acknowledged it."""

    __tablename__ = "statistic_flags"

    statistic_id: Mapped[int] = mapped_column(
        ForeignKey("case_statistics.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)


class StatisticCheckin(Base):
    """A check-in of a counted case: its outcome, and its scores when answered."""

    __tablename__ = "statistic_checkins"

    statistic_id: Mapped[int] = mapped_column(
        ForeignKey("case_statistics.id", ondelete="CASCADE"), primary_key=True
    )
    checkin: Mapped[str] = mapped_column(String(32), primary_key=True)  # day_7, month_3, ...
    status: Mapped[str] = mapped_column(String(16))  # as in followups.status
    day: Mapped[int | None] = mapped_column(Integer)  # answered: whole days after the request
    economic: Mapped[float | None] = mapped_column(Float)  # 0 to 1
    social: Mapped[float | None] = mapped_column(Float)
    psychosocial: Mapped[float | None] = mapped_column(Float)
    composite: Mapped[float | None] = mapped_column(Float)


class StatisticGrant(Base):
    """A counted case's grant in one category, in USD cents. Cumulative: an approved item
    counts as planned too, a delivered one as approved and planned."""

    __tablename__ = "statistic_grants"

    statistic_id: Mapped[int] = mapped_column(
        ForeignKey("case_statistics.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    planned_cents: Mapped[int] = mapped_column(Integer, default=0)
    approved_cents: Mapped[int] = mapped_column(Integer, default=0)
    delivered_cents: Mapped[int] = mapped_column(Integer, default=0)
