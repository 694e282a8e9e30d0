"""The whole loop in chromium with JavaScript off, once in English and once in French: a new
host proposes a workshop of one seat and its session, the organizer approves it, a first
neighbour books the seat, a second finds it full and joins the waitlist, the first cancels
(late: the page warns), the second is promoted, the host checks her in with her code, she gives
her feedback once the session is over, and the organizer's dashboard counts it all.

Each person has a browser context of their own (their own cookies) whose browser asks for
English: in the French journey each takes the language switch, and in the English one the
organizer (a demo account, in French) takes it the other way. The texts the test looks for
are the English msgids, read in the French catalogue for the French run (a missing French
entry fails the French journey). A screenshot of each step goes to the test's output folder.

Nothing waits on a clock: the session starts about an hour after the test begins (check-in
opens an hour before the start, and the cancellation deadline is past, so cancelling is late),
and "the session is over" is the one thing a browser cannot do: the test moves that session
into the past in the server's database, as the demo does for its past session (the server has
no fake clock to set: `alveole serve` always runs on the system clock)."""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from kernel.i18n import LOCALE_DIR
from tests.e2e.conftest import ORGANIZER, emailed_link, expect_title, log_in, open_menu, sign_up

pytestmark = pytest.mark.slow
PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
COMMUNITY = "belleville"
_runs = itertools.count(1)


@functools.cache
def _french() -> dict[str, str]:
    """msgid → msgstr; a plural entry gives its singular (French: 0 and 1) and plural forms."""
    found: dict[str, str] = {}
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        for message in read_po(po, locale="fr"):
            if isinstance(message.id, str):
                found[message.id] = message.string
            else:
                found.update(zip(message.id, message.string))
    return {msgid: text for msgid, text in found.items() if msgid and text}


@dataclass
class Journey:
    language: str  # "en" or "fr"
    new_page: object
    shots: object  # the test's tmp_path
    server: object = None  # the DemoServer: its mail files
    title: str = ""
    workshop_url: str = ""
    session_id: str = ""
    pages: dict = field(default_factory=dict)  # who → their page
    code: str = ""  # the promoted neighbour's check-in code
    addresses: dict = field(default_factory=dict)  # who → the email they signed up with
    step: int = 0

    def t(self, msgid: str, **values: object) -> str:
        """What the page says for `msgid` in the journey's language."""
        if self.language == "en":
            text = msgid
        else:
            text = _french().get(msgid) or pytest.fail(f"no French translation of {msgid!r}")
        return text % values if values else text

    def exactly(self, msgid: str, **values: object) -> re.Pattern:
        """A name that is the text and nothing more (visually hidden words may follow)."""
        return re.compile("^" + re.escape(self.t(msgid, **values)))

    def shot(self, page, name: str) -> None:
        self.step += 1
        page.screenshot(path=str(self.shots / f"{self.language}-{self.step:02d}-{name}.png"), full_page=True)

    def flash(self, page) -> str:
        return page.get_by_role("status").first.inner_text()


def _in_language(journey: Journey, page) -> None:
    """A demo account has its own language: switch it to the journey's, as a visitor would."""
    if page.locator("html").get_attribute("lang") != journey.language:
        page.get_by_role("button", name={"en": "English", "fr": "Français"}[journey.language]).click()
    assert page.locator("html").get_attribute("lang") == journey.language


# ------------------------------------------------------------------------------ the people

def newcomer(journey: Journey, who: str, name: str):
    """A neighbour whose browser asks for English: in the French journey she takes the switch
    in the header first, and the account she then creates is in French."""
    page = journey.new_page(locale="en-GB")
    page.goto("/")
    _in_language(journey, page)
    address = sign_up(page, name)
    assert page.locator("html").get_attribute("lang") == journey.language
    assert journey.t("Welcome! Your account is ready and you are logged in. We emailed you a link: follow it "
                     "to confirm your address, then you can book.") in journey.flash(page)
    # the link of the verify_email message, then its page's button
    page.goto(emailed_link(journey.server, address, "verify_email"))
    page.get_by_role("button", name=journey.t("Confirm my address")).click()
    assert journey.t("Your email address is confirmed. Thank you!") in journey.flash(page)
    journey.pages[who] = page
    journey.addresses[who] = address
    return page


def organizer(journey: Journey):
    page = journey.new_page(locale="en-GB")
    log_in(page, ORGANIZER)
    _in_language(journey, page)
    journey.pages["organizer"] = page
    return page


# ------------------------------------------------------------------------------ the steps

