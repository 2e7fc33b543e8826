"""Every route of the dashboard, walked for every role: the permission table decides.

A route added to the app without an entry in bot/web/permissions.py fails here, with the
line to add.
"""

from __future__ import annotations

import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import Mount, Route

from bot.app import Runtime
from bot.roles import PERMISSIONS, Permission, Role, can
from bot.store import accounts, cases
from bot.web.permissions import PUBLIC, ROUTES, methods
from tests.helpers import add_account, add_case, browser, sign_in, token

FORBIDDEN = "Your role does not allow this."


def every_route(bot: Runtime) -> list[tuple[str, str, Route | None]]:
    """(method, path, route) for every method of every route of the app."""
    found: list[tuple[str, str, Route | None]] = []
    for route in bot.web.routes:
        if isinstance(route, Mount):
            found.append(("GET", route.path, None))
        elif isinstance(route, Route):
            found += [(method, route.path, route) for method in methods(route)]
        else:
            raise AssertionError(f"a route of a kind the walk does not know: {route!r}")
    return found


def test_every_route_has_a_permission_entry(bot: Runtime) -> None:
    choices = ", ".join(f"P.{p.name}" for p in Permission)
    missing = [
        f'    ("{method}", "{path}"): P.<one of {choices}> or PUBLIC,'
        for method, path, _route in every_route(bot)
        if (method, path) not in ROUTES
    ]
    assert not missing, (
        "These routes have no permission entry, so nobody may open them. Add to ROUTES in "
        "bot/web/permissions.py, with the permission the route needs:\n" + "\n".join(missing)
    )


def test_the_table_names_no_route_the_app_lacks(bot: Runtime) -> None:
    known = {(method, path) for method, path, _route in every_route(bot)}
    assert set(ROUTES) - known == set()


def test_monitoring_reads_but_changes_messages_and_exports_nothing() -> None:
    assert PERMISSIONS[Role.MONITORING] == {
        Permission.OWN_ACCOUNT,
        Permission.READ_CASES,
        Permission.READ_REPORTS,
    }
    assert PERMISSIONS[Role.CASEWORKER] < PERMISSIONS[Role.SUPERVISOR]
    assert not can("someone", Permission.READ_CASES)  # an unknown role may do nothing


async def _walk(bot: Runtime, role: Role) -> dict[tuple[str, str], int]:
    """Sign in with `role` and call every route that needs signing in; the statuses."""
    await add_account(bot, "walker", role)
    await add_account(bot, "other")
    reference = await add_case(bot, 1)
    async with bot.store.unit() as unit:
        other = await accounts.by_username(unit, "other")
    assert other is not None
    values = {"reference": reference, "account_id": str(other.id), "kind": "csv"}
    statuses = {}
    async with browser(bot.web) as client:
        await sign_in(client, "walker")
        csrf = token(await client.get("/password"))
        for method, path, route in every_route(bot):
            if route is None or ROUTES.get((method, path), PUBLIC) is PUBLIC:
                continue
            url = path
            for name, convertor in route.param_convertors.items():
                value = values.get(name, "1" if isinstance(convertor, IntegerConvertor) else "x")
                url = url.replace("{" + name + "}", value).replace(f"{{{name}:int}}", value)
                url = url.replace(f"{{{name}:id}}", value)
                url = url.replace(f"{{{name}:str}}", value)
            if method == "GET":
                response = await client.get(url)
            else:
                response = await client.post(url, data={"csrf_token": csrf, "body": "Hello"})
            assert "/login" not in response.headers.get("location", ""), (method, path)
            if response.status_code == 403:
                assert FORBIDDEN in response.text, (method, path, response.text[:300])
            statuses[method, path] = response.status_code
    return statuses


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_reaches_exactly_the_routes_its_permissions_allow(
    bot: Runtime, role: Role
) -> None:
    statuses = await _walk(bot, role)
    assert statuses  # the walk did call routes
    wrong = {
        key: status
        for key, status in statuses.items()
        if (status == 403) == can(role, ROUTES[key])  # type: ignore[arg-type]
    }
    assert not wrong, f"{role}: allowed routes refused or forbidden routes let through: {wrong}"


async def test_monitoring_is_refused_every_change_message_export_and_account_page(
    bot: Runtime,
) -> None:
    statuses = await _walk(bot, Role.MONITORING)
    refused = {key for key, status in statuses.items() if status == 403}
    assert {
        ("POST", "/cases/{reference}/status"),
        ("POST", "/cases/{reference}/notes"),
        ("POST", "/cases/{reference}/messages"),
        ("POST", "/cases/{reference}/link"),
        ("POST", "/cases/{reference}/return"),
        ("POST", "/export.{kind:str}"),
        ("POST", "/export/members.csv"),
        ("GET", "/simulator"),
        ("GET", "/accounts"),
        ("POST", "/accounts"),
        ("POST", "/accounts/{account_id:id}/reset"),
        ("GET", "/audit"),
    } <= refused
    assert statuses["GET", "/"] == 200
    assert statuses["GET", "/cases/{reference}"] == 200


async def test_the_monitoring_case_page_offers_no_form_that_changes_the_case(
    bot: Runtime,
) -> None:
    await add_account(bot, "watcher", Role.MONITORING)
    family = [{"name": "Binta Diallo", "relationship": "child", "date_of_birth": "2019-03-02"}]
    reference = await add_case(
        bot, 1, flags=["urgent_health", "family_case"], family_count=1, family_members=family
    )
    async with bot.store.unit() as unit:  # accepted: the journey's form would show
        case = await cases.by_reference(unit, reference)
        assert case is not None
        await cases.change_status(unit, case, "accepted", "setup", "", None, bot.service.clock())
    async with browser(bot.web) as client:
        await sign_in(client, "watcher")
        page = await client.get(f"/cases/{reference}")
        queue = await client.get("/")
    assert "Binta Diallo" in page.text and "Journey home" in page.text
    assert 'action="/cases/' not in page.text  # no form of any section
    assert "/export.csv" not in queue.text and "/bulk" not in queue.text


async def test_signed_out_every_protected_route_leads_to_sign_in(bot: Runtime) -> None:
    async with browser(bot.web) as client:
        for method, path, route in every_route(bot):
            if route is None or ROUTES.get((method, path)) is PUBLIC or method != "GET":
                continue
            url = path.replace("{reference}", "AVR-1").replace("{source_id:id}", "1")
            url = url.replace("{user_id:int}", "1").replace("{kind:str}", "svg")
            url = url.replace("{project_id:id}", "1")
            response = await client.get(url)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login"), path
