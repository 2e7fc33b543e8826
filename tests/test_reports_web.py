"""The reports page and its downloads through the real ASGI app: permissions, the same
suppressed cells in the page, the charts, the CSV and the XLSX, filters, French."""

from __future__ import annotations

import base64
import csv
import io
import re
import sys

import httpx
import pytest
from openpyxl import load_workbook

from bot.app import Runtime
from tests.helpers import add_account, browser, sign_in, token
from tests.report_cohort import seed_cohort


@pytest.fixture
async def cohort(bot: Runtime) -> dict[str, int]:
    async with bot.store.unit() as unit:
        return await seed_cohort(unit)


@pytest.fixture
async def client(bot: Runtime) -> httpx.AsyncClient:
    await add_account(bot, "chief", "supervisor")
    async with browser(bot.web) as client:
        await sign_in(client, "chief")
        yield client


def row(html: str, label: str) -> list[str]:
    """The cells of the first table row headed `label` on the page."""
    found = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert found, label
    return re.findall(r"<td>(.*?)</td>", found.group(1))


def section(text: str, title: str) -> list[list[str]]:
    """The CSV rows of the table titled `title`, up to the blank line."""
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    start = lines.index([title])
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start + 1 : end]


@pytest.mark.parametrize("role", ["supervisor", "monitoring"])
async def test_supervisors_and_monitoring_read_reports_caseworkers_do_not(
    bot: Runtime, role: str
) -> None:
    await add_account(bot, "amina", "caseworker")
    await add_account(bot, "reader", role)
    async with browser(bot.web) as client:
        await sign_in(client, "amina")
        for path in ("/reports", "/reports.csv", "/reports.xlsx"):
            assert (await client.get(path)).status_code == 403, path
        assert 'href="/reports"' not in (await client.get("/inbox")).text
    async with browser(bot.web) as client:
        await sign_in(client, "reader")
        for path in ("/reports", "/reports.csv", "/reports.xlsx"):
            assert (await client.get(path)).status_code == 200, path
        assert 'href="/reports"' in (await client.get("/inbox")).text


async def test_the_page_shows_small_cells_hidden_and_charts_as_images(
    bot: Runtime, client: httpx.AsyncClient, cohort: dict[str, int]
) -> None:
    page = await client.get("/reports")
    html = page.text
    assert 'name="since" value="2025-12"' in html and 'name="until" value="2026-11"' in html
    assert row(html, "Senegal") == ["9", "12"]
    assert row(html, "Mali") == ["&lt;5", "&lt;5"]
    assert row(html, "Requested \u2192 Accepted") == ["8", "5.5", "12.0"]
    assert row(html, "Check-in at month 6") == ["&lt;5", "n&lt;5", "n&lt;5", "", "n&lt;5"]
    assert "<caption>Requests by nationality</caption>" in html
    assert '<th scope="col">Cases</th>' in html
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', html)
    assert len(images) >= 5
    alts = [alt for _data, alt in images]
    assert "Chart: Requests by nationality. Its figures are in the table beside it." in alts
    for data, _alt in images:
        svg = base64.b64decode(data).decode()
        assert svg.startswith("<?xml") and "<script" not in svg
        assert not re.search(r'(href|src)="(https?:)?//', svg)  # nothing fetched
    nationality = base64.b64decode(images[alts.index(
        "Chart: Requests by nationality. Its figures are in the table beside it."
    )][0]).decode()  # fmt: skip
    drawn = re.findall(r'<desc class="value">([^<]*)</desc>', nationality)
    assert sorted(drawn) == ["12", "9"]  # Mali's hidden counts are not drawn
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline style


async def test_the_csv_holds_every_table_with_the_same_hidden_cells(
    bot: Runtime, client: httpx.AsyncClient, cohort: dict[str, int]
) -> None:
    response = await client.get("/reports.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "report-2025-12-2026-11.csv" in response.headers["content-disposition"]
    text = response.text
    assert section(text, "Requests by nationality") == [
        ["Nationality", "Cases", "People"], ["Senegal", "9", "12"], ["Mali", "<5", "<5"]
    ]  # fmt: skip
    assert section(text, "Grants by category") == [
        ["Category", "Cases", "People", "Planned (USD)", "Approved (USD)", "Delivered (USD)"],
        ["Equipment", "6", "9", "6000.0", "4800.0", "3000.0"],
        ["Training", "<5", "<5", "n<5", "n<5", "n<5"],
    ]
    assert section(text, "Days from each step to the next")[1] == [
        "Requested \u2192 Accepted", "8", "5.5", "12.0"
    ]  # fmt: skip
    assert "reports.downloaded" in await _audit_actions(bot)  # which filter, by whom


async def _audit_actions(bot: Runtime) -> list[str]:
    from sqlalchemy import select

    from bot.store.models import AuditEvent

    async with bot.store.unit() as unit:
        return list((await unit.connection.execute(select(AuditEvent.action))).scalars())


async def test_the_xlsx_has_a_sheet_per_section_with_the_same_hidden_cells(
    bot: Runtime, client: httpx.AsyncClient, cohort: dict[str, int]
) -> None:
    response = await client.get("/reports.xlsx?funder=EU")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Requests", "Funnel", "Grants", "Reintegration"]
    requests = [list(r) for r in workbook["Requests"].iter_rows(values_only=True)]
    assert ["Total", 8, 11] in requests  # the EU's two projects
    assert ["Mali", "<5", "<5"] in requests and ["Senegal", 6, 9] in requests
    grants = [list(r) for r in workbook["Grants"].iter_rows(values_only=True)]
    assert ["Training", "<5", "<5", "n<5", "n<5", "n<5"] in grants
    assert ["Equipment", 6, 9, 6000, 4800, 3000] in grants


async def test_filters_in_the_query_and_french_labels(
    bot: Runtime, client: httpx.AsyncClient, cohort: dict[str, int]
) -> None:
    page = await client.get(f"/reports?project={cohort['sahel']}&since=2026-01&until=2026-12")
    assert row(page.text, "Total") == ["6", "9"]
    assert f'<option value="{cohort["sahel"]}" selected>Sahel</option>' in page.text
    assert '<option value="Norway" >Norway</option>' in page.text
    older = await client.get("/reports?since=2025-01&until=2026-11&nationality=CM")
    assert row(older.text, "Total") == ["5", "5"]
    await client.post("/language", data={"language": "fr", "csrf_token": token(page)})
    french = await client.get("/reports")
    assert "<h1>Rapports</h1>" in french.text
    assert row(french.text, "Sénégal") == ["9", "12"]
    assert row(french.text, "Problème de santé urgent")[0] == "5"
    download = await client.get("/reports.csv")
    assert section(download.text, "Demandes par nationalité")[1] == ["Sénégal", "9", "12"]


def test_pygal_leaves_the_imports_of_the_process_alone() -> None:
    import bot.web.report_charts  # noqa: F401

    assert not [f for f in sys.meta_path if type(f).__module__.startswith("pygal")]
