"""Appointments in the dashboard: booking and outcomes on the case page, and the day view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.appointments import (
    KINDS,
    OUTCOMES,
    STATUS_LABELS,
    AppointmentRefused,
    Appointments,
    NoSuchCase,
)
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.store import Unit, cases
from bot.store import appointments as rows
from bot.web.case import CaseView
from bot.web.pages import Pages, parse_date, parse_int


class AppointmentPages:
    """The appointments' routes, and their section of the case page."""

    def __init__(self, pages: Pages, service: Appointments, case: CaseView) -> None:
        self.pages = pages
        self.service = service
        self.hours = service.hours
        self.case_view = case
        case.sections.append(self.section)

    def routes(self) -> list[Route]:
        return [
            Route("/appointments", self.day, methods=["GET"]),
            Route("/cases/{reference}/appointments", self.book, methods=["POST"]),
            Route(
                "/cases/{reference}/appointments/{appointment_id:id}/outcome",
                self.outcome,
                methods=["POST"],
            ),
        ]

    async def section(self, unit: Unit, case: cases.CaseRecord, tr: Translator) -> dict[str, Any]:
        """The case page's appointments and its booking form."""
        booked = await rows.of_case(unit, case.id)
        return {
            "appointments": [self._row(a, tr) for a in booked],
            "appointment_kinds": [(k, tr.gettext(label)) for k, label in KINDS.items()],
            "appointment_hours": [f"{h:02d}" for h in self.hours.hours],
            "appointment_outcomes": [(o, tr.gettext(STATUS_LABELS[o])) for o in OUTCOMES],
            "appointment_zone": self.hours.zone.key,
            "appointment_form": {},
        }

    async def book(self, request: Request) -> Response:
        """A caseworker books an appointment; a refusal shows the page again, as typed."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        typed = {k: str(form.get(k, "")) for k in ("kind", "date", "hour")}
        hour = typed["hour"]
        try:
            await self.service.book(
                reference,
                typed["kind"],
                parse_date(typed["date"]),
                parse_int(hour, -1) if hour else None,
                account.username,
            )
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except AppointmentRefused as refused:
            tr = self.pages.translator(request, account)
            return await self.case_view.case(request, refused.text(tr), 400, appointment_form=typed)
        return RedirectResponse(f"/cases/{reference}?saved=appointment#appointments", 303)

    async def outcome(self, request: Request) -> Response:
        """Came, did not come, or rescheduled."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        try:
            await self.service.record_outcome(
                reference,
                request.path_params["appointment_id"],
                str(form.get("outcome", "")),
                account.username,
            )
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except AppointmentRefused as refused:
            tr = self.pages.translator(request, account)
            return await self.case_view.case(request, refused.text(tr), 400)
        return RedirectResponse(f"/cases/{reference}?saved=outcome#appointments", 303)

    async def day(self, request: Request) -> Response:
        """The office's appointments on one day, slot by slot, with what each slot holds."""
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        today = self.hours.local(self.pages.clock()).date()
        day = parse_date(request.query_params.get("day")) or today
        start = self.hours.at(day, 0)
        end = self.hours.at(day + timedelta(days=1), 0)
        async with self.pages.store.unit() as unit:
            booked = await rows.between(unit, start, end)
        by_hour: dict[int, list[dict[str, Any]]] = {}
        for record, reference in booked:
            hour = self.hours.local(record.starts_at).hour
            by_hour.setdefault(hour, []).append({**self._row(record, tr), "reference": reference})
        office_hours = self.hours.hours if day.isoweekday() in self.hours.days else ()
        slots = [
            {
                "time": f"{hour:02d}:00",
                "appointments": by_hour.get(hour, []),
                "held": sum(1 for a in by_hour.get(hour, []) if a["holds"]),
                "open": hour in office_hours,
            }
            for hour in sorted({*office_hours, *by_hour})
        ]
        return self.pages.render(
            request,
            "appointments.html",
            account,
            day=day,
            day_label=tr.date(day),
            previous=(day - timedelta(days=1)).isoformat(),
            next=(day + timedelta(days=1)).isoformat(),
            today=today.isoformat(),
            slots=slots,
            limit=self.hours.limit,
            zone=self.hours.zone.key,
        )

    def _row(self, record: rows.AppointmentRecord, tr: Translator) -> dict[str, Any]:
        local = self.hours.local(record.starts_at)
        return {
            "id": record.id,
            "day": local.date().isoformat(),
            "when": local.strftime("%Y-%m-%d %H:%M"),
            "kind": tr.gettext(KINDS.get(record.kind, record.kind)),
            "status": record.status,
            "status_label": tr.gettext(STATUS_LABELS.get(record.status, record.status)),
            "open": record.status in rows.OPEN,
            "holds": record.status in rows.HOLDS_SLOT,
            "booked_by": record.booked_by,
        }
