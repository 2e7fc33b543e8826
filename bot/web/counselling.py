"""The case page's counselling record and people: the checklist, the family members, and
what the status form needs for a refusal, an override or a duplicate."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import checklist as rules
from bot.casework import NoSuchCase, Refused
from bot.counselling import FITNESS, VULNERABILITIES, Counselling, ItemInput, MemberInput
from bot.engine import Option
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.store import Unit, cases, counselling, members
from bot.web.case import CaseView
from bot.web.forms import Refusal
from bot.web.pages import Pages, parse_date


class CounsellingView:
    """The routes of the counselling section, and what it shows on the case page."""

    def __init__(self, pages: Pages, case: CaseView, service: Counselling) -> None:
        self.pages = pages
        self.case = case
        self.service = service
        case.sections.append(self.section)

    async def section(self, unit: Unit, found: cases.CaseRecord, tr: Translator) -> dict[str, Any]:
        """What the case page's counselling section and status form show."""
        checklist = self.service.checklist
        entries = await counselling.entries(unit, found.id)
        progress = rules.progress(checklist, found.flags, entries)
        reason, duplicate_of = await counselling.decision(unit, found.id)
        people = await members.of_case(unit, found.id)
        relationships = self.service.options("relationship")
        documents = self.service.options("travel_document")
        known = checklist.reason(reason) if reason else None
        return {
            "checklist": progress,
            "option_label": lambda item, value: _label(item.options, value, tr),
            "refusal_reasons": [(r.value, tr.gettext(r.label)) for r in checklist.reasons],
            "refusal_reason": tr.gettext(known.label) if known else reason,
            "duplicate_of": duplicate_of,
            "members": people,
            "relationships": _choices(relationships, tr),
            "documents": _choices(documents, tr),
            "fitness": _choices(FITNESS, tr),
            "vulnerabilities": _choices(VULNERABILITIES, tr),
            "relationship_label": lambda v: _label(relationships, v, tr),
            "document_label": lambda v: _label(documents, v, tr),
            "fitness_label": lambda v: _label(FITNESS, v, tr),
            "vulnerability_label": lambda v: _label(VULNERABILITIES, v, tr),
        }

    async def record(self, request: Request) -> Response:
        """One checklist item recorded, or cleared."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        given = ItemInput(
            item=str(form.get("item", "")),
            value=str(form.get("value", "")),
            done_on=parse_date(str(form.get("done_on", ""))),
            done_by=str(form.get("done_by", "")),
            clear=form.get("clear") == "yes",
        )
        try:
            await self.service.record(reference, given, account.username)
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except Refused as refused:
            name = f"checklist-{given.item}"
            return await self._refused(request, account.language, refused, name, form)
        return RedirectResponse(f"/cases/{reference}?saved=checklist#counselling", 303)

    async def change_member(self, request: Request) -> Response:
        """A family member's details, as the caseworker set them."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        given = MemberInput(
            name=str(form.get("name", "")),
            relationship=str(form.get("relationship", "")),
            date_of_birth=str(form.get("date_of_birth", "")),
            travel_document=str(form.get("travel_document", "")),
            fitness=str(form.get("fitness", "")),
            vulnerabilities=tuple(str(v) for v in form.getlist("vulnerabilities")),
        )
        member_id = request.path_params["member_id"]
        try:
            await self.service.change_member(reference, member_id, given, account.username)
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except Refused as refused:
            name = f"member-{member_id}"
            return await self._refused(request, account.language, refused, name, form)
        return RedirectResponse(f"/cases/{reference}?saved=member#member-{member_id}", 303)

    async def _refused(
        self, request: Request, language: str, refused: Refused, name: str, form: FormData
    ) -> Response:
        """The case page again with the reason by its field, and the form as it was typed."""
        tr = self.pages.catalogs.translator(language)
        refusal = Refusal.of(name, refused.field, tr.gettext(refused.reason), form)
        return await self.case.case(request, refusal, 400)


def _choices(options: tuple[Option, ...], tr: Translator) -> list[tuple[str, str]]:
    return [(option.value, tr.gettext(option.label)) for option in options]


def _label(options: tuple[Option, ...] | tuple[rules.Choice, ...], value: str | None,
           tr: Translator) -> str:  # fmt: skip
    if not value:
        return ""
    found = next((o for o in options if o.value == value), None)
    return tr.gettext(found.label) if found is not None else value
