"""Every kind of email, in English and in French: headers, parts, links, accessibility basics,
times in the recipient's timezone."""
from __future__ import annotations

import datetime as dt
import html.parser
import re

import pytest

from kernel.events import (
    BookingCancelled,
    BookingReleased,
    BookingConfirmed,
    BookingPendingPayment,
    HoldExpired,
    OfferExpired,
    OutboxRow,
    RefundIssued,
    SessionCancelled,
    SessionUpdated,
    WaitlistJoined,
    WaitlistOffered,
    WorkshopApproved,
    WorkshopRejected,
    WorkshopSubmitted,
)
from notify.notifier import CALENDAR_METHODS, KINDS
from notify.outbox import deliver_due, insert_rows
from tests.conftest import T0
from tests.factories import (
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_waitlist_row,
    make_workshop,
)

from .conftest import calendar_part, emit, parts_of

BASE = "http://alveole.test"
START = T0 + dt.timedelta(days=7)  # 2026-12-08 09:00 UTC


class Page(html.parser.HTMLParser):
    """Collects what the accessibility checks need from an HTML part."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.lang = None
        self.title = ""
        self.links: list[str] = []
        self.images: list[dict] = []
        self.text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag == "img":
            self.images.append(attrs)
        self._in_title = tag == "title"
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> in {self.stack}"
        self.stack.pop()
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text.append(data)


async def scenario(kind: str, runtime, clock, recipient_locale: str):
    """Data for one message of `kind` to a recipient; returns (recipient, links expected)."""
    who = await make_user(locale=recipient_locale, timezone="America/Montreal", display_name="Zoé <Z>")
    host = await make_user(display_name="Hélène")
    community = await make_community(name="Quartier Nord")
    workshop = await make_workshop(host=host, community=community, payment="stripe", price_cents=1500)
    session = await make_session(workshop, starts_at=START)
    now = clock.now()
    w_url = f"{BASE}/workshops/{workshop['id']}"
    if kind in ("verify_email", "password_reset"):
        from accounts import tokens
        from kernel.events import EmailVerificationRequested, PasswordResetRequested

        event = (EmailVerificationRequested if kind == "verify_email" else PasswordResetRequested)(
            at=now, user_id=who["id"], nonce="n0nce")
        token = tokens.token_of(runtime.settings.secret_key, kind, "n0nce")
        page = "verify" if kind == "verify_email" else "reset"
        return who, [event], [f"{BASE}/{page}/{token}"]
    if kind in ("workshop_submitted", "workshop_approved", "workshop_rejected"):
        if kind == "workshop_submitted":
            community = await make_community(organizers=(who,), name="Quartier Sud")
            workshop = await make_workshop(host=host, community=community, status="submitted")
            event = WorkshopSubmitted(at=now, workshop_id=workshop["id"], community_id=community["id"],
                                      host_id=host["id"])
        else:
            workshop = await make_workshop(host=who, community=community)
            event = (WorkshopApproved(at=now, workshop_id=workshop["id"], host_id=who["id"])
                     if kind == "workshop_approved" else
                     WorkshopRejected(at=now, workshop_id=workshop["id"], host_id=who["id"],
                                      reason="Please say <what> to bring"))
        # the review email leads to the workshop's moderation card, the refusal to its edit form
        return who, [event], [{"workshop_submitted": f"{BASE}/organize/moderation#workshop-{workshop['id']}",
                               "workshop_rejected": f"{BASE}/workshops/{workshop['id']}/edit"}.get(
            kind, f"{BASE}/workshops/{workshop['id']}")]
    if kind == "host_roster":
        workshop = await make_workshop(host=who, community=community)
        roster_session = await make_session(workshop, starts_at=START)
        await make_booking_row(roster_session, await make_user(display_name="Ana & Co"), seats=2)
        row = OutboxRow("host_roster", f"host_roster:{roster_session['id']}", who["id"],
                        {"session_id": roster_session["id"]})
        return who, [row], [f"{BASE}/sessions/{roster_session['id']}/roster", f"{BASE}/workshops/{workshop['id']}"]
    if kind in ("waitlist_joined", "waitlist_offer", "offer_expired"):
        entry = await make_waitlist_row(session, who, status="offered" if kind == "waitlist_offer" else "waiting",
                                        offer_expires_at=START - dt.timedelta(days=1))
        common = dict(at=now, entry_id=entry["id"], session_id=session["id"], user_id=who["id"])
        event = {"waitlist_joined": lambda: WaitlistJoined(position=3, **common),
                 "waitlist_offer": lambda: WaitlistOffered(offer_expires_at=START - dt.timedelta(days=1),
                                                           **common),
                 "offer_expired": lambda: OfferExpired(**common)}[kind]()
        # an offer leads to its own page, with Accept and Decline
        return who, [event], [f"{BASE}/me/waitlist/{entry['id']}"] if kind == "waitlist_offer" else [w_url]
    status = "pending_payment" if kind == "payment_link" else "confirmed"
    booking = await make_booking_row(session, who, status=status, seats=2, amount_cents=3000,
                                     attendance="attended", checkout_url="https://checkout.example/c/1")
    common = dict(at=now, booking_id=booking["id"], user_id=who["id"])
    if kind in ("booking_cancelled", "session_cancelled"):
        # a CANCEL only goes to someone invited before
        await emit(runtime, BookingConfirmed(session_id=session["id"], **common))
        await deliver_due(runtime)
    events = {
        "booking_confirmed": lambda: [BookingConfirmed(session_id=session["id"], **common)],
        "waitlist_booked": lambda: [BookingConfirmed(session_id=session["id"], via_waitlist=True, **common)],
        "booking_cancelled": lambda: [BookingCancelled(session_id=session["id"], by="host", **common)],
        "payment_link": lambda: [BookingPendingPayment(session_id=session["id"],
                                                       checkout_url="https://checkout.example/c/1",
                                                       hold_expires_at=now + dt.timedelta(minutes=30),
                                                       **common)],
        "hold_expired": lambda: [HoldExpired(session_id=session["id"], **common)],
        "booking_released": lambda: [BookingReleased(session_id=session["id"], **common)],
        "refund_issued": lambda: [RefundIssued(amount_cents=3000, currency="eur", **common)],
        "session_updated": lambda: [SessionUpdated(at=now, session_id=session["id"], sequence=1,
                                                   booking_ids=(booking["id"],))],
        "session_cancelled": lambda: [SessionCancelled(at=now, session_id=session["id"], sequence=1,
                                                       reason="Flooded <cellar>",
                                                       booking_ids=(booking["id"],))],
        "reminder": lambda: [OutboxRow("reminder", f"reminder:{booking['id']}:86400", who["id"],
                                       {"booking_id": booking["id"], "offset_seconds": 86400})],
        "feedback_request": lambda: [OutboxRow("feedback_request", f"feedback_request:{booking['id']}",
                                               who["id"], {"booking_id": booking["id"]})],
    }[kind]()
    # no booking page nor feedback form yet: booking messages link the workshop page
    # a payment link leads to our page that opens the hold's Stripe Checkout (not to Stripe
    # directly: a hold the waitlist opened has no Checkout Session until it is followed)
    mine = [f"{BASE}/me/bookings#booking-{booking['id']}", f"{BASE}/me/bookings/{booking['id']}/cancel"]
    links = {"payment_link": [f"{BASE}/me/bookings/{booking['id']}/pay"],
             "booking_confirmed": [w_url, *mine], "reminder": [w_url, *mine]}.get(kind, [w_url])
    return who, events, links


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_renders(kind, language, notify_runtime, mailer, clock):
    who, items, links = await scenario(kind, notify_runtime, clock, language)
    mailer.messages.clear()
    rows = [i for i in items if isinstance(i, OutboxRow)]
    events = [i for i in items if not isinstance(i, OutboxRow)]
    if rows:
        await insert_rows(rows, clock.now())
    if events:
        await emit(notify_runtime, *events)
    clock.advance(seconds=1)
    await deliver_due(notify_runtime)

    (message,) = mailer.to(who["email"])
    assert message["X-Alveole-Kind"] == kind
    assert message["Subject"] and "\n" not in message["Subject"]
    texts = parts_of(message)
    text, body = texts["text/plain"], texts["text/html"]
    assert text.startswith("Bonjour Zoé <Z>," if language == "fr" else "Hello Zoé <Z>,")
    assert ("Hello" in text) == (language == "en")
    assert "{{" not in text and "%(" not in text and "{{" not in body and "%(" not in body

    page = Page()
    page.feed(body)
    assert page.stack == []
    assert page.lang == language
    assert page.title.strip() == message["Subject"]
    assert "Zoé &lt;Z&gt;" in body  # names are escaped in HTML
    assert all(img.get("alt") and not img.get("src", "").startswith("http") for img in page.images)
    assert "<img" not in body and "url(" not in body  # no remote images at all
    for link in links:
        assert link in page.links, (link, page.links)
        assert link in text
    assert all(href.startswith((BASE, "https://checkout.example/")) for href in page.links)
    assert 'style="' in body

    if kind in ("booking_confirmed", "waitlist_booked", "session_updated", "reminder", "host_roster",
                "payment_link", "waitlist_offer", "booking_cancelled"):
        # the session time, in the recipient's timezone (Montréal: UTC−5)
        when = "04:00" if language == "fr" else "4:00"
        assert when in text and "America/Montreal" in text
    method = CALENDAR_METHODS.get(kind)
    part = calendar_part(message)
    assert (part[0] if part else None) == method
    if kind == "workshop_rejected":
        assert "Please say <what> to bring" in text and "Please say &lt;what&gt; to bring" in body
    if kind == "refund_issued":
        assert ("30,00\u00a0€" if language == "fr" else "€30.00") in text
    if kind == "waitlist_joined":
        assert re.search(r"(position|Votre position)\W+3", text)


URL = re.compile(r"https?://[^\s\"'<>\\]+")
# The only pages a message may link to today: the public workshop page, the personal
# calendar feed and the signed feedback form (booking pages and a waitlist accept page do not
# exist yet).
LINKABLE = (re.compile(rf"{re.escape(BASE)}/workshops/\d+"),
            re.compile(rf"{re.escape(BASE)}/calendar/[A-Za-z0-9_-]+/feed\.ics"),
            re.compile(rf"{re.escape(BASE)}/feedback/\d+\.\d+\.[A-Za-z0-9_-]+"),
            re.compile(rf"{re.escape(BASE)}/me/bookings/\d+/pay"),
            # pages behind a login (logged out: the login page, then back; tests/api/web/test_email_links.py)
            re.compile(rf"{re.escape(BASE)}/me/bookings(#booking-\d+)?"),
            re.compile(rf"{re.escape(BASE)}/me/bookings/\d+/cancel"),
            re.compile(rf"{re.escape(BASE)}/me/waitlist/\d+"),
            re.compile(rf"{re.escape(BASE)}/organize/moderation#workshop-\d+"),
            re.compile(rf"{re.escape(BASE)}/workshops/\d+/edit"),
            re.compile(rf"{re.escape(BASE)}/sessions/\d+/roster"),
            # the one-time links of accounts (their pages: tests/api/web/test_verification_pages.py)
            re.compile(rf"{re.escape(BASE)}/(verify|reset)/[A-Za-z0-9_-]{{43}}"))


def urls_in(text: str) -> list[str]:
    return [url.rstrip(".,;:!?)»") for url in URL.findall(text)]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", KINDS)
async def test_every_link_leads_to_a_page_that_exists(kind, language, notify_runtime, mailer, clock):
    who, items, _ = await scenario(kind, notify_runtime, clock, language)
    mailer.messages.clear()
    rows = [i for i in items if isinstance(i, OutboxRow)]
    events = [i for i in items if not isinstance(i, OutboxRow)]
    if rows:
        await insert_rows(rows, clock.now())
    if events:
        await emit(notify_runtime, *events)
    clock.advance(seconds=1)
    await deliver_due(notify_runtime)

    (message,) = mailer.to(who["email"])
    texts = parts_of(message)
    sources = {"subject": str(message["Subject"]), "text": texts["text/plain"], "html": texts["text/html"]}
    part = calendar_part(message)
    if part:
        sources["invite.ics"] = re.sub(r"\r?\n[ \t]", "", part[1])  # unfolded
    found = {name: urls_in(text) for name, text in sources.items()}
    wrong = {name: [u for u in urls if not any(p.fullmatch(u) for p in LINKABLE)]
             for name, urls in found.items()}
    assert not any(wrong.values()), wrong
    assert found["text"] and found["html"]  # every message still points somewhere useful
    if part:
        assert found["invite.ics"]


BROWSER_HEADERS = {"Accept": "text/html,application/xhtml+xml"}
# what a link's page must offer its reader: the action the email speaks of
PROMISED = (
    (re.compile(r"/organize/moderation"), lambda path, frag: [f'id="{frag}"', "/approve\"", "/reject\""]),
    (re.compile(r"/me/waitlist/(\d+)"), lambda path, frag: [f'action="{path}/accept"', f'action="{path}/decline"']),
    (re.compile(r"/workshops/(\d+)/edit"), lambda path, frag: [f'action="{path}"']),
    (re.compile(r"/me/bookings/(\d+)/cancel"), lambda path, frag: [f'action="{path}"']),
    (re.compile(r"/me/bookings"), lambda path, frag: [f'id="{frag}"', "/cancel\"", "/invite.ics"]),
    (re.compile(r"/sessions/(\d+)/roster"), lambda path, frag: [f'action="{path.removesuffix("/roster")}/checkin"']),
)


# where an email must lead (issue 19): the page that does what it says
LEADS_TO = {
    "waitlist_offer": r"/me/waitlist/\d+", "workshop_submitted": r"/organize/moderation#workshop-\d+",
    "workshop_rejected": r"/workshops/\d+/edit", "booking_confirmed": r"/me/bookings/\d+/cancel",
    "reminder": r"/me/bookings/\d+/cancel", "host_roster": r"/sessions/\d+/roster",
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"verify_email", "password_reset"}))
async def test_every_link_lands_logged_out_and_as_its_reader(kind, language, notify_runtime, mailer, clock,
                                                              client, settings):
    """Issue 19.1: every link of every kind of email, followed as its reader would: logged out
    (a public page, or the login page that comes back to it), then logged in as the recipient
    (the page answers and offers what the email promised). The one-time links of accounts
    have their own pages' tests (tests/api/web/test_verification_pages.py): this scenario
    sends them without storing their tokens."""
    from urllib.parse import quote

    who, items, _ = await scenario(kind, notify_runtime, clock, language)
    mailer.messages.clear()
    rows = [i for i in items if isinstance(i, OutboxRow)]
    events = [i for i in items if not isinstance(i, OutboxRow)]
    if rows:
        await insert_rows(rows, clock.now())
    if events:
        await emit(notify_runtime, *events)
    clock.advance(seconds=1)
    await deliver_due(notify_runtime)
    (message,) = mailer.to(who["email"])
    texts = parts_of(message)
    page = Page()
    page.feed(texts["text/html"])
    found = {u for u in urls_in(texts["text/plain"]) + page.links if u.startswith(BASE)}
    assert found, kind
    if kind in LEADS_TO:
        assert any(re.fullmatch(re.escape(BASE) + LEADS_TO[kind], u) for u in found), (kind, found)
    if kind == "reminder":  # the code to show at the door
        assert re.search(r"(check-in code|code d.accueil)\W+[A-Za-z0-9]{4,}", texts["text/plain"]), texts["text/plain"]
    if kind == "feedback_request":  # sent after the session's end: followed then
        clock.set(START + dt.timedelta(hours=3))
    for url in sorted(found):
        path, _, fragment = url.removeprefix(BASE).partition("#")
        client.cookies.clear()
        client.cookies.set("alveole_lang", language)
        outside = await client.get(path, headers=BROWSER_HEADERS)
        if outside.status_code == 303:  # behind a login: the login page, then back here
            assert outside.headers["location"] == f"/login?next={quote(path, safe='')}", (url, outside.headers)
            login = await client.get(outside.headers["location"], headers=BROWSER_HEADERS)
            assert login.status_code == 200 and f'name="next" value="{path}"' in login.text, url
        else:
            assert outside.status_code == 200, (url, outside.status_code)
        client.cookies.set("alveole_session", who["token"])
        inside = await client.get(path, headers=BROWSER_HEADERS)
        if inside.status_code == 303:  # the payment page sends its participant on to Stripe
            assert not inside.headers["location"].startswith("/login"), url
            continue
        assert inside.status_code == 200, (url, inside.status_code, inside.text[:300])
        for pattern, promised in PROMISED:
            if pattern.fullmatch(path):
                for text in promised(path, fragment):
                    assert text in inside.text, (url, text)
                break