def propose(journey: Journey) -> None:
    """The host proposes a free workshop of one seat per session; a freed seat is offered to the
    next in line, who accepts it from the offer email."""
    page, t = journey.pages["host"], journey.t
    _to_host_page(journey, page)
    page.get_by_role("link", name=t("Propose a workshop")).click()
    page.get_by_label(t("Community"), exact=True).select_option(COMMUNITY)
    page.get_by_label(t("Title"), exact=True).fill(journey.title)
    page.get_by_label(t("Summary"), exact=True).fill("Swap seeds, learn to keep them dry and label them.")
    page.get_by_label(t("Description (optional)")).fill("Bring **seeds** in paper envelopes.\n\n- beans\n- tomatoes")
    page.get_by_label(t("Category"), exact=True).select_option("gardening")
    page.get_by_label(t("Venue name")).fill("Jardin partagé de la Mare")
    page.get_by_label(t("Venue address")).fill("33 rue de la Mare, 75020 Paris")
    page.get_by_label(t("Free"), exact=True).check()
    page.get_by_label(t("Seats per session")).fill("1")
    page.get_by_label(t("Most seats one person may book")).fill("1")
    page.get_by_label(t("Open a waitlist when a session is full")).check()
    page.get_by_label(t("Offer freed seats to the next in line for a while")).check()
    page.get_by_role("button", name=t("Save the draft")).click()
    assert re.search(r"/workshops/\d+$", page.url), page.url
    journey.workshop_url = page.url.removeprefix(page.url.split("/workshops/")[0])
    assert t("Your draft is saved. Add its sessions, then submit it for review.") in journey.flash(page)
    expect(page.locator("main strong", has_text="seeds")).to_have_count(1)  # the Markdown, rendered
    journey.shot(page, "draft")


def add_a_session(journey: Journey) -> None:
    """One session starting in about an hour (check-in is open, the cancellation deadline past)."""
    page, t = journey.pages["host"], journey.t
    page.get_by_role("link", name=t("Add sessions")).first.click()
    start = (dt.datetime.now(PARIS) + dt.timedelta(minutes=55)).replace(second=0, microsecond=0)
    start += dt.timedelta(minutes=-start.minute % 5)
    page.get_by_label(t("Date"), exact=True).fill(start.date().isoformat())
    page.get_by_label(t("Start time")).fill(start.strftime("%H:%M"))
    page.get_by_label(t("Length in minutes")).fill("90")
    page.get_by_label(t("Time zone")).fill("Europe/Paris")
    page.get_by_label(t("Once"), exact=True).check()
    page.get_by_role("button", name=t("Add the sessions")).click()
    assert page.url.endswith(journey.workshop_url), page.url
    book_form = page.locator("form[action^='/sessions/'][action$='/book']")
    manage = page.locator("a[href^='/sessions/'][href$='/edit']")
    expect(manage).to_have_count(1)
    journey.session_id = manage.get_attribute("href").split("/")[2]
    expect(book_form).to_have_count(0)  # not published yet


def submit(journey: Journey) -> None:
    page, t = journey.pages["host"], journey.t
    page.get_by_role("button", name=t("Submit for review")).click()
    page.goto("/host")
    card = page.locator(".card", has_text=journey.title)
    assert t("Waiting for an organizer's review.") in card.inner_text()
    journey.shot(page, "submitted")


def _to_host_page(journey: Journey, page) -> None:
    open_menu(page)
    page.get_by_role("navigation", name=journey.t("Main")).get_by_role(
        "link", name=journey.t("Host"), exact=True).click()
    assert page.url.endswith("/host"), page.url


def approve(journey: Journey) -> None:
    page, t = journey.pages["organizer"], journey.t
    _to_host_page(journey, page)
    page.get_by_role("link", name=t("Moderation queue")).click()
    expect_title(page, t("Moderation queue"))
    card = page.locator(".card", has_text=journey.title)
    journey.shot(page, "moderation")
    card.get_by_role("button", name=journey.exactly("Approve")).click()
    page.goto("/organize/moderation")
    expect(page.locator(".card", has_text=journey.title)).to_have_count(0)


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _phone_shot(journey: Journey, target, name: str) -> None:
    """A 360 px picture, with the test's; into docs/screenshots too (English run) when
    ALVEOLE_DOCS_SCREENSHOTS=1, so an ordinary run leaves the checkout as it was."""
    target.screenshot(path=str(journey.shots / f"{journey.language}-phone-{name}.png"))
    if journey.language == "en" and os.environ.get("ALVEOLE_DOCS_SCREENSHOTS") == "1":
        target.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def revise(journey: Journey) -> None:
    """Issue 19.2: the host fixes a typo in the published workshop; it stays public and bookable
    while the organizer sees the change side by side and approves it."""
    page, t = journey.pages["host"], journey.t
    page.goto(journey.workshop_url + "/edit")
    summary = page.get_by_label(t("Summary"), exact=True)
    summary.fill("Swap seeds, learn to keep them dry and to label them.")
    page.get_by_role("button", name=re.compile(re.escape(t("Save the changes")))).click()
    assert t("Saved. Your changes are shown once an organizer approves them; meanwhile the published "
             "version stays open for booking.") in journey.flash(page)
    visitor = journey.new_page(locale="en-GB", width=360)
    visitor.goto(journey.workshop_url)
    expect_title(visitor, journey.title)  # still public
    organizer = journey.pages["organizer"]
    organizer.set_viewport_size({"width": 360, "height": 800})
    organizer.goto("/organize/moderation")
    card = organizer.locator(f"#workshop-{journey.workshop_url.rsplit('/', 1)[1]}")
    assert t("Changes to a published workshop") in card.inner_text()
    assert "to label them" in card.locator("td.new").inner_text()
    _phone_shot(journey, card, "moderation-revision")
    journey.shot(organizer, "revision")
    card.get_by_role("button", name=journey.exactly("Approve the changes")).click()
    organizer.set_viewport_size({"width": 1024, "height": 800})
    visitor.goto(journey.workshop_url)
    assert "to label them" in visitor.locator("main").inner_text()


