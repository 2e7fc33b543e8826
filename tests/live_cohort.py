"""A small cohort of live cases, each through its statuses, for the reports' tests."""

from __future__ import annotations

from sqlalchemy import insert

from bot.app import Runtime
from bot.store import cases, people
from bot.store.models import Base
from tests.helpers import Clock, add_case

# (telegram id, nationality, sex, born, family members, the statuses it goes through)
COHORT = [
    (9101, "SN", "female", "1990-01-01", 0, ("in_review", "rejected", "closed")),
    (9102, "SN", "male", "1985-05-05", 2, ("in_review", "rejected", "closed")),
    (9103, "SN", "female", "2001-02-03", 0, ("in_review", "rejected")),
    (9104, "CM", "male", "1970-07-07", 1, ("withdrawn", "closed")),
    (9105, "CM", "female", "1995-03-03", 0, ("withdrawn",)),
    (9106, "CM", "male", "1999-09-09", 0, ("in_review",)),
    (9107, "ML", "male", "1980-08-08", 3, ("in_review",)),
    (9108, "SN", "female", "1992-12-12", 0, ()),
    (9109, "SN", "male", "1960-06-06", 0, ()),
    (9110, "CM", "female", "2008-04-04", 0, ("in_review",)),  # a minor
    (9111, "SN", "male", "1988-01-01", 0, ("in_review", "rejected", "closed")),
    (9112, "SN", "female", "1991-11-11", 1, ("withdrawn", "closed")),
]


async def seed(bot: Runtime, clock: Clock) -> dict[int, int]:
    """The cohort as live cases; their people's ids by Telegram id."""
    persons: dict[int, int] = {}
    for telegram_id, nationality, sex, born, members, statuses in COHORT:
        reference = await add_case(
            bot, telegram_id, nationality=nationality, sex=sex, date_of_birth=born,
            flags=["minor"] if born.startswith("2008") else [],
        )  # fmt: skip
        async with bot.store.unit() as unit:
            case = await cases.by_reference(unit, reference)
            person = await people.find(unit, telegram_id)
            assert case is not None and person is not None
            persons[telegram_id] = person.id
            for position in range(members):
                await unit.connection.execute(
                    insert(Base.metadata.tables["case_members"]).values(
                        pre_registration_id=case.id, position=position, name=f"Member {position}",
                        date_of_birth="2015", vulnerabilities=[], updated_at=clock(),
                    )
                )  # fmt: skip
            unit.touch(case.id)
            for target in statuses:
                clock.advance(days=3)
                found = await cases.by_id(unit, case.id)
                assert found is not None
                await cases.change_status(unit, found, target, "chief", "", None, clock())
    return persons
