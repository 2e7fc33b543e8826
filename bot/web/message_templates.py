"""The message templates' pages (supervisors: list, edit, create) and sending one on a case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.casework import NoSuchCase
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.message_templates import (
    FIELDS,
    GIVEN,
    TITLE_LIMIT,
    Given,
    MessageTemplates,
    Template,
    TemplateRefused,
    parse_time,
)
from bot.web.case import CaseView
from bot.web.forms import Refusal
from bot.web.pages import Pages, parse_date
from bot.web.supervisors import Supervisors


class TemplatePages:
    """Supervisors write the templates; caseworkers send them from a case page."""

    def __init__(
        self,
        pages: Pages,
        supervisors: Supervisors,
        templates: MessageTemplates,
        case_view: CaseView,
    ) -> None:
        self.pages = pages
        self.supervisors = supervisors
        self.templates = templates
        self.case_view = case_view

    async def list_page(
        self, request: Request, error: str = "", status: int = 200, kept: Any = None
    ) -> Response:
        account = await self.supervisors.supervisor(request)
        tr = self.pages.translator(request, account)
        every = await self.templates.all()
        return self.pages.render(
            request,
            "message_templates.html",
            account,
            status,
            templates=[self._row(template, tr) for template in every],
            template_languages=self.templates.languages,
            fields=_fields(tr),
            title_limit=TITLE_LIMIT,
            error=error,
            kept=kept or {},
        )

    async def create(self, request: Request) -> Response:
        account = await self.supervisors.supervisor(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        key = str(form.get("key", "")).strip()
        try:
            await self.templates.save(key, self._texts(form), account.username, new=True)
        except TemplateRefused as refused:
            return await self.list_page(request, refused.explain(tr), 400, dict(form))
        return RedirectResponse("/templates", 303)

    async def edit_page(
        self, request: Request, error: str = "", status: int = 200, kept: Any = None
    ) -> Response:
        account = await self.supervisors.supervisor(request)
        tr = self.pages.translator(request, account)
        template = await self.templates.get(request.path_params["key"])
        if template is None:
            raise HTTPException(404, N_("No such template."))
        texts = {}
        for language in self.templates.languages:
            text = template.texts.get(language)
            if kept:  # what was typed, refused
                texts[language] = (
                    kept.get(f"title_{language}", ""),
                    kept.get(f"body_{language}", ""),
                )
            else:
                texts[language] = (text.title, text.body) if text else ("", "")
        return self.pages.render(
            request,
            "message_template.html",
            account,
            status,
            message_template=template,
            title=template.title(tr.language),
            texts=texts,
            fields=_fields(tr),
            title_limit=TITLE_LIMIT,
            error=error,
        )

    async def edit(self, request: Request) -> Response:
        account = await self.supervisors.supervisor(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        key = request.path_params["key"]
        if await self.templates.get(key) is None:
            raise HTTPException(404, N_("No such template."))
        try:
            await self.templates.save(key, self._texts(form), account.username)
        except TemplateRefused as refused:
            return await self.edit_page(request, refused.explain(tr), 400, dict(form))
        return RedirectResponse("/templates", 303)

    async def send(self, request: Request) -> Response:
        """A template, filled in the person's language, sent to the person of the case."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        reference = request.path_params["reference"]
        given = Given(parse_date(str(form.get("date", ""))), parse_time(str(form.get("time", ""))))
        try:
            with known_case():
                found = await self.templates.send(
                    reference, str(form.get("template", "")), given, account.username
                )
        except TemplateRefused as refused:
            field = refused.field if refused.field in GIVEN else "template"
            refusal = Refusal.of("template", field, refused.explain(tr), form)
            return await self.case_view.case(request, refusal, 400)
        return RedirectResponse(f"/cases/{found.reference}?saved=template", 303)

    def _texts(self, form: FormData) -> dict[str, tuple[str, str]]:
        return {
            language: (
                str(form.get(f"title_{language}", "")),
                str(form.get(f"body_{language}", "")),
            )
            for language in self.templates.languages
        }

    def _row(self, template: Template, tr: Translator) -> dict[str, Any]:
        return {
            "key": template.key,
            "title": template.title(tr.language),
            "usual": template.usual,
            "edited": [lang for lang, text in template.texts.items() if text.edited],
            "missing": [lang for lang in self.templates.languages if lang not in template.texts],
            "needs": ", ".join(tr.gettext(FIELDS[name]) for name in template.needs),
        }


def _fields(tr: Translator) -> list[tuple[str, str]]:
    return [("{" + name + "}", tr.gettext(label)) for name, label in FIELDS.items()]


@contextmanager
def known_case() -> Iterator[None]:
    """A case the service does not find is this page's 404."""
    try:
        yield
    except NoSuchCase:
        raise HTTPException(404, N_("No such case.")) from None
