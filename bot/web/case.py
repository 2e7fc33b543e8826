"""The case page and what a caseworker does there: status, return date, notes, messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import status
from bot.answers import (
    CHECKIN_STATUS_LABELS,
    REASON_LABELS,
    format_answer,
    status_label,
)
from bot.casework import Casework, NoSuchCase, Refused, StatusChange, correctable
from bot.engine import Flow, Kind
from bot.engine.checkins import Followups
from bot.engine.flow import N_
from bot.followups.zones import zone_for, zones_of
from bot.i18n import Translator
from bot.message_templates import MessageTemplates, template_choices
from bot.roles import ROLES, Role
from bot.status import Status
from bot.store import Unit, audit, cases, checkins, messages, notes, sources, twins
from bot.web.caseload import case_section
from bot.web.forms import Refusal
from bot.web.pages import Pages, parse_date, parse_int
from bot.web.summary import ConsentText, summary
from bot.web.travel import section as travel_section

# A part of the case page kept by another module: its template's values, read in the
# page's transaction.
Section = Callable[[Unit, cases.CaseRecord, Translator], Awaitable[dict[str, Any]]]


class CaseView:
    """One case: its answers, history and check-ins, and the caseworker's actions on it."""

    def __init__(
        self,
        pages: Pages,
        flow: Flow,
        casework: Casework,
        followups: Followups | None,
        consent_text: ConsentText | None = None,
        templates: MessageTemplates | None = None,
    ) -> None:
        self.pages = pages
        self.templates = templates  # offered on the page, to send in the person's language
        self.store = pages.store
        self.clock = pages.clock
        self.flow = flow
        self.casework = casework
        self.followups = followups
        self.consent_text = consent_text  # the consent with the office's facts
        self.sections: list[Section] = []

    async def case(
        self,
        request: Request,
        refused: Refusal | str | None = None,
        status_code: int = 200,
        *,
        travel_typed: dict[str, str] | None = None,
        **kept: Any,
    ) -> Response:
        """The case page. `refused` is a refused form (or only its message); `kept` holds
        what a refused form of another module's section had typed, `travel_typed` the
        journey's."""
        if isinstance(refused, str):
            refused = Refusal("", "", refused)
        account = await self.pages.signed_in(request)
        reference = request.path_params["reference"]
        now = self.clock()
        tr = self.pages.translator(request, account)
        async with self.store.unit() as unit:
            found = await cases.by_reference(unit, reference)
            if found is None:
                raise HTTPException(404, N_("No such case."))
            seen = await audit.last_view(unit, found.id, account.username)
            await audit.record(
                unit, audit.VIEWED, now, actor=account.username, pre_registration_id=found.id
            )
            trail = await audit.trail(unit, found.id)
            written = await notes.of_case(unit, found.id)
            exchanged = await messages.of_case(unit, found.id)
            versions = [
                (v.replaced_at, list(self._changes(v.answers, found.answers, tr)))
                for v in await cases.versions(unit, found.id)
            ]
            same_person = await twins.of_case(unit, found)
            planned = await checkins.for_case(unit, found.id)
            facts = await checkins.planning_facts(unit, found.id)
            reach = await sources.reach(unit, found.id)
            for section in self.sections:
                kept = {**await section(unit, found, tr), **kept}
            ownership = await case_section(unit, found.id, account, now)
        person = self.pages.catalogs.translator(found.language)  # the consent as they read it
        zone = zone_for(facts.country if facts else None, facts.time_zone if facts else None)
        journey = await travel_section(self.casework.travel, found, tr, travel_typed)
        offered = await self.templates.all() if self.templates else []
        return self.pages.render(
            request,
            "case.html",
            account,
            status_code,
            case=found,
            reach=reach,
            answers=list(self._answers(found.answers, tr)),
            family=list(self._family(found.answers, tr)),
            timeline=sorted(found.answered_at.items(), key=lambda item: item[1]),
            labels=self._labels(tr),
            trail=trail,
            notes=written,
            messages=exchanged,
            unread=[
                m
                for m in exchanged
                if m.direction == "in" and (seen is None or m.created_at > seen)
            ],
            targets=[(s, status_label(s, tr)) for s in status.targets(found.status)],
            correctable=list(self._correctable(found.answers, tr)),
            twins=same_person,
            notified=", ".join(status_label(s, tr) for s in Status if s in self.casework.notified),
            Status=Status,
            versions=versions,
            refused=refused,
            saved=_saved(request, tr) if refused is None else "",
            status_label=lambda s: status_label(s, tr),
            checkins=[self._checkin(row, zone, tr) for row in planned],
            zone=zone.key,
            zones=zones_of(facts.country if facts else None),
            today=self.clock().date().isoformat(),
            summary=summary(found, self.flow, self.consent_text, trail, tr, person, now.date()),
            message_templates=template_choices(
                offered, tr, found.language, found.reference, self.casework.office
            ),
            **ownership,
            **kept,
            travel=journey,
        )

    def _checkin(
        self, row: checkins.FollowupRecord, zone: ZoneInfo, tr: Translator
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
        choice = form.get("notify", "default")
        change = StatusChange(
            target=str(form.get("status", "")),
            note=str(form.get("note", "")),
            return_date=parse_date(str(form.get("return_date", ""))),
            ask=tuple(str(step) for step in form.getlist("ask")),
            tell=None if choice == "default" else choice == "yes",
            reason=str(form.get("reason", "")),
            override=form.get("override") == "yes",
            duplicate_of=str(form.get("duplicate_of", "")),
            project=parse_int(str(form.get("project", "")), 0) or None,
        )
        tr = self.pages.translator(request, account)
        reference = request.path_params["reference"]
        try:
            with _known_case():
                role = Role(account.role) if account.role in ROLES else None
                found = await self.casework.change_status(
                    reference, change, account.username, account.language, role
                )
        except status.TransitionRefused as refused:
            refusal = Refusal.of("status", refused.field, tr.gettext(refused.reason), form)
            return await self.case(request, refusal, 400)
        except cases.StatusChanged:
            changed = N_("Someone changed this case meanwhile. Check it, then retry.")
            return await self.case(
                request, Refusal.of("status", "status", tr.gettext(changed), form), 409
            )
        waits = found.status == Status.WAITLISTED and change.target != Status.WAITLISTED
        return _done(found.reference, "waitlisted" if waits else "status")

    async def change_return(self, request: Request) -> Response:
        """A returned case's date of return or time zone: its check-ins move with them."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        return_date = parse_date(str(form.get("return_date", "")))
        zone = str(form.get("time_zone", "")).strip() or None
        reference = request.path_params["reference"]
        try:
            with _known_case():
                found = await self.casework.change_return(
                    reference, return_date, zone, account.username
                )
        except Refused as refused:
            refusal = Refusal.of("return", refused.field, tr.gettext(refused.reason), form)
            return await self.case(request, refusal, 400)
        return _done(found.reference, "return")

    async def link(self, request: Request) -> Response:
        """Link this case and another as the same person."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        try:
            with _known_case():
                found = await self.casework.link(
                    reference, str(form.get("other", "")), account.username
                )
        except Refused as refused:
            raise HTTPException(400, refused.reason) from None
        return _done(found.reference, "link")

    async def add_note(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        with _known_case():
            await self.casework.add_note(reference, str(form.get("body", "")), account.username)
        return _done(reference, "note")

    async def send_message(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        with _known_case():
            found = await self.casework.send_message(
                reference, str(form.get("body", "")), account.username
            )
        return _done(found.reference, "message")

    def _answers(self, answers: dict[str, Any], tr: Translator) -> Any:
        for step in self.flow.steps:
            if step.id in answers and step.kind not in (Kind.CONSENT, Kind.REPEAT):
                yield tr.gettext(step.review_label), format_answer(step, answers[step.id], tr)

    def _correctable(self, answers: dict[str, Any], tr: Translator) -> Any:
        """The answers a caseworker may ask again, with their labels."""
        for step in correctable(self.flow, answers):
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
            # The consent's label is its whole text, with placeholders: its name instead.
            consent = step.kind is Kind.CONSENT
            labels[step.id] = tr.gettext(N_("Consent") if consent else step.review_label)
            for sub in step.steps:
                labels[sub.id] = tr.gettext(sub.review_label)
        return labels


# What the case page announces after each of its forms was saved.
SAVED = {
    "status": N_("The status was changed."),
    "waitlisted": N_("The project is full: the case is on its waiting list."),
    "return": N_("The date of return was saved, and the check-ins planned again."),
    "link": N_("The two cases are linked as the same person."),
    "note": N_("The note was added."),
    "message": N_("The message was sent to the person."),
    "checklist": N_("The checklist was saved."),
    "member": N_("The family member's details were saved."),
    "template": N_("The template was sent to the person, in their language."),
    "travel": N_("The journey's details were saved."),
    "appointment": N_("The appointment was booked, and the person invited."),
    "outcome": N_("The appointment's outcome was saved."),
    "assigned": N_("Saved: who has this case."),
    "acknowledged": N_("The red flag is marked as seen to, with your note."),
    "plan": N_("The reintegration plan was saved."),
    "grant": N_("The item was added to the grant's ledger."),
    "grant_changed": N_("The item was saved."),
    "grant_removed": N_("The item was removed from the ledger."),
    "grant_approved": N_("The item was approved."),
    "grant_delivered": N_("The item was marked delivered, and the person told."),
}


def _done(reference: str, form: str) -> RedirectResponse:
    """Back to the case page, which then says what was saved."""
    return RedirectResponse(f"/cases/{reference}?saved={form}", 303)


def _saved(request: Request, tr: Translator) -> str:
    form = request.query_params.get("saved", "")
    return tr.gettext(SAVED[form]) if form in SAVED else ""


@contextmanager
def _known_case() -> Iterator[None]:
    """A case the service does not find is this page's 404."""
    try:
        yield
    except NoSuchCase:
        raise HTTPException(404, N_("No such case.")) from None
