"""GET /api/v1/communities/{slug}/attendance: who may read it, its parameters, and the CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book
from tests.integration.booking.test_report_scenario import build_scenario

URL = "/api/v1/communities/belleville/attendance"
RANGE = {"from": "2026-12-05", "to": "2026-12-31"}


@pytest.fixture
async def cast(clock):
    """A community with its organizer, a host with a booked session, and others of every kind."""
    host, organizer, participant = await make_user(), await make_user(), await make_user()
    community = await make_community(organizers=(organizer,), slug="belleville")
    workshop = await make_workshop(host=host, community=community)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=7))
    other_organizer, other_host = await make_user(), await make_user()
    await make_workshop(host=other_host, community=await make_community(organizers=(other_organizer,)))
    return dict(host=host, organizer=organizer, participant=participant, session=session,
                other_participant=await make_user(), other_host=other_host, other_organizer=other_organizer,
                admin=await make_user(is_admin=True))


class TestWhoMayRead:
    @pytest.mark.parametrize("who", ["organizer", "admin"])
    async def test_organizers_and_admins(self, client, cast, who):
        await book(client, cast["participant"], cast["session"]["id"], 2, expect=201)
        response = await client.get(URL, headers=auth(cast[who]))
        assert response.status_code == 200
        (row,) = response.json()["items"]
        assert (row["session_id"], row["booked_seats"]) == (cast["session"]["id"], 2)

    async def test_no_shared_cache_keeps_it(self, client, cast):
        for params in ({}, {"format": "csv"}):
            response = await client.get(URL, params=params, headers=auth(cast["organizer"]))
            assert response.status_code == 200
            assert response.headers["cache-control"] == "private, no-store"
            assert "Accept" in response.headers["vary"]

    @pytest.mark.parametrize("who", ["participant", "other_participant", "host", "other_host", "other_organizer"])
    async def test_anyone_else_is_refused(self, client, cast, who):
        await book(client, cast["participant"], cast["session"]["id"], expect=201)
        for params in ({}, {"format": "csv"}):
            response = await client.get(URL, params=params, headers=auth(cast[who]))
            assert response.status_code == 403 and response.json()["type"].endswith("/forbidden")
            assert "booked_seats" not in response.text

    async def test_anonymous(self, client, cast):
        response = await client.get(URL, headers={"Accept": "text/csv"})
        assert response.status_code == 401 and response.json()["type"].endswith("/not-authenticated")

    async def test_an_unknown_community(self, client, cast):
        for who in ("organizer", "admin"):
            response = await client.get("/api/v1/communities/nowhere/attendance", headers=auth(cast[who]))
            assert response.status_code == 404 and response.json()["type"].endswith("/not-found")


class TestParameters:
    @pytest.mark.parametrize("params, field", [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-12-01T10:00"}, "from"),
        ({"to": "31/12/2026"}, "to"),
        ({"to": "20261231"}, "to"),
        ({"from": "2026-12-31", "to": "2026-12-01"}, "to"),  # to before from
        ({"from": "2020-01-01", "to": "2030-01-02"}, "to"),  # over ten years
        ({"from": "0001-01-01", "to": "0001-12-31"}, "from"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
        ({"format": "pdf"}, "format"),
        ({"format": "csv", "sep": "|"}, "sep"),
        ({"format": "csv", "sep": ",,"}, "sep"),
    ])
    async def test_bad_values_are_a_400_naming_the_parameter(self, client, cast, params, field):
        response = await client.get(URL, params=params, headers=auth(cast["organizer"]))
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["type"].endswith("/validation-error")
        assert [e["field"] for e in body["errors"]] == [field]

    async def test_ten_years_exactly_and_a_single_day_are_fine(self, client, cast):
        for params in ({"from": "2020-01-01", "to": "2030-01-01"}, {"from": "2026-12-08", "to": "2026-12-08"}):
            response = await client.get(URL, params=params, headers=auth(cast["organizer"]))
            assert response.status_code == 200
            assert (response.json()["from"], response.json()["to"]) == (params["from"], params["to"])
        day = (await client.get(URL, params={"from": "2026-12-08", "to": "2026-12-08"},
                                headers=auth(cast["organizer"]))).json()
        assert [r["session_id"] for r in day["items"]] == [cast["session"]["id"]]  # 8 Dec, 10:00 in Paris


def parse(response) -> list[dict[str, str]]:
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    separator = ";" if text.splitlines()[0].count(";") else ","
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=separator))


class TestCsv:
    @pytest.fixture
    async def scenario(self, client, clock):
        return await build_scenario(client, clock)

    @pytest.mark.parametrize("how", [{"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}},
                                     {"headers": {"Accept": "application/json;q=0.5, text/csv"}}])
    async def test_the_session_rows_as_csv(self, client, scenario, how):
        headers = auth(scenario["organizer"]) | how.get("headers", {})
        json_rows = (await client.get(URL, params=RANGE, headers=auth(scenario["organizer"]))).json()["items"]
        response = await client.get(URL, params=RANGE | how.get("params", {}), headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == (
            'attachment; filename="attendance-belleville-2026-12-05-2026-12-31.csv"')
        rows = parse(response)
        assert list(rows[0]) == list(json_rows[0])  # the JSON row's fields, in its order
        assert len(rows) == len(json_rows) == 3
        for row, expected in zip(rows, json_rows):
            assert row == {k: _as_cell(v) for k, v in expected.items()}
        s1 = rows[0]
        assert (s1["booked_seats"], s1["fill_rate"], s1["no_show_rate"], s1["average_rating"]) == (
            "4", "1.0", "0.25", "4.5")
        assert (rows[1]["cancelled"], rows[1]["fill_rate"]) == ("true", "")  # S3: no rates

    async def test_semicolons_for_french_spreadsheets(self, client, scenario):
        response = await client.get(URL, params=RANGE | {"format": "csv", "sep": ";"},
                                    headers=auth(scenario["organizer"]))
        assert response.status_code == 200
        header = response.content.decode("utf-8-sig").splitlines()[0]
        assert header.startswith("session_id;workshop_id;workshop_title;starts_at;")
        rows = parse(response)
        assert [(r["workshop_title"], r["fill_rate"], r["no_show_rate"]) for r in rows] == [
            ("Bike repair", "1,0", "0,25"), ("Bread baking", "", ""), ("Bike repair", "0,75", "0,0")]

    async def test_json_is_the_default_and_format_wins_over_accept(self, client, scenario):
        headers = auth(scenario["organizer"])
        for extra, params in (({}, {}), ({"Accept": "*/*"}, {}), ({"Accept": "text/csv"}, {"format": "json"})):
            response = await client.get(URL, params=RANGE | params, headers=headers | extra)
            assert response.headers["content-type"].startswith("application/json")
            assert len(response.json()["items"]) == 3

    async def test_text_that_looks_like_a_formula_is_defused_and_quoting_holds(self, client, cast):
        workshop = await make_workshop(host=cast["host"], community=(await _community(cast)),
                                       title='=HYPERLINK("http://evil.example","x"); a, "quoted" title')
        session = await make_session(workshop, starts_at=cast["session"]["starts_at"] + dt.timedelta(hours=1))
        for sep in (",", ";"):
            response = await client.get(URL, params={"format": "csv", "sep": sep}, headers=auth(cast["organizer"]))
            rows = {int(r["session_id"]): r for r in parse(response)}
            assert rows[session["id"]]["workshop_title"] == (
                '\'=HYPERLINK("http://evil.example","x"); a, "quoted" title')

    async def test_an_empty_report_is_just_the_header(self, client, cast):
        response = await client.get(URL, params={"from": "2030-01-01", "to": "2030-01-31", "format": "csv"},
                                    headers=auth(cast["organizer"]))
        assert response.status_code == 200 and parse(response) == []
        assert response.content.decode("utf-8-sig").startswith("session_id,")


async def _community(cast):
    from accounts.tables import Community

    return await Community.select(Community.id).where(Community.slug == "belleville").first()


def _as_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
