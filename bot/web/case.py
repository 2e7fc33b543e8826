"""The case page and what a caseworker does there: status, return date, notes, messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import workflow
from bot.answers import (
    CHECKIN_STATUS_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    format_answer,
    status_label,
)
from bot.engine import Flow, Kind
from bot.engine.checkins import Followups
from bot.engine.flow import N_
from bot.followups.service import schedule_case
from bot.followups.zones import valid_zone, zone_for, zones_of
from bot.i18n import Translator
from bot.store import cases
from bot.store import followups as followup_rows
from bot.store.accounts import AccountRecord
from bot.web.pages import Pages, parse_date

Notify = Callable[[int, str], Awaitable[bool]]  # (telegram id, text) -> delivered?
AskAgain = Callable[[int, list[str]], Awaitable[bool]]  # (case id, step ids) -> asked?


class CaseView:
    """One case: its answers, history and check-ins, and the caseworker's actions on it."""

    def __init__(
        self,
        pages: Pages,
        flow: Flow,
        notify: Notify,
        ask_again: AskAgain,
        office: str,
        notified: frozenset[str],
        followups: Followups | None,
    ) -> None:
        self.pages = pages
        self.store = pages.store
        self.catalogs = pages.catalogs
        self.clock = pages.clock
        self.flow = flow
        self.notify = notify
        self.ask_again = ask_again
        self.office = office
        self.notified = notified
        self.followups = followups

    async def case(self, request: Request, error: str = "", status_code: int = 200) -> Response:
        account = await self.pages.signed_in(request)
        reference = request.path_params["reference"]
        now = self.clock()
        tr = self.pages.translator(request, account)
        async with self.store.unit() as unit:
            found = await cases.by_reference(unit, reference)
            if found is None:
                raise HTTPException(404, N_("No such case."))
            await unit.audit(
                "case.viewed", now, actor=account.username, pre_registration_id=found.id
            )
            trail = await cases.audit_trail(unit, found.id)
            notes = await cases.notes(unit, found.id)
            messages = await cases.messages(unit, found.id)
            versions = [
                (v.replaced_at, list(self._changes(v.answers, found.answers, tr)))
                for v in await cases.answer_versions(unit, found.id)
            ]
            twins = await cases.twins(unit, found)
            checkins = await followup_rows.for_case(unit, found.id)
            facts = await followup_rows.planning_facts(unit, found.id)
        zone = zone_for(facts.country if facts else None, facts.time_zone if facts else None)
        return self.pages.render(
            request,
            "case.html",
            account,
            status_code,
            case=found,
            answers=list(self._answers(found.answers, tr)),
            family=list(self._family(found.answers, tr)),
            timeline=sorted(found.answered_at.items(), key=lambda item: item[1]),
            labels=self._labels(tr),
            trail=trail,
            notes=notes,
            messages=messages,
            targets=[(s, status_label(s, tr)) for s in workflow.TRANSITIONS[found.status]],
            correctable=list(self._correctable(found.answers, tr)),
            twins=twins,
            notified=", ".join(status_label(s, tr) for s in STATUS_LABELS if s in self.notified),
            versions=versions,
            error=error,
            status_label=lambda s: status_label(s, tr),
            checkins=[self._checkin(row, zone, tr) for row in checkins],
            zone=zone.key,
            zones=zones_of(facts.country if facts else None),
            today=self.clock().date().isoformat(),
        )

    def _checkin(
        self, row: followup_rows.FollowupRecord, zone: ZoneInfo, tr: Translator
    ) -> dict[str, Any]:
        """One check-in as the case page shows it, times in the country's local time."""
        checkin = self.followups.checkin(row.checkin) if self.followups else None
        answers = []
        if checkin is not None:
            for step in checkin.flow.steps:
                if step.id in row.answers:
                    value = format_answer(step, row.answers[step.id], tr)
                    answers.append((tr.gettext(step.review_label), value))
        when = row.answered_at or row.sent_at or row.due_at
        return {
            "label": tr.gettext(checkin.label) if checkin else row.checkin,
            "status": tr.gettext(CHECKIN_STATUS_LABELS.get(row.status, row.status)),
            "when": when.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "reason": tr.gettext(REASON_LABELS[row.reason]) if row.reason in REASON_LABELS else "",
            "reminders": row.reminders,
            "answers": answers,
            "flags": row.flags,
        }

    async def change_status(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        target = str(form.get("status", ""))
        note = str(form.get("note", ""))[:2000]
        return_date = parse_date(str(form.get("return_date", "")))
        tr = self.pages.translator(request, account)
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
            editable = {step for step, _label in self._correctable(found.answers, tr)}
            ticked = [str(step) for step in form.getlist("ask") if step in editable]
            asked = ticked if target == "needs_info" else []
            refusal: tuple[str, int] | None = None
            try:
                workflow.check(found.status, target, note, return_date)
                if target == "needs_info" and not asked:
                    reason = N_("Tick the answers the person must give again.")
                    raise workflow.TransitionRefused(reason)
                await cases.change_status(
                    unit, found, target, account.username, note, return_date, self.clock()
                )
                if self.followups is not None:
                    await schedule_case(unit, found.id, self.followups, self.clock())
            except workflow.TransitionRefused as refused:
                refusal = (tr.gettext(refused.reason), 400)
            except cases.StatusChanged:
                changed = N_("Someone changed this case meanwhile. Check it, then retry.")
                refusal = (tr.gettext(changed), 409)
        if refusal is not None:  # shown once the transaction above is over
            return await self.case(request, *refusal)
        choice = form.get("notify", "default")
        notify = target in self.notified if choice == "default" else choice == "yes"
        if notify and target in workflow.PERSON_MESSAGES:
            await self._tell_person(
                found, workflow.PERSON_MESSAGES[target], account, translate=True
            )
        if asked and not await self.ask_again(found.id, asked):
            body = tr.gettext(
                "The questions could not be sent: the person is in the middle of another "
                "conversation with the bot, or has blocked it."
            )
            async with self.store.unit() as unit:
                await cases.add_note(unit, found.id, account.username, body, self.clock())
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def change_return(self, request: Request) -> Response:
        """A returned case's date of return or time zone: its check-ins move with them."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        return_date = parse_date(str(form.get("return_date", "")))
        zone = str(form.get("time_zone", "")).strip() or None
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
            if (
                found.status != "returned"
                or return_date is None
                or return_date > self.clock().date()
            ):
                refusal = N_("Give the date of return: a past date, for a returned case.")
                return await self.case(request, tr.gettext(refusal), 400)
            if zone is not None and not valid_zone(zone):
                return await self.case(request, tr.gettext(N_("Unknown time zone.")), 400)
            now = self.clock()
            await followup_rows.set_return(unit, found.id, return_date, zone, now)
            await unit.audit("case.return_changed", now, actor=account.username,
                             pre_registration_id=found.id)  # fmt: skip
            if self.followups is not None:
                await schedule_case(unit, found.id, self.followups, now)
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def link(self, request: Request) -> Response:
        """Link this case and another as the same person."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
            other = await cases.by_reference(unit, str(form.get("other", "")))
            if other is None or other.id == found.id:
                raise HTTPException(400, N_("No such other case."))
            await cases.link(unit, found, other, account.username, self.clock())
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def add_note(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        body = str(form.get("body", "")).strip()[:2000]
        if body:
            async with self.store.unit() as unit:
                found = await self._case(unit, request)
                now = self.clock()
                await cases.add_note(unit, found.id, account.username, body, now)
                await unit.audit("case.note_added", now, actor=account.username,
                                 pre_registration_id=found.id)  # fmt: skip
        return RedirectResponse(f"/cases/{request.path_params['reference']}", 303)

    async def send_message(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        body = str(form.get("body", "")).strip()[:3000]
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
        if body:
            await self._tell_person(found, body, account, translate=False)
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def _case(self, unit: Any, request: Request) -> cases.Case:
        found = await cases.by_reference(unit, request.path_params["reference"])
        if found is None:
            raise HTTPException(404, N_("No such case."))
        return found

    async def _tell_person(
        self, case: cases.Case, text: str, account: AccountRecord, *, translate: bool
    ) -> None:
        """Send through the bot (outside any transaction), then record what happened."""
        async with self.store.unit() as unit:
            person = await cases.recipient(unit, case.id)
        if person is None:
            return
        telegram_id, language = person
        if translate:
            tr = self.catalogs.translator(language)
            text = tr.gettext(text, reference=case.reference, office=self.office)
        delivered = await self.notify(telegram_id, text)
        async with self.store.unit() as unit:
            now = self.clock()
            await cases.add_message(unit, case.id, "out", account.username, text, delivered, now)
            await unit.audit(
                "case.message_sent",
                now,
                actor=account.username,
                pre_registration_id=case.id,
                delivered=delivered,
            )

    # Case page pieces

    def _answers(self, answers: dict[str, Any], tr: Translator) -> Any:
        for step in self.flow.steps:
            if step.id in answers and step.kind not in (Kind.CONSENT, Kind.REPEAT):
                yield tr.gettext(step.review_label), format_answer(step, answers[step.id], tr)

    def _correctable(self, answers: dict[str, Any], tr: Translator) -> Any:
        """The answers a caseworker may ask again (not language or consent)."""
        for step in self.flow.steps:
            if step.id in answers and step.kind not in (Kind.LANGUAGE, Kind.CONSENT):
                yield step.id, tr.gettext(step.review_label)

    def _changes(self, before: dict[str, Any], after: dict[str, Any], tr: Translator) -> Any:
        """(label, old, new) for each answer a correction changed."""
        for step in self.flow.steps:
            if before.get(step.id) != after.get(step.id) and step.kind is not Kind.REPEAT:
                old = format_answer(step, before.get(step.id), tr)
                new = format_answer(step, after.get(step.id), tr)
                yield tr.gettext(step.review_label), old, new

    def _family(self, answers: dict[str, Any], tr: Translator) -> Any:
        for step in self.flow.steps:
            if step.kind is not Kind.REPEAT:
                continue
            for item in answers.get(step.id, []):
                yield [
                    (tr.gettext(sub.review_label), format_answer(sub, item.get(sub.id), tr))
                    for sub in step.steps
                ]

    def _labels(self, tr: Translator) -> dict[str, str]:
        labels: dict[str, str] = {}
        for step in self.flow.steps:
            labels[step.id] = tr.gettext(step.review_label)
            for sub in step.steps:
                labels[sub.id] = tr.gettext(sub.review_label)
        return labels
