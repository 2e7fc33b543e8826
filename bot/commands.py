"""The person's commands about their case and their data: /cancel, /status, /mydata,
/delete, /human and /stop, and the consent's "Read more"."""

from __future__ import annotations

from datetime import datetime

from bot import flags
from bot.engine import Asked, Kind
from bot.replies import (
    Cancelled,
    ConfirmCancel,
    ConfirmDelete,
    ConsentDetails,
    DataReport,
    Erased,
    FollowupsStopped,
    HumanRequested,
    HumanWithoutRequest,
    KeepGoing,
    NothingOpen,
    NothingStored,
    Reply,
    StatusReport,
    User,
)
from bot.service import Service, came_back, session_state
from bot.store import Unit, audit, cases, checkins, people, sessions

HUMAN_WISH = "person.asked_for_a_person"


class Commands(Service):
    """The commands a person sends besides answering the questions."""

    async def cancel(self, user: User, confirmed: bool | None = None) -> Reply:
        """/cancel asks first; confirmed, it keeps nothing of the open intake, or ends the
        open check-in (the others stay planned: /stop is for all of them)."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            if person is None or row is None:
                return Reply(language, [NothingOpen()])
            checkin = row.followup_id is not None
            if confirmed is None:
                return Reply(language, [ConfirmCancel(checkin)])
            if not confirmed:
                return Reply(language, [KeepGoing(), *self._current(row, now)])
            await sessions.end(unit, row)
            if row.followup_id is not None:
                await checkins.update_row(
                    unit, row.followup_id, now, status=checkins.CANCELLED, reason="person"
                )
                await audit.record(unit, "followup.cancelled", now, person_id=person.id)
                return Reply(language, [Cancelled(checkin=True)])
            await self._forget_if_empty(unit, person, now, "intake.cancelled")
            return Reply(language, [Cancelled()])

        return await self._scrubbed(await self._answer(user, work), Cancelled)

    async def status(self, user: User) -> Reply:
        async def work(unit: Unit, now: datetime) -> Reply:
            person = await people.find(unit, user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [StatusReport(())])
            person_cases = await cases.of_person(unit, person.id)
            report = tuple((r.reference, r.status) for r in person_cases)
            return Reply(person.language, [StatusReport(report)])

        return await self._answer(user, work)

    async def consent_details(self, user: User) -> Reply:
        """ "Read more": the consent's full notice, with its buttons while it waits for them."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            waiting = [
                item
                for item in self._current(row, now)
                if isinstance(item, Asked) and item.step.kind is Kind.CONSENT
            ]
            return Reply(language, [ConsentDetails(waiting[0] if waiting else None)])

        return await self._answer(user, work)

    async def my_data(self, user: User) -> Reply:
        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [NothingStored()])
            person_cases = await cases.of_person(unit, person.id)
            answers = person_cases[-1].answers if person_cases else {}
            if row is not None and row.followup_id is None:
                answers = session_state(row).answers
            report = DataReport(
                language=person.language,
                consented_at=person.consented_at,
                answers=answers,
                references=tuple(r.reference for r in person_cases),
            )
            return Reply(person.language, [report])

        return await self._answer(user, work)

    async def delete(self, user: User, confirmed: bool | None = None) -> Reply:
        """/delete asks first; confirmed, it erases the person and everything about them."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [NothingStored()])
            language = person.language
            if confirmed is None:
                return Reply(language, [ConfirmDelete()])
            if not confirmed:
                return Reply(language, [KeepGoing(), *self._current(row, now)])
            erased = len(await cases.of_person(unit, person.id))
            await people.erase(unit, person.id, now)  # withdraws what is still open
            await audit.record(unit, "person.erased", now, pre_registrations=erased)
            return Reply(language, [Erased()])

        return await self._scrubbed(await self._answer(user, work), Erased)

    async def _scrubbed(self, reply: Reply, erased: type[Cancelled] | type[Erased]) -> Reply:
        """After a committed erasure (the reply says `erased`), the disk forgets it too."""
        if any(isinstance(item, erased) for item in reply.items):
            await self.store.scrub()
        return reply

    async def human(self, user: User) -> Reply:
        """/human or "talk to a person": the case is flagged for a call back."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [HumanWithoutRequest()])
            person_cases = await cases.of_person(unit, person.id)
            if person_cases:
                latest = cases.current(person_cases)
                if await cases.add_flag(unit, latest.id, flags.WANTS_HUMAN):
                    await self.raised(unit, latest.id, [flags.WANTS_HUMAN], now)
                await audit.record(unit, "case.human_requested", now, pre_registration_id=latest.id)
            elif row is not None:  # flagged when the case is sent
                await audit.record(unit, HUMAN_WISH, now, person_id=person.id)
            else:
                return Reply(person.language, [HumanWithoutRequest()])
            return Reply(person.language, [HumanRequested(), *self._current(row, now)])

        return await self._answer(user, work)

    async def stop_followups(self, user: User) -> Reply:
        """/stop: no messages after return, for every case of the person."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [FollowupsStopped()])
            # Back first, if they were marked as having stopped the bot: what that brings
            # back is then stopped with the rest.
            await came_back(unit, user.telegram_id, now)
            for case in await cases.of_person(unit, person.id):
                await cases.withdraw_followup_consent(unit, case.id, now)
            cancelled = await checkins.cancel(unit, now, "stopped", person_id=person.id)
            if row is not None and row.followup_id is not None:  # stopped mid check-in
                await checkins.update_row(
                    unit, row.followup_id, now, status=checkins.CANCELLED, reason="stopped"
                )
                await sessions.end(unit, row)
                cancelled, row = cancelled + 1, None
            if row is not None and row.state.get("answers", {}).get("followup_consent"):
                state = session_state(row)
                state.answers["followup_consent"] = False
                await sessions.save(unit, row, state.fields(), now)
            await audit.record(
                unit, "followups.stopped", now, person_id=person.id, cancelled=cancelled
            )
            return Reply(person.language, [FollowupsStopped(), *self._current(row, now)])

        return await self._answer(user, work)

    async def stopped_bot(self, user: User) -> None:
        """The person blocked the bot (Telegram's my_chat_member): marked unreachable at
        once. Their check-ins and waiting messages pause; nothing is lost or cancelled."""

        async def work(unit: Unit, now: datetime) -> None:
            person_id = await people.blocked(unit, user.telegram_id, now)
            if person_id is not None:
                await audit.record(unit, "person.stopped_bot", now, person_id=person_id)

        await self._run(work)

    async def came_back(self, user: User) -> bool:
        """The person unblocked the bot: what paused goes on, and check-ins cancelled when a
        message was refused are planned again. Whether they had been marked unreachable."""

        return await self._run(lambda unit, now: came_back(unit, user.telegram_id, now))