def book(journey: Journey) -> None:
    """The first neighbour finds the workshop on the home page and books its only seat."""
    page, t = journey.pages["first"], journey.t
    page.goto("/")
    page.get_by_label(t("Search"), exact=True).fill(journey.title)
    page.get_by_role("button", name=t("Show workshops")).click()
    page.get_by_role("link", name=journey.title).click()
    expect_title(page, journey.title)
    assert t("%(num)s seat left", num=1) in page.locator("main").inner_text()
    page.get_by_role("button", name=journey.exactly("Book")).click()
    assert page.url.endswith("/me/bookings"), page.url
    card = page.locator(".booking", has_text=journey.title)
    expect(card).to_have_count(1)
    journey.shot(page, "booked")


def full(journey: Journey) -> None:
    """The second neighbour finds it full: no booking form, a waitlist form instead."""
    page, t = journey.pages["second"], journey.t
    page.goto(journey.workshop_url)
    main = page.locator("main")
    assert t("Full, waitlist open") in main.inner_text()
    expect(page.get_by_role("button", name=journey.exactly("Book"))).to_have_count(0)
    journey.shot(page, "full")


def join_the_waitlist(journey: Journey) -> None:
    page, t = journey.pages["second"], journey.t
    page.get_by_role("button", name=t("Full — join the waitlist")).click()
    assert page.url.endswith("/me/waitlist"), page.url
    entry = page.locator(".card", has_text=journey.title)
    assert t("number %(position)s in line", position=1) in entry.inner_text()
    journey.shot(page, "waitlist")


def cancel(journey: Journey) -> None:
    """The first neighbour cancels: within the deadline, so the page warns that it is late."""
    page, t = journey.pages["first"], journey.t
    page.goto("/me/bookings")
    page.locator(".booking", has_text=journey.title).get_by_role("link", name=t("Cancel this booking")).click()
    warning = page.get_by_role("alert")
    assert t("This cancellation is late") in warning.inner_text()
    journey.shot(page, "late-cancel")
    page.get_by_role("button", name=t("Yes, cancel my booking")).click()
    assert page.url.endswith("/me/bookings"), page.url
    assert t("Cancelled") in page.locator(".booking", has_text=journey.title).inner_text()
    page.goto(journey.workshop_url)
    expect(page.get_by_role("button", name=journey.exactly("Book"))).to_have_count(0)  # the seat went to the waitlist


def promoted(journey: Journey) -> None:
    """Issue 19.3: the freed seat is offered to the second neighbour by email. Its link, opened
    logged out on a phone, asks to log in and comes back to the offer, where Accept books it;
    then she holds the seat, with a check-in code and its QR code."""
    t = journey.t
    link = emailed_link(journey.server, journey.addresses["second"], "waitlist_offer", r"/me/waitlist/\d+")
    page = journey.new_page(locale="en-GB", width=360)
    page.goto(link)
    assert "/login?next=" in page.url, page.url
    page.get_by_label(re.compile("^(Email address|Adresse e-mail)")).fill(journey.addresses["second"])
    page.get_by_label(re.compile("^(Password|Mot de passe)")).fill("a long enough password")
    page.get_by_role("button", name=re.compile("^(Log in|Se connecter)$")).click()
    assert page.url.endswith(link), page.url
    expect_title(page, t("A seat is free for you"))
    assert journey.title in page.locator("main").inner_text()
    _phone_shot(journey, page, "offer")
    journey.shot(page, "offer")
    page.get_by_role("button", name=t("Accept the seats")).click()
    journey.pages["second"] = page
    page.goto("/me/bookings")
    card = page.locator(".booking", has_text=journey.title)
    expect(card).to_have_count(1)
    assert t("Confirmed") in card.inner_text()
    expect(card.get_by_role("img", name=t("QR code of your check-in code"))).to_have_count(1)
    journey.code = card.locator(".code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", journey.code), journey.code
    journey.shot(page, "promoted")
    page.goto("/me/waitlist")
    assert t("Booked") in page.locator(".card", has_text=journey.title).inner_text()


