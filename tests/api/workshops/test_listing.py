"""GET /api/v1/workshops: published only, filters, paging, ordering, bad filters."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.workshops.test_workshops import WORKSHOPS, bad_fields
from tests.factories import make_community, make_session, make_workshop
from kernel.ports import Rating, SessionSeats

UTC = dt.timezone.utc


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def shelf(cast):
    """Workshops in Belleville and elsewhere, in every status, with sessions here and there."""
    c, other = cast.community, cast.other_community
    bike = await make_workshop(host=cast.host, community=c, title="Bike repair", category="Repair",
                               tags=["vélo"], venue_lat=48.8720, venue_lon=2.3770)
    bread = await make_workshop(host=cast.other_host, community=c, title="Sourdough bread",
                                summary="Feed a starter, knead, bake.", description="Flour provided.",
                                category="cooking", tags=["pain"], payment="on_site", price_cents=500,
                                venue_lat=48.8650, venue_lon=2.3980)
    online = await make_workshop(host=cast.host, community=c, title="Spreadsheets 101", category="digital",
                                 venue_name=None, venue_address=None, venue_lat=None, venue_lon=None,
                                 online_url="https://meet.example.org/sheets", tags=["100%_fun"])
    lyon = await make_workshop(host=cast.other_host, community=other, title="Bike polo", category="sport",
                               venue_lat=45.7740, venue_lon=4.8320)
    drafts = [await make_workshop(host=cast.host, community=c, title=f"Bike {s}", status=s)
              for s in ("draft", "submitted", "rejected", "cancelled", "archived")]
    sessions = {
        "bike": await make_session(bike, starts_at=dt.datetime(2026, 12, 12, 13, tzinfo=UTC)),
        "bike_past": await make_session(bike, starts_at=dt.datetime(2026, 11, 12, 13, tzinfo=UTC)),
        "bread": await make_session(bread, starts_at=dt.datetime(2026, 12, 5, 9, tzinfo=UTC)),
        "bread_cancelled": await make_session(bread, starts_at=dt.datetime(2026, 12, 19, 9, tzinfo=UTC),
                                              status="cancelled"),
        "lyon": await make_session(lyon, starts_at=dt.datetime(2026, 12, 3, 18, tzinfo=UTC)),
    }
    for draft in drafts:
        await make_session(draft, starts_at=dt.datetime(2026, 12, 4, 13, tzinfo=UTC))
    return {"bike": bike, "bread": bread, "online": online, "lyon": lyon, "sessions": sessions}


class TestListing:
    async def test_published_only_soonest_next_session_first(self, client, shelf):
        response = await client.get(WORKSHOPS)
        assert ids(response) == [shelf["lyon"]["id"], shelf["bread"]["id"], shelf["bike"]["id"],
                                 shelf["online"]["id"]]
        assert response.json()["total"] == 4

    async def test_items_carry_next_session_and_rating_but_not_all_sessions(self, client, shelf, stats):
        bike = shelf["bike"]
        stats.seats[shelf["sessions"]["bike"]["id"]] = SessionSeats(seats_taken=7)
        stats.ratings[bike["id"]] = Rating(average=4.5, count=4)
        items = {i["id"]: i for i in (await client.get(WORKSHOPS)).json()["items"]}
        item = items[bike["id"]]
        assert "sessions" not in item
        assert item["next_session"]["id"] == shelf["sessions"]["bike"]["id"]
        assert item["next_session"]["seats_left"] == 3
        assert item["rating"] == {"average": 4.5, "count": 4}
        assert items[shelf["online"]["id"]]["next_session"] is None
        assert item["host"]["id"] == bike["host"] and item["community"] == "belleville"

    async def test_paging(self, client, shelf):
        everything = ids(await client.get(WORKSHOPS))
        page = await client.get(WORKSHOPS, params={"limit": 2, "offset": 1})
        assert ids(page) == everything[1:3] and page.json()["total"] == 4
        assert ids(await client.get(WORKSHOPS, params={"offset": 10})) == []

    async def test_community(self, client, shelf):
        assert ids(await client.get(WORKSHOPS, params={"community": "lyon-croix-rousse"})) == [shelf["lyon"]["id"]]
        response = await client.get(WORKSHOPS, params={"community": "nowhere"})
        assert response.json() == {"items": [], "total": 0}

    async def test_category_ignores_case(self, client, shelf):
        assert ids(await client.get(WORKSHOPS, params={"category": "repair"})) == [shelf["bike"]["id"]]
        assert ids(await client.get(WORKSHOPS, params={"category": "COOKING"})) == [shelf["bread"]["id"]]
        assert ids(await client.get(WORKSHOPS, params={"category": "cook"})) == []

    @pytest.mark.parametrize("q,expected", [
        # the factory's description "Bring your bike." is in every workshop but bread
        ("BIKE", ["lyon", "bike", "online"]), ("bike polo", ["lyon"]), ("starter", ["bread"]),
        ("FLOUR", ["bread"]), ("pain", ["bread"]), ("vélo", ["bike"]), ("100%_", ["online"]),
        ("%", ["online"]), ("_f", ["online"]), ("0_", []), ("nothing like it", []),
        # accents and case ignored both ways, on both databases (the tag is "vélo")
        ("velo", ["bike"]), ("VELO", ["bike"]), ("VÉLO", ["bike"]), ("Sourdough BREAD", ["bread"]),
    ])
    async def test_q_searches_text_and_tags(self, client, shelf, q, expected):
        assert ids(await client.get(WORKSHOPS, params={"q": q})) == [shelf[k]["id"] for k in expected]

    async def test_q_ignores_accents_and_case_in_every_field(self, client, cast):
        cafe = await make_workshop(host=cast.host, community=cast.community, title="Le Café des RÉPARATEURS",
                                   summary="Crème brûlée", description="Rendez-vous **rue de l'Été**",
                                   tags=["Straße"])
        for q in ("CAFE", "café", "Cafe des reparateurs", "creme BRULEE", "rue de l'ete", "strasse", "STRAẞE"):
            assert ids(await client.get(WORKSHOPS, params={"q": q})) == [cafe["id"]], q
        assert ids(await client.get(WORKSHOPS, params={"q": "reparateurs\ncreme"})) == []  # never across fields

    async def test_payment(self, client, shelf):
        assert ids(await client.get(WORKSHOPS, params={"payment": "on_site"})) == [shelf["bread"]["id"]]
        assert ids(await client.get(WORKSHOPS, params={"payment": "stripe"})) == []

    async def test_host(self, client, shelf, cast):
        assert ids(await client.get(WORKSHOPS, params={"host": str(cast.host["id"])})) == [
            shelf["bike"]["id"], shelf["online"]["id"]]

    async def test_dates_in_the_community_zone(self, client, shelf):
        # bread starts 2026-12-05 10:00 Paris; bike 12-12; bike's past session and cancelled ones don't count
        params = {"community": "belleville", "from": "2026-12-05", "to": "2026-12-05"}
        assert ids(await client.get(WORKSHOPS, params=params)) == [shelf["bread"]["id"]]
        params = {"from": "2026-12-06"}
        assert ids(await client.get(WORKSHOPS, params=params)) == [shelf["bike"]["id"]]
        params = {"from": "2026-12-13", "to": "2026-12-31"}
        assert ids(await client.get(WORKSHOPS, params=params)) == []
        params = {"to": "2026-11-30"}
        assert ids(await client.get(WORKSHOPS, params=params)) == [shelf["bike"]["id"]]

    async def test_datetimes(self, client, shelf):
        params = {"from": "2026-12-05T09:00:00Z", "to": "2026-12-05T09:00:01Z"}
        assert ids(await client.get(WORKSHOPS, params=params)) == [shelf["bread"]["id"]]
        params = {"from": "2026-12-05T10:00:01+01:00"}
        assert shelf["bread"]["id"] not in ids(await client.get(WORKSHOPS, params=params))

    async def test_near(self, client, shelf):
        # bike is ~0.07 km away, bread ~1.7 km, Lyon ~390 km
        near = {"near": "48.8725,2.3775"}
        assert ids(await client.get(WORKSHOPS, params={**near, "radius_km": "1"})) == [shelf["bike"]["id"]]
        both = await client.get(WORKSHOPS, params={**near, "radius_km": "2"})
        assert ids(both) == [shelf["bike"]["id"], shelf["bread"]["id"]]
        assert both.json()["total"] == 2
        assert ids(await client.get(WORKSHOPS, params=near)) == [shelf["bike"]["id"], shelf["bread"]["id"]]
        assert ids(await client.get(WORKSHOPS, params={**near, "radius_km": "1000"})) == [
            shelf["bike"]["id"], shelf["bread"]["id"], shelf["lyon"]["id"]]
        page = await client.get(WORKSHOPS, params={**near, "radius_km": "1000", "offset": 1, "limit": 1})
        assert ids(page) == [shelf["bread"]["id"]] and page.json()["total"] == 3

    async def test_filters_combine(self, client, shelf):
        params = {"q": "bike", "community": "belleville", "near": "48.872,2.377", "from": "2026-12-01"}
        assert ids(await client.get(WORKSHOPS, params=params)) == [shelf["bike"]["id"]]

    @pytest.mark.parametrize("params,field", [
        ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"), ({"from": "soon"}, "from"), ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-12-10", "to": "2026-12-01"}, "to"), ({"near": "48.8"}, "near"),
        ({"near": "north,south"}, "near"), ({"near": "48,2", "radius_km": "0"}, "radius_km"),
        ({"radius_km": "3"}, "radius_km"), ({"payment": "cash"}, "payment"), ({"host": "me"}, "host"),
        ({"q": "bike\u0000"}, "q"), ({"category": "\u0000"}, "category"), ({"from": "9999-12-31T23:00:00-05:00"}, "from"),
        ({"to": "9999-12-31"}, "to"), ({"community": "belle\u0000ville"}, "community"), ({"from": "0001-01-01T00:00:00+05:00"}, "from"),
    ])

    async def test_bad_filters_name_the_parameter(self, client, shelf, params, field):
        assert field in bad_fields(await client.get(WORKSHOPS, params=params))


class TestListingScale:
    async def test_counts_in_the_database(self, client, cast):
        community = await make_community()
        for n in range(30):
            await make_workshop(host=cast.host, community=community, title=f"Workshop {n}")
        response = await client.get(WORKSHOPS, params={"community": community["slug"], "limit": 5})
        assert response.json()["total"] == 30 and len(response.json()["items"]) == 5
