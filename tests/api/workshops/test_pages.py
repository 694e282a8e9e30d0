"""GET /workshops/{id}: the public workshop page emails and feeds link to (outside finding 7)."""
from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from kernel.ports import SessionSeats
from tests.factories import auth, make_session, make_workshop
from kernel import i18n as pages  # page_language

UTC = dt.timezone.utc
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Outline(HTMLParser):
    """What a test needs of a page: the <title> text, the tags met, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title, self.tags, self.text, self._in_title = "", [], [], False
        self.doctype = ""
        self.feed(html)

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False if tag == "title" else self._in_title

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text.append(data)

    @property
    def visible(self) -> str:
        """The text with every run of white space (CLDR's narrow no-break spaces too) as one space."""
        return " ".join(" ".join(self.text).split())


def html_page(response, status: int = 200) -> Outline:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = Outline(response.text)
    assert page.doctype.lower() == "doctype html" and page.title.strip()
    assert "script" not in page.tags
    return page


class TestWorkshopPage:
    async def test_a_published_workshop_with_its_upcoming_sessions(self, client, cast, stats):
        workshop = await make_workshop(
            host=cast.host, community=cast.community, title="Bike repair", summary="Brakes and gears.",
            description="Bring your bike.\nAnd your questions.", payment="on_site", price_cents=500,
            venue_name="La Rockette", venue_address="125 rue du Chemin Vert, Paris", capacity=8)
        soon = await make_session(workshop, starts_at=dt.datetime(2026, 12, 5, 13, tzinfo=UTC))
        montreal = await make_session(workshop, starts_at=dt.datetime(2026, 12, 9, 23, tzinfo=UTC),
                                      timezone="America/Montreal")
        await make_session(workshop, starts_at=dt.datetime(2026, 11, 20, 13, tzinfo=UTC))  # past
        await make_session(workshop, starts_at=dt.datetime(2026, 12, 19, 13, tzinfo=UTC), status="cancelled")
        stats.seats[soon["id"]] = SessionSeats(seats_taken=5)
        stats.seats[montreal["id"]] = SessionSeats(seats_taken=8)

        response = await client.get(f"/workshops/{workshop['id']}", headers={"Accept-Language": "en-GB,en;q=0.8"})
        page = html_page(response)
        assert page.title.startswith("Bike repair")
        assert response.headers["content-language"] == "en"
        text = page.visible
        for expected in ("Bike repair", "Brakes and gears.", "Bring your bike. And your questions.", "Amina",
                         "La Rockette, 125 rue du Chemin Vert, Paris", "€5.00, paid on site",
                         "Saturday, December 5, 2026, 2:00 PM to 4:00 PM", "(Europe/Paris)",
                         "3 seats left", "Wednesday, December 9, 2026, 6:00 PM", "(America/Montreal)",
                         "Full, waitlist open"):
            assert expected in text, expected
        assert text.count("seats left") + text.count("Full") == 2  # past and cancelled ones are not shown
        assert "<p>Bring your bike.<br>\nAnd your questions.</p>" in response.text  # Markdown, line breaks kept

    async def test_in_french_from_accept_language(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, payment="free",
                                       venue_name=None, venue_address=None, venue_lat=None, venue_lon=None,
                                       online_url="https://meet.example.org/bikes")
        await make_session(workshop, starts_at=dt.datetime(2026, 12, 5, 13, tzinfo=UTC))
        response = await client.get(f"/workshops/{workshop['id']}",
                                    headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
        page = html_page(response)
        assert response.headers["content-language"] == "fr" and '<html lang="fr">' in response.text
        for expected in ("Animé par Amina", "En ligne", "Gratuit", "samedi 5 décembre 2026, 14:00 – 16:00",
                         "10 places restantes", "Prochaines séances"):
            assert expected in page.visible, expected
        assert 'href="https://meet.example.org/bikes"' in response.text

    async def test_text_is_escaped(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community,
                                       title="<script>alert(1)</script>", summary='"><img src=x onerror=alert(1)>',
                                       description="<b>bold</b> & **markdown**")
        response = await client.get(f"/workshops/{workshop['id']}")
        page = html_page(response)
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert "<img" not in response.text and "<b>" not in response.text
        assert page.title.startswith("<script>alert(1)</script>")  # as text, once unescaped
        assert "script" not in response.headers["content-security-policy"]

    @pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
    async def test_unpublished_and_unknown_are_a_plain_404_page(self, client, cast, status):
        workshop = await make_workshop(host=cast.host, community=cast.community, status=status,
                                       title="Secret plan")
        for path in (f"/workshops/{workshop['id']}", "/workshops/424242", "/workshops/abc",
                     "/workshops/99999999999999999999", "/workshops/0"):
            response = await client.get(path, headers=BROWSER)
            page = html_page(response, 404)
            assert "Secret plan" not in response.text and "not found" in page.title.lower()
        french = await client.get(f"/workshops/{workshop['id']}", headers={**BROWSER, "Accept-Language": "fr"})
        assert "Page introuvable" in html_page(french, 404).title

    async def test_the_host_may_preview_a_draft(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="draft")
        page = html_page(await client.get(f"/workshops/{workshop['id']}", headers=auth(cast.host)))
        assert "not public (draft)" in page.visible

    async def test_an_api_client_gets_the_problem_of_every_other_404(self, client, cast):
        response = await client.get("/workshops/424242", headers={"Accept": "application/json"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    async def test_cancelled_ones_say_so(self, client, cast):
        workshop = await make_workshop(host=cast.host, community=cast.community, status="cancelled")
        assert "has been cancelled" in html_page(await client.get(f"/workshops/{workshop['id']}")).visible

    async def test_the_link_in_emails_and_feeds_leads_here(self, client, cast):
        from workshops.calendar import workshop_url

        workshop = await make_workshop(host=cast.host, community=cast.community)
        path = workshop_url("http://alveole.test", workshop["id"]).removeprefix("http://alveole.test")
        html_page(await client.get(path))


class TestLanguage:
    @pytest.mark.parametrize("header,language", [
        (None, "en"), ("", "en"), ("fr", "fr"), ("fr-FR", "fr"), ("de, fr;q=0.5", "fr"),
        ("en;q=0.4, fr;q=0.6", "fr"), ("fr;q=0, en", "en"), ("*", "en"), ("es", "en"), ("fr;q=abc", "en"),
    ])
    def test_page_language(self, header, language):
        assert pages.page_language(header) == language
