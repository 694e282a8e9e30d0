"""The organizers' attendance dashboard (`/organize/dashboard`): who may see it, the default
range, the SVG charts whose bars follow the report's figures (parsed back), the tables beside
them, the CSV download (the API's bytes), date validation and the French page."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from tests.api.workshops.test_pages import BROWSER, html_page
from tests.factories import (
    auth,
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_workshop,
)

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"
ROLES = ["anonymous", "participant", "host", "organizer", "other_organizer", "admin"]
PLOT_HEIGHT = 160  # report_pages.FILL_HEIGHT: a 100 % week is this tall


def at(day: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, 17, tzinfo=UTC)


@pytest.fixture
async def cast(clock):
    """Today is 1 December 2026. Bike repair: a session on Tuesday 10 November (4 seats: Zoé 2
    attended, Émile 1 no-show) and one on Thursday 12 November (4 seats: Bob 1 not marked);
    Sourdough: Friday 20 November (4 seats: Zoé 1 attended). Week of 9 November: 4 of 8 seats
    (50 %); week of 16 November: 1 of 4 (25 %). A session on 1 August (2 seats, both booked) is
    outside the default range (the past 4 weeks and the coming 8)."""
    host, organizer = await make_user(display_name="Hélène Host"), await make_user()
    community = await make_community(organizers=(organizer,), slug="belleville", name="Belleville")
    bike = await make_workshop(host=host, community=community, title="Bike repair", capacity=4)
    bread = await make_workshop(host=host, community=community, title="Sourdough", capacity=4)
    zoe, emile, bob = [await make_user(display_name=n) for n in ("Zoé", "Émile", "Bob")]
    tuesday, thursday = await make_session(bike, starts_at=at(10)), await make_session(bike, starts_at=at(12))
    friday = await make_session(bread, starts_at=at(20))
    august = await make_session(bread, starts_at=at(1, 8), capacity=2)
    await make_booking_row(tuesday, zoe, seats=2, attendance="attended")
    await make_booking_row(tuesday, emile, seats=1, attendance="no_show")
    await make_booking_row(thursday, bob, seats=1)
    await make_booking_row(friday, zoe, seats=1, attendance="attended")
    await make_booking_row(august, bob, seats=2, attendance="attended")
    other_organizer = await make_user()
    await make_community(organizers=(other_organizer,), slug="ailleurs", name="Ailleurs")
    return dict(host=host, organizer=organizer, participant=zoe, other_organizer=other_organizer,
                admin=await make_user(is_admin=True), anonymous=None, community=community)


def log_in(client, user) -> None:
    client.cookies.clear()
    if user is not None:
        client.cookies.set("alveole_session", user["token"])


def charts(html: str) -> dict[str, ET.Element]:
    """The page's inline chart SVGs, parsed as XML, by the id of their title."""
    found = re.findall(r'<svg class="chart".*?</svg>', html, re.DOTALL)
    return {root.get("aria-labelledby").split()[0]: root for root in map(ET.fromstring, found)}


