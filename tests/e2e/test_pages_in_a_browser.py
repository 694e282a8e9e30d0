"""Journeys through the public and account pages in chromium, JavaScript off (the pages hold
none), in English and French (360 px and axe-core: test_accessibility.py; the whole loop:
test_journey.py)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, ORGANIZER, expect_title, open_menu, sign_up

pytestmark = pytest.mark.slow


def test_sign_up_see_the_workshops_then_log_out(new_page):
    page = new_page()
    sign_up(page, "Noor")
    assert page.url.endswith("/")
    status = page.get_by_role("status")
    assert "Welcome" in status.inner_text()
    open_menu(page)
    assert "Logged in as Noor" in page.locator("header").inner_text()
    assert "Belleville" in page.title()
    assert page.get_by_role("link", name="Pain au levain").is_visible()
    page.get_by_role("button", name="Log out").click()
    assert "You are logged out" in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name="Log in").is_visible()


def test_a_wrong_form_says_what_to_fix(new_page):
    page = new_page()
    page.goto("/signup")
    page.get_by_role("button", name="Create my account").click()
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    summary.get_by_role("link", name=re.compile("Enter your name")).click()
    assert page.url.endswith("#display_name")
    expect_title(page, "Error:")


def test_log_in_with_a_demo_login(new_page):
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email address").fill("amina@alveole.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert "not right" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Email address").input_value() == "amina@alveole.test"
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Amina's account is in French: her pages follow it
    assert "Vous êtes connecté·e" in page.get_by_role("status").inner_text()
    open_menu(page)
    assert "Amina Diallo" in page.locator("header").inner_text()


def test_the_language_switch_is_remembered(new_page):
    page = new_page(locale="en-GB")
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Français").click()
    assert page.url.endswith("/login")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Se connecter").is_visible()
    page.goto("/")
    expect_title(page, "Ateliers à Belleville")
    page.get_by_role("button", name="English").click()
    expect_title(page, "Workshops in Belleville")


def test_first_visit_follows_accept_language(new_page):
    page = new_page(locale="fr-FR")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Aller au contenu principal").count() == 1


def test_the_home_filters(new_page):
    page = new_page()
    page.goto("/")
    page.locator("main summary", has_text="Filter").click()
    page.get_by_label("Price").select_option("on_site")
    page.get_by_role("button", name="Show workshops").click()
    results = page.locator("main").inner_text()
    assert "Pain au levain" in results and "Tableur" not in results
    assert "payment=on_site" in page.url
    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_label("Search").fill("spreadsheet")
    page.get_by_role("button", name="Show workshops").click()
    results = page.locator("main").inner_text()
    assert "Tableur : les bases" in results and "Pain au levain" not in results
    page.locator("main summary", has_text="Filter").click()  # a search alone leaves them folded
    page.get_by_label("From", exact=True).fill("2000-01-02")
    page.get_by_label("Until", exact=True).fill("2000-01-01")
    page.get_by_role("button", name="Show workshops").click()
    assert "There is a problem" in page.get_by_role("alert").inner_text()


def test_a_workshop_and_its_host(new_page):
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="Pain au levain").click()
    expect_title(page, "Pain au levain")
    page.get_by_role("link", name="See the host's profile").click()
    assert page.url.rsplit("/", 2)[-2] == "hosts"
    assert "Pain au levain" in page.locator("main").inner_text()


def test_a_404_page_in_french(new_page):
    page = new_page(locale="fr-FR")
    response = page.goto("/nulle-part")
    assert response.status == 404
    expect_title(page, "Page introuvable")
    page.get_by_role("link", name="Aller à la page d'accueil").click()
    expect_title(page, "Ateliers à Belleville")


def test_the_skip_link_and_visible_focus(new_page):
    page = new_page(javascript=True)
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]")
    assert focused == ["Skip to main content", "solid"]
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_on_a_phone_the_first_workshop_is_in_the_first_screen(new_page, locale):
    """At 360 × 640 the filters are folded (a <details>, no JavaScript) and the first workshop's
    card shows, title and all, without scrolling; a filter in use keeps them unfolded."""
    page = new_page(locale=locale, width=360)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto("/")
    title = page.locator("main .card h3 a").first
    box = title.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 640, f"the first workshop's title ends at {box}"
    assert page.locator("main .card").first.bounding_box()["y"] < 640
    filters = page.locator("main details.more-filters")
    assert filters.count() == 1 and filters.get_attribute("open") is None
    assert not page.get_by_label(re.compile("^(Price|Prix)$")).is_visible()
    assert page.get_by_label(re.compile("^(Search|Rechercher)$")).is_visible()
    filters.locator("summary").click()  # the browser unfolds it, JavaScript off
    page.get_by_label(re.compile("^(Price|Prix)$")).select_option("on_site")
    page.locator("main form[role=search] button[type=submit]").click()
    assert "payment=on_site" in page.url
    assert page.locator("main details.more-filters").get_attribute("open") is not None
    assert page.get_by_label(re.compile("^(Price|Prix)$")).is_visible()


def test_a_participant_sees_her_booking_on_the_workshop_page(new_page):
    """Chloé (the demo's participant, in French) opens a workshop she booked: no Book button
    for that session, but what she holds, with the way to her booking."""
    from tests.e2e.conftest import PARTICIPANT

    page = new_page(locale="fr-FR", width=360, user=PARTICIPANT)
    page.goto("/me/bookings")
    page.locator("main .booking h3 a").first.click()
    place = page.locator("main .my-place").first
    assert "Vous êtes inscrit·e" in place.inner_text()
    place.get_by_role("link", name="La voir dans mes réservations").click()
    assert "/me/bookings" in page.url


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_logged_in_header_is_compact_at_360_px(new_page, locale):
    """Issue 19.6: the logged-in header took 7 lines on a phone. Now at most 3, the account's
    items folded in a menu that opens without JavaScript; an organizer has Moderation (with
    what waits) in the bar and Dashboard in the menu."""
    page = new_page(locale=locale, width=360, user=ORGANIZER)
    page.goto("/")
    header = page.locator("header")
    # the lines the header's items sit on (an item's vertical middle, items of a line within 12 px)
    middles = sorted(b["y"] + b["height"] / 2 for b in (
        item.bounding_box() for item in header.locator(".site-name, .language-switch, .nav > li").all()))
    lines = 1 + sum(1 for a, b in zip(middles, middles[1:]) if b - a > 12)
    assert lines <= 3, middles
    moderation = header.get_by_role("link", name=re.compile("^(Moderation|Modération)"))
    assert re.search(r"\d+ (waiting|en attente)", moderation.inner_text() + moderation.text_content())
    moderation.click()
    assert "/organize/moderation" in page.url
    open_menu(page)
    page.locator("header").get_by_role("link", name=re.compile("^(Dashboard|Tableau de bord)$")).click()
    assert "/organize/dashboard" in page.url
    assert not header.get_by_role("link", name=re.compile("My account|Mon compte")).is_visible()
    open_menu(page)
    page.locator("header").get_by_role("link", name=re.compile("My account|Mon compte")).click()
    assert page.url.endswith("/me/account")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
