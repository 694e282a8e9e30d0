"""Relays of a community: named, listed and removed by its organizers (and admins) only."""
from __future__ import annotations

import pytest

from tests.factories import auth, make_community, make_user


@pytest.fixture
async def cast():
    organizer, relay = await make_user(), await make_user(display_name="Bibliothèque")
    community = await make_community(organizers=(organizer,))
    other_organizer = await make_user()
    await make_community(organizers=(other_organizer,))
    return dict(organizer=organizer, relay=relay, community=community, other_organizer=other_organizer,
                user=await make_user(), admin=await make_user(is_admin=True))


def path(cast, tail=""):
    return f"/api/v1/communities/{cast['community']['slug']}/relays{tail}"


async def test_an_organizer_names_lists_and_removes_a_relay(client, cast):
    answer = await client.post(path(cast), json={"email": cast["relay"]["email"]}, headers=auth(cast["organizer"]))
    assert answer.status_code == 201, answer.text
    assert answer.json()["user_id"] == cast["relay"]["id"]
    assert answer.json()["display_name"] == "Bibliothèque"
    again = await client.post(path(cast), json={"email": cast["relay"]["email"]}, headers=auth(cast["organizer"]))
    assert again.status_code == 200
    listed = (await client.get(path(cast), headers=auth(cast["organizer"]))).json()
    assert listed["total"] == 1 and listed["items"][0]["user_id"] == cast["relay"]["id"]
    gone = await client.delete(path(cast, f"/{cast['relay']['id']}"), headers=auth(cast["organizer"]))
    assert gone.status_code == 204
    assert (await client.get(path(cast), headers=auth(cast["admin"]))).json()["total"] == 0
    again = await client.delete(path(cast, f"/{cast['relay']['id']}"), headers=auth(cast["organizer"]))
    assert again.status_code == 404


async def test_an_unknown_address_is_404_and_a_bad_one_400(client, cast):
    answer = await client.post(path(cast), json={"email": "nobody@example.org"}, headers=auth(cast["organizer"]))
    assert answer.status_code == 404
    answer = await client.post(path(cast), json={"email": "not an address"}, headers=auth(cast["organizer"]))
    assert answer.status_code == 400


@pytest.mark.parametrize("who", ["anonymous", "user", "relay", "other_organizer"])
async def test_others_are_refused_and_nothing_is_written(client, cast, who):
    await client.post(path(cast), json={"email": cast["relay"]["email"]}, headers=auth(cast["organizer"]))
    headers = auth(cast[who]) if who != "anonymous" else {}
    expected = 401 if who == "anonymous" else 403
    answer = await client.post(path(cast), json={"email": cast["user"]["email"]}, headers=headers)
    assert answer.status_code == expected
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(path(cast), headers=headers)).status_code == expected
    assert (await client.delete(path(cast, f"/{cast['relay']['id']}"), headers=headers)).status_code == expected
    listed = (await client.get(path(cast), headers=auth(cast["organizer"]))).json()
    assert [r["user_id"] for r in listed["items"]] == [cast["relay"]["id"]]


async def test_an_unknown_community_is_404(client, cast):
    answer = await client.get("/api/v1/communities/nowhere/relays", headers=auth(cast["admin"]))
    assert answer.status_code == 404
