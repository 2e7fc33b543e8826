"""The case page's reintegration section: the plan, the grant's ledger against its cap,
and the check-ins' scores over time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.engine.flow import N_
from bot.grant_terms import GRANT_CATEGORIES, PLAN_KINDS
from bot.i18n import Translator
from bot.pricing import CURRENCIES, GrantRefused, ItemForm
from bot.reintegration import (
    EDITABLE,
    SHOWN,
    STATUS_LABELS,
    Cap,
    NoSuchCase,
    PlanForm,
    Reintegration,
)
from bot.store import Unit, cases
from bot.store import grants as ledger
from bot.store.accounts import AccountRecord
from bot.store.grants import APPROVED, DELIVERED, PLANNED, Item
from bot.web.case import CaseView
from bot.web.charts import line_chart
from bot.web.forms import Refusal

DIMENSIONS = (
    ("economic", N_("Economic")),
    ("social", N_("Social")),
    ("psychosocial", N_("Psychosocial")),
    ("composite", N_("Overall")),
)
_ITEM_FIELDS = ("description", "category", "vendor", "quantity", "unit_cost", "currency",
                "usd_rate")  # fmt: skip
Action = Callable[[str, int | None, FormData, AccountRecord], Awaitable[None]]


class ReintegrationView:
    """The routes of the reintegration section, and what it shows on the case page."""

    def __init__(self, case: CaseView, service: Reintegration) -> None:
        self.case = case
        self.pages = case.pages
        self.service = service
        case.sections.append(self.section)

    def routes(self) -> list[Route]:
        item = "/cases/{reference}/grants/{item_id:id}"
        return [
            Route("/cases/{reference}/reintegration", self.save_plan, methods=["POST"]),
            Route("/cases/{reference}/grants", self.add_item, methods=["POST"]),
            Route(item, self.change_item, methods=["POST"]),
            Route(f"{item}/remove", self.remove_item, methods=["POST"]),
            Route(f"{item}/approve", self.approve, methods=["POST"]),
            Route(f"{item}/deliver", self.deliver, methods=["POST"]),
        ]

    async def section(self, unit: Unit, found: cases.CaseRecord, tr: Translator) -> dict[str, Any]:
        """The section's values; none before the case is accepted."""
        if found.status not in SHOWN:
            return {"reintegration": None}
        record = await ledger.plan_of(unit, found.id)
        items = await ledger.items_of(unit, found.id)
        totals = await ledger.totals(unit, found.id)
        cap = await self.service.cap(unit, found.id)
        committed = totals[APPROVED] + totals[DELIVERED]
        plan = record.plan if record else None
        return {
            "reintegration": {
                "editable": found.status in EDITABLE,
                "plan": plan,
                "plan_updated": record,
                "kind_label": tr.gettext(PLAN_KINDS[plan.kind])
                if plan and plan.kind in PLAN_KINDS
                else "",
                "kinds": [(code, tr.gettext(label)) for code, label in PLAN_KINDS.items()],
                "categories": [
                    (code, tr.gettext(label)) for code, label in GRANT_CATEGORIES.items()
                ],
                "currencies": CURRENCIES,
                "ledger": [_item(item, tr) for item in items],
                "totals": {status: tr.money(cents) for status, cents in totals.items()},
                "cap": tr.money(cap.cents),
                "cap_source": _cap_source(cap, tr),
                "remaining": tr.money(max(cap.cents - committed, 0)),
                "over": committed > cap.cents,
                **self._scores(await ledger.scores(unit, found.id), tr),
            }
        }

    def _scores(self, rows: list[ledger.Scores], tr: Translator) -> dict[str, Any]:
        """The check-ins' scores as a table, and as a chart when there is one."""
        followups = self.case.followups
        labels = []
        for row in rows:
            checkin = followups.checkin(row.checkin) if followups else None
            labels.append(tr.gettext(checkin.label) if checkin else row.checkin)
        table = [
            {
                "label": label,
                "date": tr.date(row.answered_at.date()),
                "values": [_score(getattr(row, name)) for name, _ in DIMENSIONS],
            }
            for label, row in zip(labels, rows, strict=True)
        ]
        names = [tr.gettext(label) for _, label in DIMENSIONS]
        series = [
            (tr.gettext(label), [getattr(row, name) for row in rows]) for name, label in DIMENSIONS
        ]
        alt = tr.gettext(
            "Reintegration scores after return, from 0 to 1, by check-in: {dimensions}. "
            "The table beside the chart gives every value.",
            dimensions=", ".join(names),
        )
        return {"score_names": names, "scores": table, "chart": line_chart(labels, series, alt)}

    async def save_plan(self, request: Request) -> Response:
        """Save the plan; a refused form comes back as it was typed."""

        async def act(
            reference: str, _item: int | None, form: FormData, account: AccountRecord
        ) -> None:
            given = PlanForm(**{name: str(form.get(name, "")) for name in
                                ("kind", "description", "partner", "agreed_on")})  # fmt: skip
            await self.service.save_plan(reference, given, account.username)

        return await self._run(request, "plan", act, "plan")

    async def add_item(self, request: Request) -> Response:
        async def act(
            reference: str, _item: int | None, form: FormData, account: AccountRecord
        ) -> None:
            await self.service.add_item(reference, _item_form(form), account.username)

        return await self._run(request, "grant", act, "grant")

    async def change_item(self, request: Request) -> Response:
        async def act(
            reference: str, item: int | None, form: FormData, account: AccountRecord
        ) -> None:
            assert item is not None
            await self.service.change_item(reference, item, _item_form(form), account.username)

        return await self._run(request, "grant-{item}", act, "grant_changed")

    async def remove_item(self, request: Request) -> Response:
        async def act(
            reference: str, item: int | None, _form: FormData, account: AccountRecord
        ) -> None:
            assert item is not None
            await self.service.remove_item(reference, item, account.username)

        return await self._run(request, "remove-{item}", act, "grant_removed")

    async def approve(self, request: Request) -> Response:
        async def act(
            reference: str, item: int | None, form: FormData, account: AccountRecord
        ) -> None:
            assert item is not None
            await self.service.approve(
                reference,
                item,
                account.username,
                account.role,
                override=form.get("override") == "yes",
                note=str(form.get("note", "")),
            )

        return await self._run(request, "approve-{item}", act, "grant_approved")

    async def deliver(self, request: Request) -> Response:
        async def act(
            reference: str, item: int | None, form: FormData, account: AccountRecord
        ) -> None:
            assert item is not None
            await self.service.deliver(
                reference,
                item,
                str(form.get("delivered_on", "")),
                str(form.get("proof", "")),
                account.username,
            )

        return await self._run(request, "deliver-{item}", act, "grant_delivered")

    async def _run(self, request: Request, name: str, act: Action, saved: str) -> Response:
        """One form: checked, done, then back to the section; refused: the case page again
        with the reason by its field and what was typed."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        reference = request.path_params["reference"]
        item: int | None = request.path_params.get("item_id")
        try:
            await act(reference, item, form, account)
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except GrantRefused as refused:
            tr = self.pages.translator(request, account)
            refusal = Refusal.of(name.format(item=item), refused.field, refused.text(tr), form)
            return await self.case.case(request, refusal, 400)
        return RedirectResponse(f"/cases/{reference}?saved={saved}#reintegration", 303)


def _item_form(form: FormData) -> ItemForm:
    return ItemForm(**{name: str(form.get(name, ""))[:200] for name in _ITEM_FIELDS})


def _item(item: Item, tr: Translator) -> dict[str, Any]:
    """One row of the ledger, its amounts as the reader's language writes them."""
    costing = item.costing
    return {
        "id": item.id,
        "costing": costing,
        "category": tr.gettext(GRANT_CATEGORIES.get(costing.category, costing.category)),
        "unit_cost": tr.money(costing.unit_cost_cents, costing.currency),
        "unit_cost_typed": f"{costing.unit_cost_cents // 100}.{costing.unit_cost_cents % 100:02d}",
        "amount": tr.money(costing.amount_usd_cents),
        "status": item.status,
        "status_label": tr.gettext(STATUS_LABELS.get(item.status, item.status)),
        "planned": item.status == PLANNED,
        "approved": item.status == APPROVED,
        "approved_by": item.approved_by,
        "override_note": item.override_note,
        "delivered_on": tr.date(item.delivered_on) if item.delivered_on else "",
        "proof": item.proof,
    }


def _cap_source(cap: Cap, tr: Translator) -> str:
    """Where the cap comes from, as the page says it."""
    where = (
        tr.gettext("project {name}", name=cap.project)
        if cap.project
        else tr.gettext("the office's settings")
    )
    if cap.member_cents:
        return tr.gettext(
            "{per_person} for the returnee and {per_member} for each of {members} family "
            "members ({where})",
            per_person=tr.money(cap.per_person_cents),
            per_member=tr.money(cap.member_cents),
            members=cap.members,
            where=where,
        )
    return where


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
