"""Approving a pending revision applies what the moderator was shown: with `?revision=` (the
card's and the workshop page's forms send it), a revision the host changed since is not applied
(409 invalid-state), found by an outside review."""
from __future__ import annotations

from tests.factories import auth, make_community, make_user, make_workshop


async def _revised(client):
    host, organizer = await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community)
    url = f"/api/v1/workshops/{workshop['id']}"
    assert (await client.patch(url, json={"title": "Fix your bike!"}, headers=auth(host))).status_code == 200
    shown = (await client.get(url, headers=auth(organizer))).json()["pending_revision"]
    assert shown["proposed"] == {"title": "Fix your bike!"}
    return host, organizer, url, shown


async def test_a_revision_changed_after_it_was_shown_is_not_applied(client):
    host, organizer, url, shown = await _revised(client)
    assert (await client.patch(url, json={"title": "Buy my e-bikes at shady.example", "summary": "spam"},
                               headers=auth(host))).status_code == 200
    approved = await client.post(f"{url}/approve", params={"revision": shown["submitted_at"]},
                                 headers=auth(organizer))
    assert approved.status_code == 409 and approved.json()["type"].endswith("/invalid-state")
    public = (await client.get(url)).json()
    assert public["title"] != "Buy my e-bikes at shady.example"
    again = (await client.get(url, headers=auth(organizer))).json()["pending_revision"]
    assert again["submitted_at"] != shown["submitted_at"]
    assert (await client.post(f"{url}/approve", params={"revision": again["submitted_at"]},
                              headers=auth(organizer))).status_code == 200
    assert (await client.get(url)).json()["summary"] == "spam"


async def test_the_revision_shown_is_applied(client):
    _, organizer, url, shown = await _revised(client)
    approved = await client.post(f"{url}/approve", params={"revision": shown["submitted_at"]},
                                 headers=auth(organizer))
    assert approved.status_code == 200, approved.text
    assert (await client.get(url)).json()["title"] == "Fix your bike!"


async def test_a_revision_time_that_is_not_one_is_400(client):
    _, organizer, url, _ = await _revised(client)
    answer = await client.post(f"{url}/approve", params={"revision": "yesterday"}, headers=auth(organizer))
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "revision"