def check_in(journey: Journey) -> None:
    """At the door the host types the code she reads out (lower case, spaces: as typed)."""
    page, t = journey.pages["host"], journey.t
    page.goto(journey.workshop_url)
    page.get_by_role("link", name=t("Roster and check-in")).click()
    assert page.url.endswith(f"/sessions/{journey.session_id}/roster"), page.url
    expect_title(page, t("Roster: %(title)s", title=journey.title))
    page.get_by_label(t("Check-in code")).fill(journey.code.lower().replace("-", " "))
    page.get_by_role("button", name=t("Check in"), exact=True).click()
    assert f"/sessions/{journey.session_id}/roster" in page.url, page.url
    assert t("Checked in: %(name)s (%(num)s seat).", name="Sofia", num=1) in page.locator("main").inner_text()
    roster = page.locator("ul.roster > li")
    expect(roster).to_have_count(1)
    assert t("Attended") in roster.first.inner_text()
    journey.shot(page, "checked-in")


def the_session_is_over(journey: Journey, database) -> None:
    """What a browser cannot do: let the session end (it ended an hour ago, it lasted 90 min)."""
    ends = (dt.datetime.now(UTC) - dt.timedelta(hours=1)).replace(microsecond=0)
    starts = ends - dt.timedelta(minutes=90)
    with sqlite3.connect(database, timeout=30) as conn:
        changed = conn.execute("UPDATE workshop_session SET starts_at = ?, ends_at = ? WHERE id = ?",
                               (str(starts), str(ends), int(journey.session_id))).rowcount
    conn.close()
    assert changed == 1


def feedback(journey: Journey) -> None:
    page, t = journey.pages["second"], journey.t
    page.goto("/me/bookings")
    card = page.locator(".booking", has_text=journey.title)
    card.get_by_role("link", name=t("Give my feedback")).click()
    page.get_by_label(t("5 — excellent")).check()
    page.get_by_label(t("Comment (optional)")).fill("Clear, friendly, and I left with six kinds of beans.")
    journey.shot(page, "feedback")
    page.get_by_role("button", name=t("Send my feedback")).click()
    assert page.url.endswith("/me/bookings"), page.url
    card = page.locator(".booking", has_text=journey.title)
    assert t("Your feedback: %(rating)s out of 5. Thank you!", rating=5) in card.inner_text()


def dashboard(journey: Journey) -> None:
    """The organizer's dashboard for today: the workshop's session, its one attended seat."""
    page, t = journey.pages["organizer"], journey.t
    today = dt.datetime.now(PARIS).date()
    _to_host_page(journey, page)
    page.get_by_role("link", name=t("Attendance dashboard")).click()
    page.get_by_label(t("From"), exact=True).fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_label(t("Until"), exact=True).fill(today.isoformat())
    page.get_by_role("button", name=t("Show"), exact=True).click()
    assert f"community={COMMUNITY}" in page.url and f"to={today}" in page.url, page.url
    expect_title(page, t("Attendance in %(community)s", community="Belleville"))
    assert page.locator("main svg").count() >= 2  # the two charts, drawn on the server
    row = page.locator("#attendance-table tbody tr", has_text=journey.title)
    # attended, no-show, not marked, booked seats: the promoted neighbour came
    assert [cell.strip() for cell in row.locator("td").all_inner_texts()] == ["1", "0", "0", "1"]
    journey.shot(page, "dashboard")


# ------------------------------------------------------------------------------ the journey

@pytest.mark.parametrize("language", ["en", "fr"])
def test_propose_book_waitlist_promote_check_in_feedback_dashboard(new_page, demo_server, tmp_path, language):
    journey = Journey(language, new_page, tmp_path, title=f"Seed swap {language.upper()} {next(_runs)}",
                      server=demo_server)
    newcomer(journey, "host", "Hana")
    organizer(journey)
    newcomer(journey, "first", "Farid")
    newcomer(journey, "second", "Sofia")
    propose(journey)
    add_a_session(journey)
    submit(journey)
    approve(journey)
    revise(journey)
    book(journey)
    full(journey)
    join_the_waitlist(journey)
    cancel(journey)
    promoted(journey)
    check_in(journey)
    the_session_is_over(journey, demo_server.database)
    feedback(journey)
    dashboard(journey)
