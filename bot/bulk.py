"""One action on many cases at once: give them to someone, move their status, send a template.

Each case is done on its own, through the same use-case as on its page and in its own
transaction, so one case refused (a status it cannot leave, a person the bot cannot reach)
leaves the others done. Each case's outcome is audited on the case; the whole once, with
its counts.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot import status
from bot.casework import Casework, NoSuchCase, Refused, StatusChange
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.message_templates import Given, MessageTemplates, TemplateRefused
from bot.roles import Role
from bot.status import Status
from bot.store import Store, accounts, audit, cases, queue
from bot.store.queue import CaseFilter

# A selection larger than this is refused: narrow the filter.
BULK_LIMIT = 500


class Action(enum.StrEnum):
    ASSIGN = "assign"
    STATUS = "status"
    TEMPLATE = "template"


@dataclass(frozen=True)
class Plan:
    """What to do to each case of the selection."""

    action: Action
    account_id: int | None = None  # for ASSIGN: to whom; None: to nobody
    change: StatusChange | None = None  # for STATUS
    template: str = ""  # for TEMPLATE, with what the caseworker filled in
    given: Given = field(default_factory=Given)


@dataclass(frozen=True)
class Outcome:
    """What happened to one case: done, or refused and why."""

    reference: str
    refused: Refused | None = None

    @property
    def done(self) -> bool:
        return self.refused is None

    def reason(self, tr: Translator) -> str:
        if self.refused is None:
            return ""
        if isinstance(self.refused, TemplateRefused):
            return self.refused.explain(tr)
        return tr.gettext(self.refused.reason)


class Bulk:
    """The bulk use-cases, on top of the one-case ones."""

    def __init__(
        self,
        store: Store,
        casework: Casework,
        templates: MessageTemplates,
        limit: int = BULK_LIMIT,
    ) -> None:
        self.store = store
        self.limit = limit
        self.casework = casework
        self.templates = templates
        self.clock = casework.clock

    async def select(self, f: CaseFilter) -> list[tuple[str, str]]:
        """The (reference, status) of every case of the filter, on every page; Refused past
        the limit."""
        async with self.store.unit() as unit:
            found = await queue.selection(unit, f, self.limit + 1)
        if len(found) > self.limit:
            raise Refused(N_("Too many cases at once: narrow the filter."))
        return found

    async def check(self, plan: Plan, role: str) -> None:
        """Refuse, before anything is done, what would be refused for every case alike."""
        if plan.action is Action.ASSIGN:
            if role != Role.SUPERVISOR:
                raise Refused(N_("Only supervisors may give cases to someone."))
            if plan.account_id is not None:
                async with self.store.unit() as unit:
                    account = await accounts.by_id(unit, plan.account_id)
                assignable = (Role.CASEWORKER, Role.SUPERVISOR)
                if account is None or not account.active or account.role not in assignable:
                    raise Refused(N_("This account cannot be given cases."))
        elif plan.action is Action.STATUS:
            change = plan.change
            if change is None or status.parse(change.target) is None:
                raise Refused(N_("Choose the new status."))
            if change.target == Status.NEEDS_INFO:
                raise Refused(
                    N_("Ask for more information case by case: each needs its own questions.")
                )
            if change.target in status.NOTE_REQUIRED and not change.note.strip():
                raise Refused(N_("Write a note to explain this decision."))
            if change.target == Status.RETURNED and change.return_date is None:
                raise Refused(N_("Give the date of return."))
        else:
            template = await self.templates.get(plan.template)
            if template is None:
                raise TemplateRefused(N_("No such template."))
            missing = tuple(name for name in template.needs if name not in plan.given.filled())
            if missing:
                raise TemplateRefused(N_("Fill in what this template needs: {fields}."), missing)

    async def run(
        self, plan: Plan, references: list[str], actor: str, role: str, language: str | None
    ) -> list[Outcome]:
        """Do `plan` to each case, one transaction each; audited per case and as a whole.
        `language` is the actor's, for notes the status change may leave."""
        await self.check(plan, role)
        references = list(dict.fromkeys(references))[: self.limit]
        async with self.store.unit() as unit:
            ids = await queue.ids_of(unit, references)
        one = self._one(plan, actor, language)
        outcomes = []
        for reference in references:
            refusal: Refused | None = None
            try:
                await one(reference)
            except Refused as refused:
                refusal = refused
            except status.TransitionRefused as refused:
                refusal = Refused(refused.reason)
            except cases.StatusChanged:
                refusal = Refused(N_("Someone changed this case meanwhile. Check it, then retry."))
            except NoSuchCase:
                refusal = Refused(N_("No such case."))
            outcomes.append(Outcome(reference, refusal))
            if refusal is not None:
                async with self.store.unit() as unit:
                    await audit.record(
                        unit,
                        "case.bulk_refused",
                        self.clock(),
                        actor=actor,
                        pre_registration_id=ids.get(reference),
                        bulk=plan.action.value,
                        reason=refusal.reason,
                    )
        done = sum(outcome.done for outcome in outcomes)
        async with self.store.unit() as unit:
            await audit.record(
                unit,
                "cases.bulk",
                self.clock(),
                actor=actor,
                bulk=plan.action.value,
                count=len(outcomes),
                done=done,
                refused=len(outcomes) - done,
                **_details(plan),
            )
        return outcomes

    def _one(
        self, plan: Plan, actor: str, language: str | None
    ) -> Callable[[str], Awaitable[object]]:
        if plan.action is Action.ASSIGN:
            return lambda reference: self.casework.assign(reference, plan.account_id, actor)
        if plan.action is Action.STATUS:
            change = plan.change
            assert change is not None
            return lambda reference: self.casework.change_status(reference, change, actor, language)
        return lambda reference: self.templates.send(reference, plan.template, plan.given, actor)


def _details(plan: Plan) -> dict[str, Any]:
    """What the audit keeps of the plan: ids and names, never the note's words."""
    if plan.action is Action.ASSIGN:
        return {"account_id": plan.account_id}
    if plan.action is Action.STATUS and plan.change is not None:
        return {"to_status": plan.change.target}
    return {"template": plan.template}
