"""The listing's two ways to a page (`workshops.repository.listing_page`): walking the scheduled
sessions in start order and seeking every matching workshop's next session give the same pages,
in the same order, for every filter and offset, including the pages where the workshops without
a next session begin; the walk is chosen for the first pages of a large listing and is an index
walk on SQLite."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.sql import fetch_all
from tests.conftest import T0
from tests.factories import make_community, make_user
from workshops import repository, rules
from workshops.tables import Workshop, WorkshopSession
from workshops.text import search_text

H = dt.timedelta(hours=1)


@pytest.fixture
async def city(db):
    """90 published workshops over two communities (and 10 drafts): most with upcoming sessions
    (several starting at the same instant, some cancelled, one workshop with two sessions at
    once), some with past sessions only, some with none."""
    host = await make_user()
    communities = [await make_community(), await make_community()]
    workshops = [
        Workshop(community=communities[n % 2]["id"], host=host["id"], title=f"Workshop {n}", summary="s",
                 description="bike repair" if n % 3 == 0 else "cooking", category=("repair", "food")[n % 2],
                 tags=["tag"], language="en", capacity=10, payment=("free", "on_site")[n % 5 == 0],
                 price_cents=0 if n % 5 else 500, currency="eur",
                 status="draft" if n % 10 == 9 else "published", created_at=T0, updated_at=T0, published_at=T0,
                 search_text=search_text(f"Workshop {n}", "s", "bike repair" if n % 3 == 0 else "cooking", ["tag"]))
        for n in range(100)
    ]
    await Workshop.insert(*workshops)
    sessions = []
    for n, w in enumerate(workshops):
        if n % 7 == 3:  # no session at all
            continue
        if n % 7 == 5:  # past sessions only
            starts = [T0 - (n + 1) * H, T0 - 2 * (n + 1) * H]
        else:  # upcoming: many on the same few instants (ties), plus later ones
            starts = [T0 + (n % 6) * H, T0 + (100 + n) * H, T0 - H]
        for k, start in enumerate(starts):
            status = "cancelled" if n % 11 == 0 and k == 0 else "scheduled"
            sessions.append(WorkshopSession(workshop=w.id, starts_at=start, ends_at=start + H, timezone="UTC",
                                            capacity=10, status=status, sequence=0, created_at=T0, updated_at=T0))
        if n == 12:  # two sessions at the same instant: the lower id is the next one
            sessions.append(WorkshopSession(workshop=w.id, starts_at=T0 + (n % 6) * H, ends_at=T0 + 2 * H,
                                            timezone="UTC", capacity=10, status="scheduled", sequence=0,
                                            created_at=T0, updated_at=T0))
    await WorkshopSession.insert(*sessions)
    return {"communities": communities, "workshops": workshops, "sessions": sessions}


def _expected(city) -> list[tuple[int, int | None]]:
    """(workshop id, next session id) of every published workshop in the listing's order."""
    result = []
    for w in city["workshops"]:
        if w.status != "published":
            continue
        upcoming = sorted((s.starts_at, s.id) for s in city["sessions"]
                          if s.workshop == w.id and s.status == "scheduled" and s.starts_at >= T0)
        result.append((w.id, upcoming[0] if upcoming else None))
    result.sort(key=lambda item: (item[1] is None, item[1][0] if item[1] else T0, -item[0]))
    return [(wid, nxt[1] if nxt else None) for wid, nxt in result]


async def _page(monkeypatch, way: str, query, community_id, limit, offset):
    # a walk cost of 0 always walks (then falls back where the walk ends); a huge one never does
    monkeypatch.setattr(repository, "_WALK_COST", 0 if way == "by session" else 10 ** 12)
    rows, total = await repository.listing_page(query, community_id, T0, limit, offset)
    return [(r["id"], r["next_id"]) for r in rows], total


@pytest.mark.parametrize("way", ["by session", "by workshop"])
async def test_every_page_is_the_listing_order(city, monkeypatch, way):
    expected = _expected(city)
    assert len(expected) == 90 and any(n is None for _, n in expected)
    for limit in (1, 7, 20):
        for offset in range(0, 95, 3):
            page, total = await _page(monkeypatch, way, rules.ListingQuery(), None, limit, offset)
            assert (page, total) == (expected[offset:offset + limit], 90), (limit, offset)


@pytest.mark.parametrize("query, community", [
    (rules.ListingQuery(), 0),
    (rules.ListingQuery(category="REPAIR"), None),
    (rules.ListingQuery(q="bike"), 1),
    (rules.ListingQuery(payment="on_site"), None),
    (rules.ListingQuery(starts_from=T0 + 2 * H, starts_before=T0 + 4 * H), None),
])
async def test_both_ways_agree_under_every_filter(city, monkeypatch, query, community):
    community_id = None if community is None else city["communities"][community]["id"]
    first, total = await _page(monkeypatch, "by workshop", query, community_id, 200, 0)
    assert 0 < total == len(first) < 90
    for limit in (1, 4, 20):
        for offset in range(total + 2):
            walked = await _page(monkeypatch, "by session", query, community_id, limit, offset)
            sought = await _page(monkeypatch, "by workshop", query, community_id, limit, offset)
            assert walked == sought == (first[offset:offset + limit], total), (limit, offset)


async def test_the_first_pages_of_a_large_listing_walk_the_sessions(city, monkeypatch):
    statements = []

    async def spy(sql, *params):
        statements.append(sql.sqlite)
        return await fetch_all(sql, *params)

    monkeypatch.setattr(repository, "fetch_all", spy)
    await repository.listing_page(rules.ListingQuery(), None, T0, 20, 0)
    await repository.listing_page(rules.ListingQuery(), None, T0, 20, 60)
    walked, sought = statements
    assert "page_session" in walked and "page_session" not in sought


async def test_the_walk_is_an_index_walk_on_sqlite(city, is_postgres):
    if is_postgres:
        pytest.skip("query plans on small tables are the planner's choice on PostgreSQL; see bench/reads.py")
    f = repository._listing_filter(rules.ListingQuery(category="repair", q="bike"), city["communities"][0]["id"])
    statement = repository._rows_by_session(f)
    plan = await fetch_all(statement.prefixed("EXPLAIN QUERY PLAN "), *f.params, T0, 20, 0)
    details = [r["detail"] for r in plan]
    assert details[1] == ("SEARCH s USING COVERING INDEX workshop_session_status_starts"
                          " (status=? AND starts_at>?)"), details
    assert "SEARCH w USING INTEGER PRIMARY KEY (rowid=?)" in details
    assert not any("BLOOM" in d or d.startswith(("SCAN w", "SCAN s")) for d in details), details
    # sorted as walked: only ties in start time are sorted, by workshop
    assert "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY" in details
