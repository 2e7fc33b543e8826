"""Acting on the queue's filtered selection at once: the form, the count to confirm, the outcome.

The form names the filter; the confirmation page counts the cases and names each one, and
confirming acts on exactly those (not on whatever the filter finds a minute later).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.answers import status_label
from bot.bulk import BULK_LIMIT, Action, Bulk, Plan
from bot.casework import Refused, StatusChange
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.message_templates import GIVEN, Given, MessageTemplates, TemplateRefused, parse_time
from bot.roles import Role
from bot.status import TRANSITIONS, Status
from bot.store import accounts
from bot.store.accounts import AccountRecord
from bot.web.pages import Pages, parse_date, parse_int
from bot.web.queue import FILTER_KEYS, case_filter

# The statuses a selection may move to: those some status leads to, but for "needs info",
# whose questions are chosen case by case.
# Not the moves whose details are chosen case by case: the answers to give again, the
# reason for a refusal, the other case of a duplicate.
_TARGETS = frozenset(t for ts in TRANSITIONS.values() for t in ts) - {
    Status.NEEDS_INFO,
    Status.REJECTED,
    Status.DUPLICATE,
}
_FIELDS = ("action", "account", "to_status", "note", "return_date", "notify", "template", *GIVEN)


class BulkPages:
    """The bulk form, its confirmation and its outcome."""

    def __init__(self, pages: Pages, bulk: Bulk, templates: MessageTemplates) -> None:
        self.pages = pages
        self.store = pages.store
        self.bulk = bulk
        self.templates = templates

    async def form_page(
        self, request: Request, error: str = "", status: int = 200, kept: Any = None
    ) -> Response:
        """The filter's cases counted, and what may be done to all of them."""
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        filters = _filters(kept if kept is not None else request.query_params)
        try:
            selected = await self.bulk.select(case_filter(filters, account.id))
        except Refused as refused:
            selected, error, status = [], error or tr.gettext(refused.reason), 400
        async with self.store.unit() as unit:
            people = await accounts.all_accounts(unit) if account.role == Role.SUPERVISOR else []
        return self.pages.render(
            request,
            "bulk.html",
            account,
            status,
            count=len(selected),
            filters=filters,
            back="/?" + urlencode(filters),
            kept=kept or {},
            error=error,
            assignees=[a for a in people if a.active and a.role in set(Role)],
            statuses=[(s, status_label(s, tr)) for s in Status if s in _TARGETS],
            template_choices=[
                (template.key, template.title(tr.language))
                for template in await self.templates.all()
            ],
        )

    async def confirm(self, request: Request) -> Response:
        """The plan checked, and the count to confirm: nothing is done yet."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        kept = {key: str(value) for key, value in form.items() if key != "csrf_token"}
        try:
            plan = _plan(form)
            await self.bulk.check(plan, account.role)
            selected = await self.bulk.select(case_filter(_filters(form), account.id))
        except Refused as refused:
            forbidden = _forbidden(account, form)
            return await self.form_page(
                request, _explain(refused, tr), 403 if forbidden else 400, kept
            )
        if not selected:
            return await self.form_page(
                request, tr.gettext("No case matches this filter."), 400, kept
            )
        return self.pages.render(
            request,
            "bulk_confirm.html",
            account,
            count=len(selected),
            selected=[(reference, status_label(value, tr)) for reference, value in selected],
            summary=await self._summary(_plan(form), tr),
            hidden=[(key, str(form.get(key, ""))) for key in _FIELDS if form.get(key)],
            filters=_filters(form),
        )

    async def run(self, request: Request) -> Response:
        """Each confirmed case done on its own; the outcome case by case."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        references = [str(value) for value in form.getlist("case")][:BULK_LIMIT]
        try:
            plan = _plan(form)
            outcomes = await self.bulk.run(
                plan, references, account.username, account.role, account.language
            )
        except Refused as refused:
            code = 403 if _forbidden(account, form) else 400
            raise HTTPException(code, _explain(refused, tr)) from None
        return self.pages.render(
            request,
            "bulk_done.html",
            account,
            summary=await self._summary(plan, tr),
            done=sum(outcome.done for outcome in outcomes),
            refused=[(o.reference, o.reason(tr)) for o in outcomes if not o.done],
            outcomes=[(o.reference, o.reason(tr)) for o in outcomes],
            back="/?" + urlencode(_filters(form)),
        )

    async def _summary(self, plan: Plan, tr: Translator) -> str:
        """What the plan does, in words."""
        if plan.action is Action.ASSIGN:
            if plan.account_id is None:
                return tr.gettext("Give the cases to nobody")
            async with self.store.unit() as unit:
                to = await accounts.by_id(unit, plan.account_id)
            return tr.gettext("Give the cases to {name}", name=to.username if to else "?")
        if plan.action is Action.STATUS and plan.change is not None:
            label = status_label(plan.change.target, tr)
            return tr.gettext("Change the status to: {status}", status=label)
        template = await self.templates.get(plan.template)
        title = template.title(tr.language) if template else plan.template
        return tr.gettext("Send the template: {title}", title=title)


def _plan(form: FormData) -> Plan:
    """The plan the form describes; Refused for an action it does not name."""
    action = str(form.get("action", ""))
    if action == Action.ASSIGN:
        chosen = str(form.get("account", ""))
        return Plan(Action.ASSIGN, account_id=parse_int(chosen, 0) or None)
    if action == Action.STATUS:
        choice = form.get("notify", "default")
        change = StatusChange(
            target=str(form.get("to_status", "")),
            note=str(form.get("note", "")),
            return_date=parse_date(str(form.get("return_date", ""))),
            tell=None if choice == "default" else choice == "yes",
        )
        return Plan(Action.STATUS, change=change)
    if action == Action.TEMPLATE:
        given = Given(parse_date(str(form.get("date", ""))), parse_time(str(form.get("time", ""))))
        return Plan(Action.TEMPLATE, template=str(form.get("template", "")), given=given)
    raise Refused(N_("Choose what to do to these cases."))


def _forbidden(account: AccountRecord, form: FormData) -> bool:
    return form.get("action") == Action.ASSIGN and account.role != Role.SUPERVISOR


def _explain(refused: Refused, tr: Translator) -> str:
    if isinstance(refused, TemplateRefused):
        return refused.explain(tr)
    return tr.gettext(refused.reason)


def _filters(source: Any) -> dict[str, str]:
    """The queue's filter from a query or a form (no page: the selection is every page)."""
    return {
        key: str(source.get(key))
        for key in FILTER_KEYS
        if isinstance(source.get(key), str) and source.get(key)
    }
