"""The case page's travel section: the journey's details, its form, and the question
before the flight."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import departures
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.status import Status
from bot.store import cases, reconfirmations
from bot.travel import DOCUMENT_TYPES, PREPARING, Travel, TravelForm, TravelRefused

if TYPE_CHECKING:
    from bot.web.case import CaseView

_STATUS_LABELS = {
    reconfirmations.PLANNED: N_("To be asked"),
    reconfirmations.SENT: N_("Asked, waiting for an answer"),
    reconfirmations.ANSWERED: N_("Answered"),
    reconfirmations.NO_ANSWER: N_("No answer after a day"),
    reconfirmations.CANCELLED: N_("Cancelled"),
}
_TEXT_FIELDS = (
    "document_type",
    "document_requested_on",
    "document_received_on",
    "consulate",
    "flight_date",
    "flight_time",
    "carrier",
    "flight_number",
    "airport",
    "escort",
)


async def section(
    travel: Travel | None,
    case: cases.CaseRecord,
    tr: Translator,
    typed: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """What the travel section shows; None when the case has no journey to show.
    `typed` is a refused form's values, shown again as they were typed."""
    if travel is None:
        return None
    plan = await travel.of_case(case.id)
    editable = case.status in PREPARING
    if plan is None and not editable:
        return None
    values: dict[str, str] = dict.fromkeys(_TEXT_FIELDS, "")
    escort_needed = False
    if plan is not None:
        details = plan.details
        for name in _TEXT_FIELDS:
            value = getattr(details, name)
            values[name] = "" if value is None else str(value)
        if details.flight_time is not None:
            values["flight_time"] = details.flight_time.strftime("%H:%M")
        escort_needed = details.escort_needed
    if typed is not None:
        values = {name: typed.get(name, "") for name in _TEXT_FIELDS}
        escort_needed = typed.get("escort_needed") == "yes"
    zone = travel.zone
    asked = [
        {
            "status": tr.gettext(_STATUS_LABELS.get(row.status, row.status)),
            "flight": row.flight_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "when": (row.answered_at or row.sent_at or row.due_at)
            .astimezone(zone)
            .strftime("%Y-%m-%d %H:%M"),
            "answer": tr.gettext(departures.LABELS[row.answer]) if row.answer else "",
        }
        for row in await travel.reconfirmations(case.id)
    ]
    document = values["document_type"]
    return {
        "editable": editable,
        "fields": values,
        "escort_needed": escort_needed,
        "document_types": [(code, tr.gettext(label)) for code, label in DOCUMENT_TYPES.items()],
        "document_label": tr.gettext(DOCUMENT_TYPES[document])
        if document in DOCUMENT_TYPES
        else "",
        "departed_at": plan.departed_at.astimezone(zone) if plan and plan.departed_at else None,
        "zone": zone.key,
        "reconfirmations": asked,
        "booked": case.status == Status.TRAVEL_BOOKED,
    }


class TravelView:
    """The travel form's route."""

    def __init__(self, case: CaseView) -> None:
        self.case = case
        self.pages = case.pages

    async def save(self, request: Request) -> Response:
        """Save the journey's details; a refused form comes back as it was typed."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        travel = self.case.casework.travel
        if travel is None:
            raise HTTPException(404, N_("No such case."))
        typed = {name: str(form.get(name, ""))[:200] for name in _TEXT_FIELDS}
        typed["escort_needed"] = "yes" if form.get("escort_needed") == "yes" else ""
        given = TravelForm(
            **{name: typed[name] for name in _TEXT_FIELDS},
            escort_needed=typed["escort_needed"] == "yes",
        )
        reference = request.path_params["reference"]
        tr = self.pages.translator(request, account)
        try:
            found = await travel.save(reference, given, account.username)
        except LookupError:
            raise HTTPException(404, N_("No such case.")) from None
        except TravelRefused as refused:
            return await self.case.case(
                request, tr.gettext(refused.reason), 400, travel_typed=typed
            )
        return RedirectResponse(f"/cases/{found.reference}?saved=travel#travel", 303)
