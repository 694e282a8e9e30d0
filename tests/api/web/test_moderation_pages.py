"""The organizers' moderation pages over HTTP: the queue (their communities; admins: all),
approve, reject with a reason; every role, CSRF refusals, French."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from tests.api.web import test_host_pages
from tests.api.web.test_host_pages import BROWSER, FR, api_workshop, error_ids, log_in
from tests.api.workshops.test_pages import html_page
from tests.factories import make_session, make_workshop

PARIS = ZoneInfo("Europe/Paris")

cast = test_host_pages.cast  # the same people and workshops as the host pages' tests


@pytest.fixture
async def queue(cast) -> dict[str, dict]:
    """A submitted workshop in each community, and a draft nobody reviews."""
    return {
        "mine": await make_workshop(host=cast.host, community=cast.community, title="Compost basics",
                                    status="submitted", published_at=None),
        "theirs": await make_workshop(host=cast.host, community=cast.other_community, title="Lyon silk",
                                      status="submitted", published_at=None),
    }


class TestQueue:
    @pytest.mark.parametrize(("role", "status"), [("participant", 403), ("host", 403), ("organizer", 200),
                                                  ("other_organizer", 200), ("admin", 200)])
    async def test_who_sees_the_queue(self, client, cast, settings, queue, role, status):
        log_in(client, getattr(cast, role), settings)
        answer = await client.get("/organize/moderation", headers=BROWSER)
        page = html_page(answer, status)
        if role == "organizer":
            assert "Compost basics" in page.visible and "Lyon silk" not in page.visible
            assert "Secret draft" not in page.visible and "Bike repair" not in page.visible
        if role == "admin":
            assert "Compost basics" in page.visible and "Lyon silk" in page.visible
        for name in ("participant", "host"):
            if role == name:
                assert "Compost basics" not in answer.text

    async def test_a_visitor_is_sent_to_log_in(self, client, cast, settings):
        log_in(client, None, settings)
        for path in ("/organize/moderation", f"/workshops/{cast.draft['id']}/reject"):
            answer = await client.get(path, headers=BROWSER)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")

    async def test_in_french(self, client, cast, settings, queue):
        log_in(client, cast.organizer, settings, "fr")
        page = html_page(await client.get("/organize/moderation", headers=FR))
        assert "File de modération" in page.title and "Approuver" in page.visible and "Refuser" in page.visible

    async def test_empty(self, client, cast, settings):
        log_in(client, cast.organizer, settings)
        assert "Nothing is waiting" in html_page(await client.get("/organize/moderation", headers=BROWSER)).visible


class TestApprove:
    async def test_an_organizer_approves(self, client, cast, settings, queue):
        token = log_in(client, cast.organizer, settings)
        answer = await client.post(f"/workshops/{queue['mine']['id']}/approve", data={"csrf_token": token},
                                   headers=BROWSER)
        assert answer.status_code == 303 and answer.headers["location"] == "/organize/moderation"
        assert (await api_workshop(client, cast.host, queue["mine"]["id"]))["status"] == "published"
        page = html_page(await client.get("/organize/moderation", headers=BROWSER))
        assert "Approved" in page.visible and "Compost basics" not in page.visible
        twice = await client.post(f"/workshops/{queue['mine']['id']}/approve", data={"csrf_token": token},
                                  headers=BROWSER)
        assert twice.status_code == 303  # invalid-state: told, not an error page
        assert "no longer waiting for review" in html_page(await client.get("/organize/moderation",
                                                                              headers=BROWSER)).visible

    @pytest.mark.parametrize(("role", "status"), [("participant", 404), ("host", 403), ("other_organizer", 404)])
    async def test_others_may_not(self, client, cast, settings, queue, role, status):
        token = log_in(client, getattr(cast, role), settings)
        answer = await client.post(f"/workshops/{queue['mine']['id']}/approve", data={"csrf_token": token},
                                   headers=BROWSER)
        html_page(answer, status)
        assert (await api_workshop(client, cast.host, queue["mine"]["id"]))["status"] == "submitted"

    async def test_without_the_token(self, client, cast, settings, queue):
        log_in(client, cast.organizer, settings)
        for path in (f"/workshops/{queue['mine']['id']}/approve", f"/workshops/{queue['mine']['id']}/reject"):
            answer = await client.post(path, data={"reason": "No"}, headers=BROWSER)
            assert answer.status_code == 403, path
        assert (await api_workshop(client, cast.host, queue["mine"]["id"]))["status"] == "submitted"


class TestReject:
    async def test_with_a_reason_the_host_then_reads(self, client, cast, settings, queue):
        token = log_in(client, cast.admin, settings)
        path = f"/workshops/{queue['mine']['id']}/reject"
        assert "Compost basics" in html_page(await client.get(path, headers=BROWSER)).title
        blank = await client.post(path, data={"reason": " ", "csrf_token": token}, headers=BROWSER)
        page = html_page(blank, 400)
        assert error_ids(blank.text) == {"reason"} and "There is a problem" in page.visible
        done = await client.post(path, data={"reason": "Please add a venue address.", "csrf_token": token},
                                 headers=BROWSER)
        assert done.status_code == 303
        rejected = await api_workshop(client, cast.host, queue["mine"]["id"])
        assert rejected["status"] == "rejected" and rejected["rejection_reason"] == "Please add a venue address."
        log_in(client, cast.host, settings)
        assert "Please add a venue address." in html_page(await client.get("/host", headers=BROWSER)).visible

    async def test_not_submitted_is_told(self, client, cast, settings):
        token = log_in(client, cast.organizer, settings)
        done = await client.post(f"/workshops/{cast.draft['id']}/reject", data={"reason": "No", "csrf_token": token},
                                 headers=BROWSER)
        assert done.status_code == 303
        assert (await api_workshop(client, cast.host, cast.draft["id"]))["status"] == "draft"

    @pytest.mark.parametrize(("role", "status"), [("participant", 404), ("host", 403), ("other_organizer", 404)])
    async def test_others_may_not(self, client, cast, settings, queue, role, status):
        log_in(client, getattr(cast, role), settings)
        html_page(await client.get(f"/workshops/{queue['mine']['id']}/reject", headers=BROWSER), status)

    async def test_in_french(self, client, cast, settings, queue):
        token = log_in(client, cast.organizer, settings, "fr")
        answer = await client.post(f"/workshops/{queue['mine']['id']}/reject", data={"reason": "", "csrf_token": token},
                                   headers=FR)
        assert "Dites à l’animateur" in html_page(answer, 400).visible


@pytest.fixture
async def revision(client, cast) -> dict:
    """The host's pending revision of `cast.published`: a new title, place and price."""
    from tests.factories import auth

    answer = await client.patch(f"/api/v1/workshops/{cast.published['id']}", headers=auth(cast.host), json={
        "title": "Bike repair for beginners", "venue": {"name": "Atelier Vélo", "address": "2 rue des Cascades"},
        "payment": "on_site", "price_cents": 500})
    assert answer.status_code == 200 and answer.json()["pending_revision"], answer.text
    return answer.json()


