"""The dashboard over HTTP, in-process: the real ASGI app, a real database."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from markupsafe import escape

from bot.app import Runtime, build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.store import AuditEvent, PreRegistration, accounts
from bot.store.models import SignIn, SignInFailure
from bot.web.auth import Throttle
from tests.helpers import (
    PASSWORD,
    Clock,
    Phone,
    add_account,
    add_case,
    browser,
    counselled,
    sign_in,
    table_rows,
    token,
)
from tests.walker import complete_intake, intake_flow


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/cases/AVR-2026-00001", "/?status=submitted"])
async def test_pages_without_a_session_redirect_to_login(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_security_headers_on_every_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"username": "amina", "password": PASSWORD}),
        ("/logout", {}),
        ("/language", {"language": "fr"}),
    ],
)
async def test_forms_without_csrf_token_are_refused(
    bot: Runtime, client: httpx.AsyncClient, path: str, data: dict[str, str]
) -> None:
    await add_account(bot)
    response = await client.post(path, data=data)
    assert response.status_code == 403
    response = await client.post(path, data={**data, "csrf_token": "forged"})
    assert response.status_code == 403


async def test_login_sets_a_safe_cookie_and_goes_where_asked(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    page = await client.get("/login?next=/cases/AVR-2026-00009")
    response = await client.post(
        "/login",
        data={"username": "amina", "password": PASSWORD, "csrf_token": token(page),
              "next": "/cases/AVR-2026-00009"},
    )  # fmt: skip
    assert response.headers["location"] == "/cases/AVR-2026-00009"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_login_never_redirects_off_site(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot)
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": "amina", "password": PASSWORD, "csrf_token": token(page),
              "next": "//evil.example/"},
    )  # fmt: skip
    assert response.headers["location"] == "/inbox"


async def test_wrong_passwords_are_throttled_for_the_account_from_that_address(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    await add_account(bot)
    page = await client.get("/login")
    data = {"username": "amina", "password": "wrong", "csrf_token": token(page)}
    for _ in range(5):
        assert (await client.post("/login", data=data)).status_code == 401
    blocked = await client.post("/login", data={**data, "password": PASSWORD})
    assert blocked.status_code == 429  # even the right password, from there, for now
    clock.advance(minutes=16)
    assert (await client.post("/login", data={**data, "password": PASSWORD})).status_code == 303
    failed = [a for a in await table_rows(bot, AuditEvent)
              if a["action"] == "account.login_failed"]  # fmt: skip
    assert len(failed) == 5


async def test_a_stranger_guessing_from_one_address_cannot_lock_a_caseworker_out(
    bot: Runtime,
) -> None:
    await add_account(bot)
    async with (
        browser(bot.web, "203.0.113.7") as attacker,
        browser(bot.web, "198.51.100.20") as office,
    ):
        page = await attacker.get("/login")
        guess = {"username": "amina", "password": "wrong", "csrf_token": token(page)}
        statuses = [(await attacker.post("/login", data=guess)).status_code for _ in range(30)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses
        page = await office.get("/login")
        data = {"username": "amina", "password": PASSWORD, "csrf_token": token(page)}
        signed_in = await office.post("/login", data=data)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/inbox"
        assert (await office.get("/")).status_code == 200  # really signed in
        assert (await attacker.post("/login", data=guess)).status_code == 429  # still refused
        assert (
            await attacker.post("/login", data={**guess, "password": PASSWORD})
        ).status_code == 429


async def test_an_address_is_refused_after_too_many_failures_on_any_accounts(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    page = await client.get("/login")
    for attempt in range(20):  # four usernames, five each: no one account reaches its limit
        data = {"username": f"user{attempt % 4}", "password": "wrong", "csrf_token": token(page)}
        assert (await client.post("/login", data=data)).status_code == 401
    data = {"username": "amina", "password": PASSWORD, "csrf_token": token(page)}
    assert (await client.post("/login", data=data)).status_code == 429


def test_an_account_has_a_ceiling_from_everywhere_far_above_one_address() -> None:
    throttle = Throttle.keyed_by("secret")
    keys = throttle.keys("amina", "198.51.100.20")
    assert throttle.per_account >= 10 * throttle.per_address > throttle.per_pair
    assert not throttle.refused({keys.account: throttle.per_account}, keys)
    assert throttle.refused({keys.account: throttle.per_account + 1}, keys)
    assert throttle.refused({keys.pair: throttle.per_pair + 1}, keys)
    assert throttle.refused({keys.address: throttle.per_address + 1}, keys)
    # Each key names what it counts: another address, or another account, is another pair.
    assert throttle.keys("amina", "203.0.113.7").pair != keys.pair
    assert throttle.keys("amina", "203.0.113.7").account == keys.account
    assert throttle.keys("amina198.51.100.20", "").pair != keys.pair


async def test_failed_sign_ins_count_across_processes_and_are_kept_hashed(
    bot: Runtime,
    client: httpx.AsyncClient,
    settings: Settings,
    api: OfflineBotAPI,
    clock: Clock,
) -> None:
    """Behind a proxy, each attempt may reach another process: all count the same failures."""
    await add_account(bot)
    other = await build(settings, offline=api, clock=clock)  # a second process's dashboard
    try:
        async with browser(other.web) as second:
            for attempt in range(5):
                via = (client, second)[attempt % 2]
                page = await via.get("/login")
                data = {"username": "amina", "password": "my secret pw", "csrf_token": token(page)}
                assert (await via.post("/login", data=data)).status_code == 401
            for via in (client, second):
                page = await via.get("/login")
                data = {"username": "amina", "password": PASSWORD, "csrf_token": token(page)}
                assert (await via.post("/login", data=data)).status_code == 429
    finally:
        await other.stop()
    keys = Throttle.keyed_by(settings.session_secret()).keys("amina", "127.0.0.1")
    assert keys.account != hashlib.sha256(b"account:amina").hexdigest()  # keyed, not plain
    kept = [row["key"] for row in await table_rows(bot, SignInFailure)]
    assert sorted(kept) == sorted(list(keys) * 5)  # refusals not kept
    clock.advance(minutes=16)
    await sign_in(client)
    # Older attempts are swept at the next one; a successful one leaves nothing.
    assert await table_rows(bot, SignInFailure) == []


async def test_attempts_made_at_once_get_no_more_password_checks_than_the_limit(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    page = await client.get("/login")
    data = {"username": "amina", "password": "wrong", "csrf_token": token(page)}
    responses = await asyncio.gather(*(client.post("/login", data=data) for _ in range(12)))
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {401, 429} and statuses[401] <= 5, statuses
    # Each failure is kept under its three keys; refusals are not.
    assert len(await table_rows(bot, SignInFailure)) == 3 * statuses[401]


async def test_queue_lists_filters_searches_and_counts(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    await add_account(bot)
    first = await add_case(bot, 1, full_name="Awa Diallo")
    clock.advance(days=1)
    second = await add_case(bot, 2, full_name="Jean Mbeki", nationality="CD", current_city="oujda",
                            flags=["minor"])  # fmt: skip
    clock.advance(days=1)
    third = await add_case(bot, 3, full_name="Fatou Ndiaye", nationality="SN")
    await sign_in(client)

    def refs(page: httpx.Response) -> list[str]:
        return re.findall(r'href="/cases/(AVR-\d{4}-\d{5})"', page.text)

    page = await client.get("/")
    assert refs(page) == [third, second, first]  # newest first
    assert "3 requests" in page.text and "Received, waiting for review (3)" in page.text
    assert refs(await client.get("/?nationality=CD")) == [second]
    assert refs(await client.get("/?city=oujda")) == [second]
    assert refs(await client.get("/?flag=minor")) == [second]
    assert refs(await client.get("/?q=ndiaye")) == [third]  # any case, no accents needed
    assert refs(await client.get(f"/?q={first}")) == [first]
    assert refs(await client.get("/?q=600000002")) == [second]  # part of the phone
    assert refs(await client.get("/?priority=1")) == [second, third, first]
    today = clock.now.date()
    assert refs(await client.get(f"/?since={today}")) == [third]
    assert refs(await client.get(f"/?until={today - timedelta(days=2)}")) == [first]
    assert refs(await client.get("/?status=accepted")) == []


async def test_queue_pages(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot)
    for n in range(55):
        await add_case(bot, 100 + n, full_name=f"Person {n}")
    await sign_in(client)
    first = await client.get("/")
    assert "Page 1 of 2" in first.text and first.text.count('href="/cases/') == 50
    second = await client.get("/?page=2")
    assert second.text.count('href="/cases/') == 5


async def test_case_page_shows_answers_translated_and_escaped(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(
        bot, 7,
        full_name="<script>alert(1)</script>",
        destination_city='<img src=x onerror=alert(2)>',
        family_count=1,
        family_members=[{"name": "Moussa", "relationship": "child", "date_of_birth": "2015-01-01"}],
        flags=["family_case"],
    )  # fmt: skip
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text
    assert '<th scope="row">Nationality</th><td>Senegal</td>' in page.text
    assert '<option value="child" selected>Child</option>' in page.text and "Family" in page.text
    views = [a for a in await table_rows(bot, AuditEvent)
             if a["action"] == "case.viewed"]  # fmt: skip
    assert [v["actor"] for v in views] == ["amina"]
    assert (await client.get("/cases/AVR-2026-99999")).status_code == 404


async def test_language_is_the_caseworkers_choice_and_remembered(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await add_case(bot, 8)
    await sign_in(client)
    page = await client.get("/")
    response = await client.post("/language", data={"language": "fr", "csrf_token": token(page),
                                                     "next": "/"})  # fmt: skip
    assert response.status_code == 303
    french = await client.get("/")
    fr = bot.catalogs.translator("fr")
    assert escape(fr.gettext("Pre-registrations")) in french.text
    assert escape(fr.gettext("Received, waiting for review")) in french.text
    assert 'lang="fr"' in french.text
    async with bot.store.unit() as unit:
        account = await accounts.by_username(unit, "amina")
    assert account is not None and account.language == "fr"


async def test_logout_ends_the_session(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot)
    await sign_in(client)
    page = await client.get("/")
    assert page.status_code == 200
    await client.post("/logout", data={"csrf_token": token(page)})
    assert (await client.get("/")).status_code == 303


def with_copied_cookies(bot: Runtime, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another browser holding a copy of this one's cookies, as a stolen cookie would be."""
    copy = browser(bot.web)
    copy.cookies.update(client.cookies)
    return copy


