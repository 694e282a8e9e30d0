"""A recipe travels (issue 24), in chromium with JavaScript off: a new host's workshop runs in
Belleville and she publishes its recipe; the admin opens a second community with its own
organizer; another host finds the recipe, runs it in his neighbourhood (a draft lands on its
edit page), adds the place and a session and submits it; that community's organizer approves
it; a neighbour there books it. The recipe page then counts both communities' workshops in its
lineage.

This module has a demo server of its own: it adds a community, which would change what the
home page shows in the other browser tests (one community: its workshops; several: a list).
As in test_journey, "the session is over" is the one thing a browser cannot do: the test moves
that session into the past in the server's database."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import (
    ADMIN,
    DemoServer,
    emailed_link,
    expect_title,
    log_in,
    serving_demo,
    sign_up,
)
from tests.e2e.test_journey import (
    Journey,
    _in_language,
    add_a_session,
    approve,
    newcomer,
    organizer,
    propose,
    submit,
    the_session_is_over,
)

pytestmark = pytest.mark.slow
OTHER = "menilmontant"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`alveole serve --demo` for this module alone (as the session's, in tests/e2e/conftest.py)."""
    with serving_demo(tmp_path_factory.mktemp("e2e-recipes")) as served:
        yield served


@pytest.fixture(scope="module")
def server(demo_server: DemoServer) -> str:
    return demo_server.url


def verified_newcomer(journey: Journey, who: str, name: str) -> str:
    """As test_journey's newcomer (sign up, follow the emailed link), in English; their address."""
    page = journey.new_page(locale="en-GB")
    address = sign_up(page, name)
    page.goto(emailed_link(journey.server, address, "verify_email"))
    page.get_by_role("button", name="Confirm my address").click()
    assert "Your email address is confirmed. Thank you!" in journey.flash(page)
    journey.pages[who] = page
    return address


def publish_the_recipe(journey: Journey) -> str:
    """The host's dashboard offers the recipe once the workshop ran; she publishes it."""
    page, t = journey.pages["host"], journey.t
    page.goto("/host")
    card = page.locator(".card", has_text=journey.title)
    card.get_by_role("link", name=journey.exactly("Publish the recipe")).click()
    expect_title(page, t("Publish the recipe of %(title)s", title=journey.title))
    page.get_by_label(t("Materials"), exact=True).fill("Paper envelopes\nA pencil\nSeeds to swap")
    page.get_by_label(t("Steps"), exact=True).fill(
        "Lay the seeds out by family\nExplain how to dry them\nLabel every envelope\nSwap")
    page.get_by_label(t("Duration in minutes")).fill("90")
    page.get_by_label(t("Group size (optional)")).fill("12")
    page.get_by_label("CC BY 4.0", exact=False).check()
    journey.shot(page, "recipe-form")
    page.get_by_role("button", name=t("Publish the recipe")).click()
    expect_title(page, t("Recipe: %(title)s", title=journey.title))
    assert t("Your recipe is published: anyone can now run it in their neighbourhood.") in journey.flash(page)
    assert "Label every envelope" in page.locator("main").inner_text()
    journey.shot(page, "recipe")
    # the printable sheet: the recipe without the site's header, footer and forms
    page.emulate_media(media="print")
    assert page.locator(".recipe-sheet").is_visible() and not page.locator("header.site-header").is_visible()
    assert not page.locator("footer").is_visible() and not page.locator("main form").first.is_visible()
    page.emulate_media(media="screen")
    return page.url.removeprefix(page.url.split("/recipes/")[0])


def open_a_community(journey: Journey, organizer_email: str) -> None:
    """The admin creates Ménilmontant (moderated) and names its organizer."""
    page = journey.new_page(locale="en-GB")
    log_in(page, ADMIN)
    _in_language(journey, page)  # a demo account: in French
    page.goto("/admin/communities")
    page.get_by_label("Name", exact=True).fill("Ménilmontant")
    page.get_by_label("Short name for addresses").fill(OTHER)
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_label("Organizers review workshops before they are published").check()
    page.get_by_role("button", name="Create the community").click()
    page.get_by_label("Their email address").fill(organizer_email)
    page.get_by_role("button", name="Add the organizer").click()
    assert "They are now an organizer of this community." in journey.flash(page)
    assert "Olga" in page.locator("main").inner_text()


def run_it_here(journey: Journey, recipe_path: str) -> None:
    """Another host finds the recipe by searching and makes his draft in Ménilmontant."""
    page, t = journey.pages["copier"], journey.t
    page.goto("/")
    page.get_by_role("link", name=t("Recipes: workshops to run in your neighbourhood")).click()
    expect_title(page, t("Recipes"))
    page.get_by_label(t("Search"), exact=True).fill("envelope")
    page.get_by_role("button", name=t("Show recipes")).click()
    page.get_by_role("link", name=journey.title).click()
    assert page.url.endswith(recipe_path), page.url
    page.get_by_label(t("Community"), exact=True).select_option(OTHER)
    page.get_by_role("button", name=t("Make my draft")).click()
    assert page.url.endswith("/edit"), page.url
    assert t("Your draft is ready: add its place, then its sessions, then submit it for review.") in journey.flash(page)
    assert page.get_by_label(t("Title"), exact=True).input_value() == journey.title
    assert "Label every envelope" in page.get_by_label(t("Description (optional)")).input_value()
    page.get_by_label(t("Venue name")).fill("Maison de quartier de Ménilmontant")
    page.get_by_label(t("Venue address")).fill("1 rue du Retrait, 75020 Paris")
    page.get_by_role("button", name=t("Save the changes")).click()
    journey.workshop_url = page.url.removeprefix(page.url.split("/workshops/")[0])
    journey.shot(page, "copied-draft")


def book_in_menilmontant(journey: Journey) -> None:
    page, t = journey.pages["neighbour"], journey.t
    page.goto(f"/?community={OTHER}")
    page.get_by_label(t("Search"), exact=True).fill(journey.title)
    page.get_by_role("button", name=t("Show workshops")).click()
    page.get_by_role("link", name=journey.title).click()
    expect_title(page, journey.title)
    page.get_by_role("button", name=journey.exactly("Book")).click()
    assert page.url.endswith("/me/bookings"), page.url
    assert page.locator(".booking", has_text=journey.title).count() == 1
    journey.shot(page, "booked-in-menilmontant")


def test_a_recipe_runs_in_another_community(new_page, demo_server, tmp_path):
    journey = Journey("en", new_page, tmp_path, title="Seed library evening", server=demo_server)
    # the recipe's origin: proposed, approved in Belleville, held
    newcomer(journey, "host", "Hana")
    organizer(journey)
    propose(journey)
    add_a_session(journey)
    submit(journey)
    approve(journey)
    the_session_is_over(journey, demo_server.database)
    recipe_path = publish_the_recipe(journey)
    # a second community, its organizer, and a host there
    olga = verified_newcomer(journey, "olga", "Olga")
    verified_newcomer(journey, "copier", "Malik")
    verified_newcomer(journey, "neighbour", "Nour")
    open_a_community(journey, olga)
    run_it_here(journey, recipe_path)
    # the same steps as the first host's, by the second
    journey.pages["host"] = journey.pages["copier"]
    add_a_session(journey)
    submit(journey)
    journey.pages["organizer"] = journey.pages["olga"]
    approve(journey)
    book_in_menilmontant(journey)
    # the original recipe names its lineage's workshops: the copy is a workshop of it, not yet run
    page = journey.pages["neighbour"]
    page.goto(recipe_path)
    assert journey.t("No copy has published its own recipe yet.") in page.locator("main").inner_text()