def table_rows(html: str, table_id: str) -> list[list[str]]:
    body = html[html.index(f'<table id="{table_id}"'):]
    body = body[:body.index("</table>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)][1:]


async def dashboard(client, query="?community=belleville"):
    return await client.get(f"/organize/dashboard{query}", headers=BROWSER)


class TestWhoMaySeeIt:
    @pytest.mark.parametrize("who", ROLES)
    async def test_each_role_asking_for_belleville(self, client, cast, who):
        log_in(client, cast[who])
        response = await dashboard(client)
        if who == "anonymous":
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=%2Forganize%2Fdashboard%3Fcommunity%3Dbelleville"
        elif who in ("organizer", "admin"):
            assert "Attendance in Belleville" in html_page(response).title
        else:  # a participant, a host, another community's organizer
            page = html_page(response, 403)
            assert "Bike repair" not in page.visible

    @pytest.mark.parametrize("who", ROLES)
    async def test_the_csv_too(self, client, cast, who):
        log_in(client, cast[who])
        response = await client.get("/organize/dashboard.csv?community=belleville", headers=BROWSER)
        expected = 303 if who == "anonymous" else 200 if who in ("organizer", "admin") else 403
        assert response.status_code == expected, response.text
        if expected == 403:
            html_page(response, 403)

    async def test_without_a_community_each_sees_their_own_and_a_participant_none(self, client, cast):
        log_in(client, cast["other_organizer"])
        assert "Attendance in Ailleurs" in html_page(await dashboard(client, "")).title
        log_in(client, cast["organizer"])
        assert "Attendance in Belleville" in html_page(await dashboard(client, "")).title
        log_in(client, cast["participant"])
        html_page(await dashboard(client, ""), 403)

    async def test_an_admin_picks_a_community(self, client, cast):
        log_in(client, cast["admin"])
        response = await dashboard(client, "?community=ailleurs")
        html_page(response)
        assert '<option value="belleville">Belleville</option>' in response.text
        assert '<option value="ailleurs" selected>Ailleurs</option>' in response.text

    async def test_organizers_find_it_from_their_host_page_and_the_moderation_queue(self, client, cast):
        log_in(client, cast["organizer"])
        for path in ("/host", "/organize/moderation"):
            response = await client.get(path, headers=BROWSER)
            html_page(response)
            assert 'href="/organize/dashboard"' in response.text, path
        log_in(client, cast["participant"])
        assert 'href="/organize/dashboard"' not in (await client.get("/host", headers=BROWSER)).text

    async def test_an_unknown_community_is_404(self, client, cast):
        log_in(client, cast["admin"])
        html_page(await dashboard(client, "?community=nowhere"), 404)


class TestCharts:
    async def test_the_recent_past_and_the_coming_weeks_by_default(self, client, cast):
        # organizers plan ahead: a session in two weeks is in the default range, August is not
        coming = await make_session(await make_workshop(host=cast["host"], community=cast["community"],
                                                        title="Coming soon", capacity=4), starts_at=at(15, 12))
        await make_booking_row(coming, await make_user(), seats=1)
        log_in(client, cast["organizer"])
        response = await dashboard(client)
        page = html_page(response)
        assert 'name="from" value="2026-11-03"' in response.text and 'name="to" value="2027-01-26"' in response.text
        assert "November 3, 2026" in page.visible and "January 26, 2027" in page.visible
        assert "Sessions 4" in page.visible and "Booked seats 6 / 16" in page.visible  # August left out
        assert "Coming soon" in page.visible

    async def test_fill_rate_bars_follow_the_weeks(self, client, cast):
        log_in(client, cast["organizer"])
        response = await dashboard(client)
        svg = charts(response.text)["fill-chart-title"]
        assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 360 ")
        assert svg.find(f"{SVG}title").text == "Fill rate per week" and svg.find(f"{SVG}desc").text
        bars = svg.findall(f".//{SVG}rect[@class='bar']")
        assert [b.get("data-week") for b in bars] == ["2026-11-09", "2026-11-16"]
        assert [float(b.get("height")) for b in bars] == [0.5 * PLOT_HEIGHT, 0.25 * PLOT_HEIGHT]
        bottoms = {float(b.get("y")) + float(b.get("height")) for b in bars}
        assert len(bottoms) == 1  # on one baseline
        assert table_rows(response.text, "fill-table") == [["Nov 9, 2026", "2", "4", "8", "50%"],
                                                           ["Nov 16, 2026", "1", "1", "4", "25%"]]

    async def test_attended_and_no_show_per_workshop(self, client, cast):
        log_in(client, cast["organizer"])
        response = await dashboard(client)
        svg = charts(response.text)["attendance-chart-title"]
        assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 360 ")
        assert svg.find(f"{SVG}title").text == "Attended and no-show seats per workshop"
        assert "attended (dark blue), no-show (orange, striped)" in svg.find(f"{SVG}desc").text
        groups = svg.findall(f"{SVG}g[@class='workshop']")
        drawn = {g.get("data-title"): {r.get("class").split()[1]: (int(r.get("data-seats")), float(r.get("width")))
                                       for r in g.findall(f"{SVG}rect")} for g in groups}
        assert {title: {kind: seats for kind, (seats, _w) in bar.items()} for title, bar in drawn.items()} == {
            "Bike repair": {"attended": 2, "no_show": 1, "unknown": 1}, "Sourdough": {"attended": 1}}
        per_seat = {round(width / seats, 2) for bar in drawn.values() for seats, width in bar.values()}
        assert len(per_seat) == 1  # every segment's length is proportional to its seats
        assert table_rows(response.text, "attendance-table") == [["Bike repair", "2", "1", "1", "4"],
                                                                 ["Sourdough", "1", "0", "0", "1"]]

    async def test_a_wider_range_adds_the_august_week(self, client, cast):
        log_in(client, cast["organizer"])
        response = await dashboard(client, "?community=belleville&from=2026-07-01&to=2026-12-01")
        bars = charts(response.text)["fill-chart-title"].findall(f".//{SVG}rect[@class='bar']")
        assert [float(b.get("height")) for b in bars] == [PLOT_HEIGHT, 0.5 * PLOT_HEIGHT, 0.25 * PLOT_HEIGHT]

    async def test_an_empty_range_has_no_chart(self, client, cast):
        log_in(client, cast["organizer"])
        response = await dashboard(client, "?community=belleville&from=2025-01-01&to=2025-01-31")
        assert "No session starts in this range." in html_page(response).visible
        assert charts(response.text) == {}

    async def test_in_french(self, client, cast):
        log_in(client, cast["organizer"])
        client.cookies.set("alveole_lang", "fr")  # the language switch (the users' locale is en)
        response = await dashboard(client)
        page = html_page(response)
        assert "Participation à Belleville" in page.title and response.headers["content-language"] == "fr"
        assert "Taux de remplissage par semaine" in page.visible
        assert table_rows(response.text, "fill-table")[0] == ["9 nov. 2026", "2", "4", "8", "50\u00a0%"]


class TestCsv:
    @pytest.mark.parametrize("extra", ["", "&sep=;", "&from=2026-07-01&to=2026-12-31"])
    async def test_the_download_is_the_api_s_csv(self, client, cast, extra):
        log_in(client, cast["organizer"])
        page = await dashboard(client)
        assert 'href="/organize/dashboard.csv?community=belleville&amp;from=2026-11-03&amp;to=2027-01-26"' in page.text
        query = "from=2026-11-03&to=2027-01-26" if "from" not in extra else ""
        download = await client.get(f"/organize/dashboard.csv?community=belleville&{query}{extra}", headers=BROWSER)
        client.cookies.clear()
        api = await client.get(f"/api/v1/communities/belleville/attendance?format=csv&{query}{extra}",
                               headers=auth(cast["organizer"]))
        assert download.status_code == api.status_code == 200
        assert download.content == api.content and download.content.startswith("\ufeff".encode())
        for name in ("content-type", "content-disposition", "cache-control"):
            assert download.headers[name] == api.headers[name]
        assert download.content.count(b"\n") == (5 if extra.startswith("&from") else 4)  # header + sessions

    async def test_a_french_reader_gets_french_headings_the_api_keeps_its_keys(self, client, cast):
        log_in(client, cast["organizer"])
        client.cookies.set("alveole_lang", "fr")
        query = "community=belleville&from=2026-11-03&to=2027-01-26&sep=;"
        download = await client.get(f"/organize/dashboard.csv?{query}", headers=BROWSER)
        assert download.status_code == 200
        header, _, rows = download.content.decode("utf-8-sig").partition("\r\n")
        assert header.startswith("N° de séance;N° d’atelier;Atelier;Début;Places en tout;Places réservées")
        assert "session_id" not in header and "Taux de remplissage" in header
        api = await client.get(f"/api/v1/communities/belleville/attendance?format=csv&{query}",
                               headers={**auth(cast["organizer"]), "Accept-Language": "fr-FR"})
        api_header, _, api_rows = api.content.decode("utf-8-sig").partition("\r\n")
        assert api_header.startswith("session_id;workshop_id;workshop_title") and rows == api_rows

    async def test_a_bad_separator_or_date_is_a_400_page(self, client, cast):
        log_in(client, cast["organizer"])
        html_page(await client.get("/organize/dashboard.csv?community=belleville&sep=x", headers=BROWSER), 400)
        html_page(await client.get("/organize/dashboard.csv?community=belleville&from=soon", headers=BROWSER), 400)


class TestDates:
    @pytest.mark.parametrize(("query", "field", "message"), [
        ("from=soon", "from", "Enter the first day as a date"),
        ("from=2026-02-30", "from", "Enter the first day as a date"),
        ("from=2026-12-01&to=2026-11-01", "to", "on or after the first day"),
        ("from=2000-01-01&to=2026-12-01", "to", "at most 10 years"),
    ])
    async def test_a_friendly_400_with_the_message_next_to_the_field(self, client, cast, query, field, message):
        log_in(client, cast["organizer"])
        response = await dashboard(client, f"?community=belleville&{query}")
        page = html_page(response, 400)
        assert page.title.startswith("Error:") and "There is a problem" in page.visible and message in page.visible
        assert f'id="{field}-error"' in response.text and f'href="#{field}"' in response.text
        assert 'aria-invalid="true"' in response.text and charts(response.text) == {}

    async def test_in_french(self, client, cast):
        log_in(client, cast["organizer"])
        client.cookies.set("alveole_lang", "fr")
        page = html_page(await dashboard(client, "?community=belleville&from=bientot"), 400)
        assert "Il y a un problème" in page.visible and "Erreur" in page.title