def cookie_token(client: httpx.AsyncClient) -> str:
    """The sign-in token inside the signed session cookie (base64 JSON, then signature)."""
    data = client.cookies["intake_session"].split(".")[0]
    return str(json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))["sign_in"])


async def test_sign_out_ends_every_copy_of_the_cookie(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await sign_in(client)
    (row,) = await table_rows(bot, SignIn)
    token_in_cookie = cookie_token(client)
    assert row["token_hash"] == hashlib.sha256(token_in_cookie.encode()).hexdigest()
    assert token_in_cookie not in row.values()  # the table holds the hash, never the token
    async with with_copied_cookies(bot, client) as copy:
        assert (await copy.get("/")).status_code == 200
        page = await client.get("/")
        await client.post("/logout", data={"csrf_token": token(page)})
        assert (await copy.get("/")).status_code == 303
    assert await table_rows(bot, SignIn) == []


async def test_signing_in_again_ends_the_previous_sign_in(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await add_account(bot, "bakary")
    await sign_in(client)
    async with with_copied_cookies(bot, client) as copy:
        # Someone else signs in on the same shared computer, without signing out first.
        page = await client.get("/")
        again = await client.post(
            "/login", data={"username": "bakary", "password": PASSWORD, "csrf_token": token(page)}
        )
        assert again.status_code == 303
        assert (await copy.get("/")).status_code == 303
    async with bot.store.unit() as unit:
        bakary = await accounts.by_username(unit, "bakary")
    assert bakary is not None
    assert [row["account_id"] for row in await table_rows(bot, SignIn)] == [bakary.id]


async def test_a_sign_in_lasts_a_working_day(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    await add_account(bot)
    await sign_in(client)
    clock.advance(hours=11, minutes=59)
    assert (await client.get("/")).status_code == 200
    clock.advance(minutes=2)
    assert (await client.get("/")).status_code == 303  # whatever the browser keeps
    await sign_in(client)  # a new sign-in clears the expired ones
    assert len(await table_rows(bot, SignIn)) == 1
    assert (await client.get("/")).status_code == 200


async def test_deactivating_an_account_signs_it_out_for_good(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "bakary")
    await sign_in(client, "chief")
    async with browser(bot.web) as other:
        await sign_in(other, "bakary")
        async with bot.store.unit() as unit:
            bakary = await accounts.by_username(unit, "bakary")
        assert bakary is not None
        for active in ("0", "1"):
            page = await client.get("/accounts")
            await client.post(
                f"/accounts/{bakary.id}/active", data={"csrf_token": token(page), "active": active}
            )
            assert (await other.get("/")).status_code == 303
            if active == "0":  # deactivated while a password was being checked
                async with bot.store.unit() as unit:
                    late = await accounts.sign_in(unit, bakary.id, clock(), timedelta(hours=1))
                assert late is None
        await sign_in(other, "bakary")  # reactivated: a new sign-in works
        assert (await other.get("/")).status_code == 200


async def post_on_case(
    client: httpx.AsyncClient, reference: str, action: str, **data: str
) -> httpx.Response:
    page = await client.get(f"/cases/{reference}")
    return await client.post(
        f"/cases/{reference}/{action}", data={"csrf_token": token(page), **data}
    )


async def case_status(bot: Runtime, reference: str) -> str:
    rows = await table_rows(bot, PreRegistration)
    return next(r["status"] for r in rows if r["reference"] == reference)


@pytest.mark.parametrize(
    ("path", "target", "note", "allowed"),
    [
        (["in_review"], "accepted", "", True),
        (["in_review"], "needs_info", "", True),
        ([], "in_review", "", True),
        ([], "accepted", "", False),  # not without review
        ([], "returned", "", False),
        (["in_review"], "rejected", "", False),  # a note is required
        (["in_review"], "rejected", "Not eligible: refugee status, referred to UNHCR", True),
        ([], "withdrawn", " ", False),
        (["in_review", "accepted", "travel_booked", "departed"], "returned", "", False),  # a date
        (["in_review", "accepted", "travel_booked", "departed", "returned"], "closed", "", True),
        (["in_review", "accepted"], "submitted", "", False),
    ],
)
async def test_workflow_transitions_allowed_or_refused(
    bot: Runtime, client: httpx.AsyncClient, path: list[str], target: str, note: str, allowed: bool
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 9)
    await counselled(bot, reference)
    await sign_in(client)
    for step in path:
        data = {"status": step, "notify": "no"}
        if step == "travel_booked":  # a booking needs its flight
            flight = {"flight_date": "2026-12-20", "flight_time": "14:30"}
            assert (await post_on_case(client, reference, "travel", **flight)).status_code == 303
        if step == "returned":
            data["return_date"] = "2026-12-01"
        assert (await post_on_case(client, reference, "status", **data)).status_code == 303
    response = await post_on_case(
        client,
        reference,
        "status",
        status=target,
        note=note,
        notify="no",
        ask="full_name",
        reason="not_eligible",
    )
    assert (response.status_code == 303) == allowed
    expected = target if allowed else (path[-1] if path else "submitted")
    assert await case_status(bot, reference) == expected
    if not allowed:
        assert response.status_code == 400 and 'class="error"' in response.text


async def test_status_changes_are_audited_with_their_note(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 10)
    await sign_in(client)
    await post_on_case(
        client, reference, "status", status="withdrawn", note="Changed her mind", notify="no"
    )
    changes = [a for a in await table_rows(bot, AuditEvent) if a["action"] == "case.status_changed"]
    assert [(c["actor"], c["details"]) for c in changes] == [
        ("amina", {"from_status": "submitted", "to_status": "withdrawn"})
    ]
    page = await client.get(f"/cases/{reference}")
    assert "Changed her mind" in page.text


async def test_accepting_tells_the_person_in_their_language(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 11)  # the person wrote in French
    await counselled(bot, reference)
    await sign_in(client)
    await post_on_case(client, reference, "status", status="in_review", notify="default")
    assert api.messages(11) == []  # not told by default
    await post_on_case(client, reference, "status", status="accepted", notify="default")
    fr = bot.catalogs.translator("fr")
    expected = fr.gettext(
        "Good news: your request {reference} has been accepted. "
        "Staff will call you to prepare your return.",
        reference=reference,
    )
    assert [m.text for m in api.messages(11)] == [expected]
    assert "acceptée" in expected  # really French
    page = await client.get(f"/cases/{reference}")
    assert escape(expected) in page.text


async def test_a_caseworker_writes_to_the_person(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 12)
    await sign_in(client)
    await post_on_case(client, reference, "messages", body="Please come on Tuesday at 10:00.")
    fr = bot.catalogs.translator("fr")
    header = fr.gettext("Message from the {office} team:", office="OIM Rabat")
    assert [m.text for m in api.messages(12)] == [f"{header}\n\nPlease come on Tuesday at 10:00."]
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await post_on_case(client, reference, "messages", body="Are you there?")
    page = await client.get(f"/cases/{reference}")
    assert "Are you there?" in page.text and "not delivered" in page.text


async def export(client: httpx.AsyncClient, kind: str, **filters: str) -> httpx.Response:
    """Press an export button of the queue filtered by `filters`: a form with its token."""
    page = await client.get("/", params=filters)
    return await client.post(f"/export.{kind}", data={"csrf_token": token(page), **filters})


async def test_exports_follow_the_filter_neutralise_formulas_and_are_audited(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await add_case(bot, 20, full_name='=HYPERLINK("http://evil")', nationality="SN")
    await add_case(bot, 21, full_name="@SUM(A1)", nationality="CD", destination_city="-1+2")
    await add_case(bot, 22, full_name="Plain Name", nationality="SN")
    await sign_in(client)
    response = await export(client, "csv", nationality="SN")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Reference,Status,Received,")
    assert len(lines) == 3  # header + the two Senegalese cases
    assert "'=HYPERLINK" in lines[2] and "Plain Name" in lines[1]
    everyone = (await export(client, "csv")).content.decode("utf-8-sig")
    assert "'@SUM(A1)" in everyone and "'-1+2" in everyone

    workbook_response = await export(client, "xlsx", nationality="CD")
    assert workbook_response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook_response.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and "@SUM(A1)" in values[1]  # text, not a formula
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)
    exports = [a for a in await table_rows(bot, AuditEvent) if a["action"] == "cases.exported"]
    assert [e["details"] for e in exports] == [
        {"format": "csv", "filters": {"nationality": "SN"}},
        {"format": "csv", "filters": {}},
        {"format": "xlsx", "filters": {"nationality": "CD"}},
    ]
    assert (await export(client, "pdf")).status_code == 404


async def test_the_queue_exports_its_filters_by_a_form_with_the_csrf_token(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await add_case(bot, 23, full_name="Awa Diallo", nationality="SN")
    await sign_in(client)
    page = await client.get("/?nationality=SN&q=awa&page=1&flag=")
    form = re.search(r'<form method="post" action="/export.csv".*?</form>', page.text, re.S)
    assert form is not None and 'formaction="/export.xlsx"' in form[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[0]))
    assert hidden == {"csrf_token": token(page), "nationality": "SN", "q": "awa"}
    assert "/export.csv?" not in page.text  # no link another site could make a browser follow


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_an_export_without_its_csrf_token_is_refused_and_audits_nothing(
    bot: Runtime, client: httpx.AsyncClient, kind: str
) -> None:
    await add_account(bot)
    await add_case(bot, 24, full_name="Awa Diallo")
    await sign_in(client)
    assert (await client.get(f"/export.{kind}")).status_code == 405  # a link does nothing
    assert (await client.post(f"/export.{kind}")).status_code == 403
    refused = await client.post(f"/export.{kind}", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "Awa Diallo" not in refused.text
    actions = [a["action"] for a in await table_rows(bot, AuditEvent)]
    assert "cases.exported" not in actions
    assert (await export(client, kind)).status_code == 200
    actions = [a["action"] for a in await table_rows(bot, AuditEvent)]
    assert actions.count("cases.exported") == 1


ROUTES = [
    ("GET", "/"),
    ("POST", "/export.csv"),
    ("POST", "/export.xlsx"),
    ("POST", "/export/members.csv"),
    ("GET", "/cases/{ref}"),
    ("POST", "/cases/{ref}/status"),
    ("POST", "/cases/{ref}/notes"),
    ("POST", "/cases/{ref}/messages"),
    ("POST", "/cases/{ref}/link"),
    ("POST", "/cases/{ref}/return"),
    ("POST", "/cases/{ref}/appointments"),
    ("POST", "/cases/{ref}/appointments/7/outcome"),
    ("GET", "/appointments"),
    ("POST", "/cases/{ref}/travel"),
    ("POST", "/cases/{ref}/reintegration"),
    ("POST", "/cases/{ref}/grants"),
    ("POST", "/cases/{ref}/grants/3"),
    ("POST", "/cases/{ref}/grants/3/remove"),
    ("POST", "/cases/{ref}/grants/3/approve"),
    ("POST", "/cases/{ref}/grants/3/deliver"),
    ("POST", "/cases/{ref}/assign"),
    ("POST", "/cases/{ref}/take"),
    ("POST", "/cases/{ref}/flags/urgent_health/acknowledge"),
    ("GET", "/inbox"),
    ("GET", "/workload"),
    ("POST", "/cases/{ref}/checklist"),
    ("POST", "/cases/{ref}/members/1"),
    ("POST", "/cases/{ref}/template"),
    ("GET", "/templates"),
    ("POST", "/templates"),
    ("GET", "/templates/invitation"),
    ("POST", "/templates/invitation"),
    ("GET", "/bulk"),
    ("POST", "/bulk"),
    ("POST", "/bulk/run"),
    ("GET", "/audit"),
    ("GET", "/accounts"),
    ("POST", "/accounts"),
    ("POST", "/accounts/1/active"),
    ("POST", "/accounts/1/reset"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("GET", "/sources"),
    ("POST", "/sources"),
    ("GET", "/simulator"),
    ("POST", "/simulator/phones"),
    ("GET", "/simulator/phones/{phone}/screen"),
    ("POST", "/simulator/phones/{phone}/send"),
    ("POST", "/simulator/phones/{phone}/tap"),
    ("GET", "/reports"),
    ("GET", "/reports.csv"),
    ("GET", "/reports.xlsx"),
    ("GET", "/telegram"),
    ("POST", "/telegram/code"),
    ("POST", "/telegram/unlink"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/new"),
    ("POST", "/projects/1"),
    ("POST", "/projects/1/admit"),
]
SUPERVISOR_ONLY = {
    "/audit", "/accounts", "/accounts/1/active", "/accounts/1/reset", "/sources", "/workload",
    "/cases/{ref}/assign", "/templates", "/templates/invitation", "/projects/new",
    "/reports", "/reports.csv", "/reports.xlsx",
}  # fmt: skip


def test_every_route_is_in_the_route_tests(bot: Runtime) -> None:
    from starlette.routing import Route

    paths = {r.path for r in bot.web.routes if isinstance(r, Route)}
    tested = {
        p.replace("{ref}", "{reference}")
        .replace("/projects/1", "/projects/{project_id:id}")
        .replace("/1/", "/{account_id:id}/")
        .replace("{phone}", "{user_id:int}")
        .replace("/appointments/7/", "/appointments/{appointment_id:id}/")
        .replace("/urgent_health/", "/{flag}/")
        .replace("/members/1", "/members/{member_id:id}")
        .replace("/grants/3", "/grants/{item_id:id}")
        .replace("/templates/invitation", "/templates/{key}")
        for _, p in ROUTES
    }
    tested |= {"/login", "/logout", "/language", "/export.{kind:str}"}
    tested |= {"/telegram/webhook"}  # Telegram's, with a secret token: tests/test_webhook.py
    tested |= {"/healthz"}  # open to monitors, no personal data: tests/test_health.py
    # A source's QR code needs a source: session and role are checked in tests/test_reach.py.
    tested |= {"/sources/{source_id:id}.{kind:str}"}
    # A one-time link is its own proof, without a session: tests/test_password_resets.py.
    tested |= {"/password/reset/{token}"}
    # A project's page needs a project: reading and managing it, tests/test_projects_web.py.
    assert "/projects/{project_id:id}" in tested
    assert paths <= tested | {"/export.csv", "/export.xlsx"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_wants_a_session_then_the_right_role_then_a_csrf_token(
    bot: Runtime, client: httpx.AsyncClient, method: str, path: str
) -> None:
    reference = await add_case(bot, 30)
    assert bot.phones is not None
    url = path.format(ref=reference, phone=bot.phones.add("Awa", "fr").person.user_id)
    response = await client.request(method, url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")

    await add_account(bot, "amina", "caseworker")
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "amina")
    response = await client.request(method, url, data={} if method == "POST" else None)
    if path in SUPERVISOR_ONLY:
        assert response.status_code == 403
        await client.post("/logout", data={"csrf_token": token(await client.get("/"))})
        await sign_in(client, "chief")
        response = await client.request(method, url, data={} if method == "POST" else None)
    expected = 403 if method == "POST" else 200  # POST without its CSRF token
    assert response.status_code == expected


async def test_supervisors_manage_accounts(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    page = await client.get("/accounts")
    created = await client.post(
        "/accounts",
        data={"csrf_token": token(page), "username": "bakary", "password": "long enough pw",
              "role": "caseworker", "language": "fr"},
    )  # fmt: skip
    assert created.status_code == 303
    short = await client.post(
        "/accounts",
        data={"csrf_token": token(page), "username": "x", "password": "short",
              "role": "caseworker", "language": "fr"},
    )  # fmt: skip
    assert short.status_code == 400
    assert "A password needs at least 12 characters." in short.text
    assert 'minlength="12"' in short.text
    await client.post("/language", data={"csrf_token": token(page), "language": "fr"})
    for password, refusal in [
        ("Password1234", "Ce mot de passe est l&#39;un des plus courants"),
        ("0" * 16, "Un mot de passe ne peut pas être un seul caractère répété."),
    ]:
        weak = await client.post(
            "/accounts",
            data={"csrf_token": token(page), "username": "x", "password": password,
                  "role": "caseworker", "language": "fr"},
        )  # fmt: skip
        assert weak.status_code == 400 and refusal in weak.text
    async with bot.store.unit() as unit:
        bakary = await accounts.by_username(unit, "bakary")
    assert bakary is not None and bakary.role == "caseworker" and bakary.active
    await client.post(
        f"/accounts/{bakary.id}/active", data={"csrf_token": token(page), "active": "0"}
    )
    async with bot.store.unit() as unit:
        bakary = await accounts.by_username(unit, "bakary")
    assert bakary is not None and not bakary.active
    log = await client.get("/audit")
    assert "account.created" in log.text and "account.deactivated" in log.text


async def test_an_intake_reaches_the_queue_and_its_acceptance_reaches_the_person(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    """End to end: the bot's intake, the caseworker's decision, the person's phone."""
    phone = Phone(bot, api.person(4242, "Awa", "fr"))
    reference = await complete_intake(phone, nationality="SN", plan_details="Couture")

    await add_account(bot)
    await sign_in(client)
    queue = await client.get("/")
    assert reference in queue.text and "Awa Diallo" in queue.text
    case = await client.get(f"/cases/{reference}")
    assert "Couture" in case.text and "Senegal" in case.text
    await counselled(bot, reference)
    await post_on_case(client, reference, "status", status="in_review", notify="default")
    await post_on_case(client, reference, "status", status="accepted", notify="default")
    fr = bot.catalogs.translator("fr")
    assert phone.last.text == fr.gettext(
        "Good news: your request {reference} has been accepted. "
        "Staff will call you to prepare your return.",
        reference=reference,
    )
    accepted = "Accepted: staff will call you to prepare your travel documents and your journey."
    assert (await phone.say("/status")).text.endswith(fr.gettext(accepted))


async def test_the_persons_replies_reach_the_case_open_or_closed(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    """Nothing the person writes after submission is dropped, even once the case is closed."""
    reference = await add_case(bot, 13)
    phone = Phone(bot, api.person(13, "Awa", "fr"))
    reply = await phone.say("Je suis disponible mardi.")
    fr = bot.catalogs.translator("fr")
    assert reply.text == fr.gettext(
        "Thank you. Your message has been passed to the staff handling your request {reference}.",
        reference=reference,
    )
    await add_account(bot)
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")
    assert "Je suis disponible mardi." in page.text
    await post_on_case(client, reference, "status", status="withdrawn", note="Left", notify="no")
    after = await phone.say("Encore une question")
    assert after.text.startswith(
        fr.gettext(
            "Your request {reference} is closed. Your message is kept with it, but staff "
            "may not read it soon. If you need {office}, contact the office directly.",
            reference=reference,
            office="OIM Rabat",
        )
    )
    assert after.text.endswith("+212 537 00 00 00")  # how to reach the office instead
    page = await client.get(f"/cases/{reference}")
    assert "Encore une question" in page.text


async def test_the_case_page_marks_the_persons_messages_unread_since_the_last_visit(
    bot: Runtime, client: httpx.AsyncClient, api: Any, clock: Clock
) -> None:
    reference = await add_case(bot, 14)
    phone = Phone(bot, api.person(14, "Awa", "en"))
    await add_account(bot)
    await add_account(bot, "bilal")
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")
    assert "since your last visit" not in page.text and "unread" not in page.text
    clock.advance(minutes=1)
    await phone.say("I can come on Tuesday.")
    clock.advance(minutes=1)
    page = await client.get(f"/cases/{reference}")
    assert "New messages from the person since your last visit: 1" in page.text
    assert (
        '<li class="in unread">' in page.text and '<strong class="badge">New</strong>' in page.text
    )
    clock.advance(minutes=1)
    await post_on_case(client, reference, "messages", body="See you on Tuesday at 9.")
    clock.advance(minutes=1)
    page = await client.get(f"/cases/{reference}")  # seen on the last visit: read now
    assert "I can come on Tuesday." in page.text and "unread" not in page.text
    clock.advance(minutes=1)
    await phone.say("Thank you")
    clock.advance(minutes=1)
    page = await client.get(f"/cases/{reference}")
    assert "since your last visit: 1" in page.text and page.text.count(" unread") == 1
    async with browser(bot.web) as other:  # each caseworker has their own last visit
        await sign_in(other, "bilal")
        page = await other.get(f"/cases/{reference}")
        assert "since your last visit: 2" in page.text and page.text.count(" unread") == 2


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_caseworkers_message_reaches_the_person_labelled_as_the_staffs(
    bot: Runtime, client: httpx.AsyncClient, api: Any, language: str
) -> None:
    """So the person can tell staff's words from the bot's, in their own language."""
    phone = Phone(bot, api.person(4243, "Awa", language))
    reference = await complete_intake(phone, language=language)
    await add_account(bot)
    await sign_in(client)
    response = await post_on_case(client, reference, "messages", body="  Venez lundi à 9h.  ")
    assert response.status_code == 303
    tr = bot.catalogs.translator(language)
    header = tr.gettext("Message from the {office} team:", office="OIM Rabat")
    assert phone.last.text == f"{header}\n\nVenez lundi à 9h."
    assert ("OIM Rabat" in header) and (header.startswith("Message de") == (language == "fr"))
    page = await client.get(f"/cases/{reference}")
    assert "Venez lundi à 9h." in page.text and header not in page.text  # kept as written


async def test_text_that_does_not_answer_a_corrected_question_is_kept_for_staff(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    """During "needs info", what fails the question's check is often meant for staff: it is
    kept on the case, the person is told, and the question is asked again."""
    phone = Phone(bot, api.person(9124, "Awa", "fr"))
    reference = await complete_intake(phone, language="fr")
    await add_account(bot)
    await sign_in(client)
    await post_on_case(client, reference, "status", status="in_review", notify="no")
    page = await client.get(f"/cases/{reference}")
    await client.post(
        f"/cases/{reference}/status",
        data={"csrf_token": token(page), "status": "needs_info", "notify": "no",
              "ask": ["date_of_birth"]},
    )  # fmt: skip
    fr = bot.catalogs.translator("fr")
    question = fr.gettext(intake_flow().step("date_of_birth").prompt)
    assert phone.last.text.startswith(question)
    count = len(phone.inbox)
    await phone.say("Je ne connais pas ma date exacte, pouvez-vous m'appeler ?")
    told, again = phone.inbox[count:]
    assert told.text == fr.gettext(
        "This is not an answer to the question, so I passed it as a message to the staff "
        "handling your request {reference}.",
        reference=reference,
    )
    assert again.text.endswith(question)  # after the reason it was not taken
    assert again.text.startswith("⚠️")
    page = await client.get(f"/cases/{reference}")
    assert "Je ne connais pas ma date exacte, pouvez-vous m&#39;appeler ?" in page.text
    await phone.say("05/05/1985")  # then the correction goes on
    done = await phone.tap(fr.gettext("Confirm and send"))
    assert done.text == fr.gettext(
        "Thank you. Your answers have been updated. Your reference stays {reference}.",
        reference=reference,
    )
    assert (await table_rows(bot, PreRegistration))[0]["answers"]["date_of_birth"] == ("1985-05-05")


async def test_needs_info_asks_exactly_the_ticked_questions_again(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    phone = Phone(bot, api.person(9123, "Awa", "en"))
    await complete_intake(phone, language="en", destination_city="Bamako")
    (case,) = await table_rows(bot, PreRegistration)
    reference = case["reference"]
    await add_account(bot)
    await sign_in(client)
    await post_on_case(client, reference, "status", status="in_review", notify="no")
    page = await client.get(f"/cases/{reference}")
    response = await client.post(
        f"/cases/{reference}/status",
        data={"csrf_token": token(page), "status": "needs_info", "notify": "default",
              "ask": ["date_of_birth", "destination_city"]},
    )  # fmt: skip
    assert response.status_code == 303
    told, question = phone.inbox[-2:]
    assert told.text.startswith("We need more information about your request")
    assert question.text.startswith("What is your date of birth?")
    await phone.say("05/05/1985")
    assert (await phone.say("Bamako centre")).text.startswith("Please check your answers.")
    done = await phone.tap("Confirm and send")
    assert done.text == (
        f"Thank you. Your answers have been updated. Your reference stays {reference}."
    )
    (case,) = await table_rows(bot, PreRegistration)
    assert case["status"] == "in_review"
    assert case["answers"]["date_of_birth"] == "1985-05-05"
    assert case["answers"]["destination_city"] == "Bamako centre"
    assert case["answers"]["full_name"] == "Awa Diallo"  # untouched
    page = await client.get(f"/cases/{reference}")
    assert "Earlier answers" in page.text and "<del>Bamako</del> → Bamako centre" in page.text


async def test_needs_info_without_ticked_answers_is_refused(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 14)
    await sign_in(client)
    await post_on_case(client, reference, "status", status="in_review", notify="no")
    response = await post_on_case(client, reference, "status", status="needs_info", notify="no")
    assert response.status_code == 400
    assert "Tick the answers the person must give again." in response.text


async def test_possible_duplicates_can_be_linked_as_one_person(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    first = await add_case(bot, 15, phone="+212611111111")
    second = await add_case(bot, 16, phone="+212611111111", full_name="Awa D.")
    other = await add_case(bot, 17, full_name="Someone Else")
    await sign_in(client)
    page = await client.get(f"/cases/{second}")
    assert "Possible duplicates" in page.text and first in page.text and other not in page.text
    response = await client.post(
        f"/cases/{second}/link", data={"csrf_token": token(page), "other": first}
    )
    assert response.status_code == 303
    for reference in (first, second):
        assert "linked: the same person" in (await client.get(f"/cases/{reference}")).text
    links = [a for a in await table_rows(bot, AuditEvent) if a["action"] == "case.linked"]
    assert [a["actor"] for a in links] == ["amina"]
    bad = await client.post(
        f"/cases/{second}/link", data={"csrf_token": token(page), "other": second}
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "query", ["page=²", "page=" + "9" * 5000, "until=9999-12-31", "since=garbage", "status=x"]
)
async def test_odd_queries_never_fail(bot: Runtime, client: httpx.AsyncClient, query: str) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_case(bot, 40)
    await sign_in(client, "chief")
    for path in ("/", "/audit"):
        assert (await client.get(f"{path}?{query}")).status_code == 200
    name, value = query.split("=")
    assert (await export(client, "csv", **{name: value})).status_code == 200


async def test_pages_are_not_cached(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot)
    await sign_in(client)
    assert (await client.get("/")).headers["cache-control"] == "no-store"


async def test_status_changes_are_checked_against_the_current_status(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 41)
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")  # loaded while "submitted"
    await post_on_case(client, reference, "status", status="withdrawn", note="Gone", notify="no")
    stale = await client.post(
        f"/cases/{reference}/status",
        data={"csrf_token": token(page), "status": "closed", "notify": "no"},
    )
    # The form named a move that the case's new status allows; the server re-reads the case,
    # so it is applied from "withdrawn". A move the new status forbids is refused instead.
    assert stale.status_code == 303
    refused = await client.post(
        f"/cases/{reference}/status",
        data={"csrf_token": token(page), "status": "in_review", "notify": "no"},
    )
    assert refused.status_code == 400
    assert await case_status(bot, reference) == "closed"


async def test_xlsx_survives_control_characters(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot)
    await add_case(bot, 42, full_name="Awa\x01 Diallo")
    await sign_in(client)
    assert (await export(client, "xlsx")).status_code == 200