class TestCards:
    async def test_a_card_shows_sessions_place_price(self, client, cast, settings, queue):
        from web.kit import span
        from workshops.service import get_session

        session = await make_session(queue["mine"])
        log_in(client, cast.organizer, settings)
        answer = await client.get("/organize/moderation", headers=BROWSER)
        page = html_page(answer)
        start = (await get_session(session["id"])).starts_at
        shown = span(start, start, PARIS, "en")[0].replace("\u202f", " ")
        assert f'id="workshop-{queue["mine"]["id"]}"' in answer.text
        assert shown in page.visible  # in the community's zone
        assert "Maison du quartier, 1 rue de la Paix, Paris" in page.visible and "Free" in page.visible

    async def test_a_revision_shows_what_changes_side_by_side(self, client, cast, settings, revision):
        log_in(client, cast.organizer, settings)
        answer = await client.get("/organize/moderation", headers=BROWSER)
        page = html_page(answer)
        assert f'id="workshop-{cast.published["id"]}"' in answer.text
        assert "Changes to a published workshop" in page.visible
        rows = re.findall(r'<tr><th scope="row">(.*?)</th><td class="old">(.*?)</td><td class="new">(.*?)</td></tr>',
                          answer.text, re.DOTALL)
        assert rows == [("Title", "Bike repair", "Bike repair for beginners"),
                        ("Where", "Maison du quartier, 1 rue de la Paix, Paris", "Atelier Vélo, 2 rue des Cascades"),
                        ("How participants pay", "Free", "€5.00, paid on site")]
        assert "Approve the changes" in page.visible and "Reject the changes" in page.visible

    async def test_in_french(self, client, cast, settings, revision):
        log_in(client, cast.organizer, settings, "fr")
        page = html_page(await client.get("/organize/moderation", headers=FR))
        for text in ("Modifications d'un atelier publié", "Publié", "Proposé", "Ce qui change", "Approuver les modifications",
                     "Gratuit", "à régler sur place"):
            assert text in page.visible, text


class TestOnTheWorkshopPage:
    async def test_organizers_approve_a_revision_there(self, client, cast, settings, revision):
        token = log_in(client, cast.organizer, settings)
        page = html_page(await client.get(f"/workshops/{cast.published['id']}", headers=BROWSER))
        assert "Approve the changes" in page.visible and "wait for an organizer's approval" in page.visible
        assert "Bike repair for beginners" not in page.title  # the published version is shown
        answer = await client.post(f"/workshops/{cast.published['id']}/approve",
                                   data={"csrf_token": token, "back": "workshop"}, headers=BROWSER)
        assert answer.status_code == 303 and answer.headers["location"] == f"/workshops/{cast.published['id']}"
        page = html_page(await client.get(answer.headers["location"], headers=BROWSER))
        assert "Bike repair for beginners" in page.title and "Approved" in page.visible
        assert "Approve the changes" not in page.visible and "wait for an organizer" not in page.visible

    async def test_organizers_review_a_submitted_workshop_there(self, client, cast, settings, queue):
        log_in(client, cast.organizer, settings, "fr")
        page = html_page(await client.get(f"/workshops/{queue['mine']['id']}", headers=FR))
        assert "Approuver" in page.visible and "Refuser" in page.visible

    @pytest.mark.parametrize("role", ["participant", "host", "other_organizer", None])
    async def test_nobody_else_sees_the_buttons(self, client, cast, settings, revision, role):
        log_in(client, getattr(cast, role) if role else None, settings)
        page = html_page(await client.get(f"/workshops/{cast.published['id']}", headers=BROWSER))
        assert "Approve" not in page.visible and "Reject" not in page.visible
        # the host is told the changes wait; nobody else
        assert ("wait for an organizer's approval" in page.visible) == (role == "host")
