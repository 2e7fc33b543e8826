"""Tables of reintegration: funded projects, a case's plan, and its grant's items.

Money is stored in whole cents (integers), so sums are exact on every database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class Project(Base):
    """A funded project: who pays, for how many people, how much each, and where to."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    funders: Mapped[list[str]] = mapped_column(JSON)  # names, in the order given
    countries: Mapped[list[str]] = mapped_column(JSON)  # ISO codes of the countries of return
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    capacity: Mapped[int] = mapped_column(Integer)  # people, family members included
    # The grant's cap per person, in USD cents; and, if set, per family member travelling.
    grant_cap_cents: Mapped[int] = mapped_column(Integer)
    member_cap_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")  # the caps' currency
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReintegrationPlan(Base):
    """The plan agreed with a returnee for their new start: one per case."""

    __tablename__ = "reintegration_plans"

    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    # business, family_business, training, job, housing, other
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    partner: Mapped[str] = mapped_column(String(200), default="")  # or reintegration officer
    agreed_on: Mapped[date | None]
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class GrantItem(Base):
    """One item of a case's grant in kind: planned, then approved, then delivered."""

    __tablename__ = "grant_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    # The family member it is for, when the project caps each member; None: the applicant.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_members.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(24))  # equipment, stock, tools, training, ...
    vendor: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost_cents: Mapped[int] = mapped_column(Integer)  # in `currency`
    currency: Mapped[str] = mapped_column(String(3))
    usd_rate: Mapped[str] = mapped_column(String(24))  # USD for one unit of `currency`, exact
    amount_usd_cents: Mapped[int] = mapped_column(Integer)  # quantity x unit cost x rate
    status: Mapped[str] = mapped_column(String(12))  # planned, approved, delivered
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(64))
    # A supervisor approved it over the cap: why.
    override_note: Mapped[str | None] = mapped_column(Text)
    delivered_on: Mapped[date | None]
    proof: Mapped[str | None] = mapped_column(String(200))  # a receipt's or photo's reference
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
