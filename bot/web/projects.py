"""The funded projects' pages: the list with places and budgets, a project's page with its
waiting list, the supervisors' forms, and what the case page shows of its project."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import status
from bot.casework import NoSuchCase, Refused
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.projects import ProjectForm, Projects, Standing, choices, dollars, freed
from bot.store import Unit, cases
from bot.store.projects import ProjectRecord
from bot.web.case import CaseView
from bot.web.forms import Refusal
from bot.web.pages import Pages, parse_date

SAVED = {
    "created": N_("The project was created."),
    "changed": N_("The project's terms were saved."),
    "admitted": N_("The case moved into the project, and the person was told."),
}


class ProjectPages:
    """The routes of the projects, and the case page's part about its project."""

    def __init__(self, pages: Pages, case: CaseView, service: Projects) -> None:
        self.pages = pages
        self.service = service
        case.sections.append(self.section)

    def routes(self) -> list[Route]:
        return [
            Route("/projects", self.list_page, methods=["GET"]),
            Route("/projects", self.create, methods=["POST"]),
            Route("/projects/new", self.new_page, methods=["GET"]),
            Route("/projects/{project_id:id}", self.project_page, methods=["GET"]),
            Route("/projects/{project_id:id}", self.edit, methods=["POST"]),
            Route("/projects/{project_id:id}/admit", self.admit, methods=["POST"]),
        ]

    async def section(self, unit: Unit, found: cases.CaseRecord, tr: Translator) -> dict[str, Any]:
        """The status form's project choice, and the notice of a place this case freed."""
        offered, chosen = await choices(unit, found, self.pages.clock().date())
        return {
            "projects_offered": [(p.id, _label(p, tr)) for p in offered],
            "project_chosen": chosen,
            "freed": await freed(unit, found),
        }

    async def list_page(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        return self.pages.render(
            request,
            "projects.html",
            account,
            standings=await self.service.overview(),
            dollars=dollars,
            country_names=lambda p: ", ".join(tr.country(c) for c in p.countries),
            saved=_saved(request, tr),
        )

    async def new_page(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        return self.pages.render(request, "project.html", account, standing=None,
                                 refused=None, form=_blank())  # fmt: skip

    async def project_page(
        self, request: Request, refused: Refusal | None = None, status_code: int = 200
    ) -> Response:
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        standing = await self._standing(request)
        return self.pages.render(
            request,
            "project.html",
            account,
            status_code,
            standing=standing,
            refused=refused,
            form=_filled(standing.project),
            dollars=dollars,
            country_names=", ".join(tr.country(c) for c in standing.project.countries),
            saved=_saved(request, tr) if refused is None else "",
        )

    async def create(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        try:
            project_id = await self.service.create(_form(form), account.username)
        except Refused as refused:
            tr = self.pages.translator(request, account)
            refusal = Refusal.of("project", refused.field, tr.gettext(refused.reason), form)
            return self.pages.render(request, "project.html", account, 400, standing=None,
                                     refused=refusal, form=_blank())  # fmt: skip
        return RedirectResponse(f"/projects/{project_id}?saved=created", 303)

    async def edit(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        project_id = request.path_params["project_id"]
        try:
            await self.service.edit(project_id, _form(form), account.username)
        except LookupError:
            raise HTTPException(404, N_("No such project.")) from None
        except Refused as refused:
            tr = self.pages.translator(request, account)
            refusal = Refusal.of("project", refused.field, tr.gettext(refused.reason), form)
            return await self.project_page(request, refusal, 400)
        return RedirectResponse(f"/projects/{project_id}?saved=changed", 303)

    async def admit(self, request: Request) -> Response:
        """The next case on the waiting list moves into the project."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        project_id = request.path_params["project_id"]
        tr = self.pages.translator(request, account)
        reference = str(form.get("reference", ""))
        try:
            await self.service.admit(project_id, reference, account.username)
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except (Refused, status.TransitionRefused, cases.StatusChanged) as refused:
            reason = getattr(refused, "reason", N_("Someone changed this case meanwhile."))
            refusal = Refusal.of("admit", "", tr.gettext(reason), form)
            return await self.project_page(request, refusal, 400)
        return RedirectResponse(f"/projects/{project_id}?saved=admitted", 303)

    async def _standing(self, request: Request) -> Standing:
        found = await self.service.standing(request.path_params["project_id"])
        if found is None:
            raise HTTPException(404, N_("No such project."))
        return found


def _label(project: ProjectRecord, tr: Translator) -> str:
    funders = ", ".join(project.funders)
    return tr.gettext("{name} (funded by {funders})", name=project.name, funders=funders)


def _form(form: FormData) -> ProjectForm:
    def text(name: str) -> str:
        return str(form.get(name, ""))

    return ProjectForm(
        name=text("name"),
        funders=text("funders"),
        countries=text("countries"),
        starts_on=parse_date(text("starts_on")),
        ends_on=parse_date(text("ends_on")),
        capacity=text("capacity"),
        grant_cap=text("grant_cap"),
        member_cap=text("member_cap"),
    )


def _blank() -> dict[str, str]:
    return {"name": "", "funders": "", "countries": "", "starts_on": "", "ends_on": "",
            "capacity": "", "grant_cap": "600", "member_cap": ""}  # fmt: skip


def _filled(project: ProjectRecord) -> dict[str, str]:
    """A project's terms as its form shows them."""
    member = project.member_cap_cents
    return {
        "name": project.name,
        "funders": "\n".join(project.funders),
        "countries": ", ".join(project.countries),
        "starts_on": project.starts_on.isoformat(),
        "ends_on": project.ends_on.isoformat() if project.ends_on else "",
        "capacity": str(project.capacity),
        "grant_cap": dollars(project.grant_cap_cents).replace(",", ""),
        "member_cap": dollars(member).replace(",", "") if member is not None else "",
    }


def _saved(request: Request, tr: Translator) -> str:
    form = request.query_params.get("saved", "")
    return tr.gettext(SAVED[form]) if form in SAVED else ""
