"""Composing one outbox row into an email: load its context, render subject, text and HTML in
the recipient's language and timezone, attach the iCalendar part, and build the MIME message.

Rendering happens once per row (the outbox stores the result), so a retry sends the very same
content; `preview=True` renders without touching the SEQUENCE counter (the /dev/outbox page).
A row whose message no longer makes sense when its turn comes (a reminder for a booking
cancelled since, a payment link for a hold already paid) raises `Skip`.
"""
from __future__ import annotations

import base64
import datetime as dt
import email.charset
import email.header
import email.message
import email.policy
import email.utils
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_currency

from accounts import tokens
from booking.checkin import qr_png
from booking.feedback import link_token
from booking.rules import FEEDBACK_CLOSES_AFTER_END
from booking.schemas import Attendance, BookingStatus, WaitlistStatus

from kernel.settings import Settings
from notify import context as ctx
from notify import invites, links
from kernel.i18n import environment, language_of
from notify.ical import InviteEvent, invite_ics, zone
from notify.links import feedback_url, payment_url
from notify.notifier import CALENDAR_METHODS
from workshops.calendar import workshop_url
from workshops.enums import SessionStatus

FEEDBACK_OPEN_FOR = FEEDBACK_CLOSES_AFTER_END

BOOKING_KINDS = frozenset({
    "booking_confirmed", "waitlist_booked", "booking_cancelled", "session_updated",
    "session_cancelled", "payment_link", "hold_expired", "refund_issued", "reminder",
    "feedback_request", "booking_released",
})
ENTRY_KINDS = frozenset({"waitlist_joined", "waitlist_offer", "offer_expired"})
WORKSHOP_KINDS = frozenset({"workshop_submitted", "workshop_approved", "workshop_rejected"})
SESSION_KINDS = frozenset({"host_roster"})
# the one-time links of accounts: to the account itself, about no workshop
ACCOUNT_KINDS = frozenset({tokens.VERIFY_EMAIL, tokens.PASSWORD_RESET})
# confirmations that carry the check-in code (text) and its QR code (checkin.png)
CHECKIN_KINDS = frozenset({"booking_confirmed", "waitlist_booked"})


class Skip(Exception):
    """This row's message is no longer relevant; it is settled without sending."""


@dataclass
class Composed:
    recipient: ctx.Person
    subject: str
    body_text: str
    body_html: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # chosen at random per rendering (see new_message_id), stored with it
    message_id: str = ""


@dataclass(frozen=True)
class Formatter:
    """Dates, times, durations and money in one recipient's language and timezone."""

    language: str
    timezone: str

    def local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(zone(self.timezone))

    def date(self, value: dt.datetime) -> str:
        return format_date(self.local(value), format="full", locale=self.language)

    def time(self, value: dt.datetime) -> str:
        return format_time(self.local(value), format="short", locale=self.language)

    def moment(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return f"{self.date(value)}, {self.time(value)} ({self.timezone})"

    def span(self, starts_at: dt.datetime, ends_at: dt.datetime) -> str:
        if self.local(starts_at).date() == self.local(ends_at).date():
            return (f"{self.date(starts_at)}, {self.time(starts_at)} – {self.time(ends_at)} "
                    f"({self.timezone})")
        return (f"{self.date(starts_at)}, {self.time(starts_at)} – {self.date(ends_at)}, "
                f"{self.time(ends_at)} ({self.timezone})")

    def money(self, cents: int, currency: str) -> str:
        return format_currency(cents / 100, (currency or "eur").upper(), locale=self.language)

    def ahead(self, seconds: int) -> str:
        return format_timedelta(dt.timedelta(seconds=seconds), add_direction=True,
                                threshold=1.5, locale=self.language)


def _payload_time(payload: dict[str, Any], key: str) -> dt.datetime | None:
    return ctx.utc(payload.get(key)) if payload.get(key) else None


@dataclass
class Prepared:
    """Everything a row's message needs, loaded; rendering it is then pure computation."""

    record: dict[str, Any]
    recipient: ctx.Person
    language: str
    values: dict[str, Any]
    booking: ctx.BookingView | None = None
    # the calendar part's METHOD, or None (see take_sequence)
    calendar_method: str | None = None

    @property
    def sequence_key(self) -> tuple[int, int] | None:
        """(session, participant) whose SEQUENCE this message takes, if it has an invite."""
        if self.calendar_method is None or self.booking is None:
            return None
        return self.booking.session.id, self.booking.participant.id


async def prepare(record: dict[str, Any], settings: Settings, now: dt.datetime) -> Prepared:
    """Load what the row's message needs (reads only). Raises Skip when it is moot."""
    kind: str = record["kind"]
    payload: dict[str, Any] = record["payload"]
    base_url = settings.base_url
    # Links: only to pages that exist and do what the email says (notify.links, `_page_links`)
    values: dict[str, Any] = {"kind": kind, "payload": payload}
    booking: ctx.BookingView | None = None
    session: ctx.SessionView | None = None
    recipient: ctx.Person | None = None

    if kind == "session_cancelled" and "entry_id" in payload:  # a waitlisted participant
        entry = await ctx.load_waitlist_entry(int(payload["entry_id"]))
        if entry is None:
            raise Skip("the waitlist entry no longer exists")
        session, recipient = entry.session, entry.participant
        values.update(entry=entry)
    elif kind in BOOKING_KINDS:
        booking = await ctx.load_booking(int(payload["booking_id"]))
        if booking is None:
            raise Skip("the booking no longer exists")
        session, recipient = booking.session, booking.participant
        _check_booking_still_relevant(kind, booking, now)
        values.update(booking=booking)
    elif kind in ENTRY_KINDS:
        entry = await ctx.load_waitlist_entry(int(payload["entry_id"]))
        if entry is None:
            raise Skip("the waitlist entry no longer exists")
        if kind == "waitlist_offer" and entry.status != WaitlistStatus.offered:
            raise Skip(f"the offer is no longer open (entry {entry.status})")
        session, recipient = entry.session, entry.participant
        values.update(entry=entry)
    elif kind in SESSION_KINDS:
        session = await ctx.load_session(int(payload["session_id"]))
        if session is None:
            raise Skip("the session no longer exists")
        if session.status != SessionStatus.scheduled or now >= session.starts_at:
            raise Skip("the session is cancelled or has started")
        recipient = session.workshop.host
        lines = await ctx.roster(session.id)
        values.update(roster=lines, booked_seats=sum(line.seats for line in lines))
    elif kind in WORKSHOP_KINDS:
        workshop = await ctx.load_workshop(int(payload["workshop_id"]))
        if workshop is None:
            raise Skip("the workshop no longer exists")
        values.update(workshop=workshop, community=workshop.community,
                      workshop_url=workshop_url(base_url, workshop.id))
        recipient = workshop.host
        if record.get("recipient") is not None and record["recipient"] != workshop.host.id:
            recipient = await ctx.load_person(int(record["recipient"]))
    elif kind in ACCOUNT_KINDS:
        recipient = await ctx.load_person(int(record["recipient"])) if record.get("recipient") else None
    else:
        raise Skip(f"unknown kind {kind!r}")

    if recipient is None or recipient.deleted or not recipient.email:
        raise Skip("the recipient has no address any more")
    if session is not None:
        values.update(session=session, workshop=session.workshop,
                      community=session.workshop.community,
                      workshop_url=workshop_url(base_url, session.workshop.id))

    values.update(_page_links(kind, base_url, values))
    return Prepared(record=record, recipient=recipient, language=language_of(recipient.locale),
                    values=values, booking=booking,
                    calendar_method=CALENDAR_METHODS.get(kind) if booking is not None else None)


def _page_links(kind: str, base_url: str, values: dict[str, Any]) -> dict[str, str]:
    """The pages where what the email says can be done (`notify.links`), by kind."""
    found: dict[str, str] = {}
    booking, entry, workshop = values.get("booking"), values.get("entry"), values.get("workshop")
    if booking is not None:
        found["booking_url"] = links.my_bookings_url(base_url, booking.id)
        found["cancel_url"] = links.booking_cancel_url(base_url, booking.id)
    if entry is not None:
        found["entry_url"] = links.waitlist_entry_url(base_url, entry.id)
    if kind == "workshop_submitted" and workshop is not None:
        found["review_url"] = links.moderation_url(base_url, workshop.id)
    if kind == "workshop_rejected" and workshop is not None:
        found["edit_url"] = links.workshop_edit_url(base_url, workshop.id)
    if kind == "host_roster" and values.get("session") is not None:
        found["roster_url"] = links.roster_url(base_url, values["session"].id)
    return found


async def take_sequence(prepared: Prepared, *, preview: bool = False) -> int | None:
    """The SEQUENCE of this message's calendar part, bumped in `invite_sequence` (read only
    when previewing); None when it has no calendar part. A CANCEL goes only to someone who
    was sent an invite before (not, say, for an unpaid hold): otherwise the part is dropped."""
    key = prepared.sequence_key
    if key is None:
        return None
    stored = await invites.stored_sequence(*key)
    if prepared.calendar_method == "CANCEL" and stored is None:
        prepared.calendar_method = None
        return None
    floor = prepared.booking.session.sequence
    if preview:
        return max(floor, -1 if stored is None else stored + 1)
    return await invites.next_sequence(*key, floor, prepared.calendar_method)


def render(prepared: Prepared, settings: Settings, now: dt.datetime,
           sequence: int | None = None) -> Composed:
    """Subject, text, HTML and the calendar part (at `sequence`). No I/O."""
    kind, recipient, language = prepared.record["kind"], prepared.recipient, prepared.language
    values = dict(prepared.values)
    fmt = Formatter(language, recipient.timezone or "UTC")
    values.update(recipient=recipient, fmt=fmt)
    if "session" in values:
        values["when"] = fmt.span(values["session"].starts_at, values["session"].ends_at)
    _kind_values(kind, prepared.record["payload"], values, fmt, now)

    attachments: list[dict[str, Any]] = []
    if prepared.calendar_method is not None and prepared.booking is not None:
        assert sequence is not None, "a calendar message needs its SEQUENCE"
        booking = prepared.booking
        item = InviteEvent(session=booking.session, participant=booking.participant,
                           sequence=sequence, booking_id=booking.id,
                           cancelled=prepared.calendar_method == "CANCEL")
        attachments.append({"filename": "invite.ics", "content_type": "text/calendar",
                            "method": prepared.calendar_method,
                            "content": invite_ics(item, stamp=now, base_url=settings.base_url,
                                                       mail_from=settings.mail_from)})
    values["has_invite"] = bool(attachments)
    if kind in CHECKIN_KINDS and prepared.booking is not None and prepared.booking.checkin_code:
        # a PNG attachment: mail clients show it (most block inline SVG and remote images)
        attachments.append({"filename": "checkin.png", "content_type": "image/png", "encoding": "base64",
                            "content": base64.b64encode(qr_png(prepared.booking.checkin_code)).decode()})
    if kind == "payment_link" and prepared.booking is not None:
        # our own page, which opens (or reopens) the Stripe Checkout page of the hold: a hold
        # made by the waitlist has no Checkout Session until the participant follows the link
        values["checkout_url"] = payment_url(settings.base_url, prepared.booking.id)
    if kind in ACCOUNT_KINDS:
        # the token derived again from the stored nonce: the outbox row never held it
        token = tokens.token_of(settings.secret_key, kind, str(prepared.record["payload"]["nonce"]))
        values["link"] = (tokens.verify_url if kind == tokens.VERIFY_EMAIL else tokens.reset_url)(
            settings.base_url, token)
    if kind == "feedback_request" and prepared.booking is not None:
        values["feedback_url"] = feedback_url(settings.base_url, link_token(
            settings.secret_key, prepared.booking.id, prepared.booking.session.ends_at))
        values["feedback_until"] = fmt.date(prepared.booking.session.ends_at + FEEDBACK_OPEN_FOR)

    text_module = environment("notify", language, False).get_template(f"email/{kind}.txt") \
        .make_module(values)
    # one line; keep the no-break spaces French typography puts before ":" and "?"
    subject = re.sub(r"[ \t\r\n]+", " ", str(getattr(text_module, "subject", "Alvéole"))).strip()
    html = environment("notify", language, True).get_template(f"email/{kind}.html") \
        .render(values, subject=subject)
    return Composed(recipient=recipient, subject=subject, body_text=str(text_module),
                    body_html=html, attachments=attachments,
                    message_id=new_message_id(prepared.record, settings))


async def compose(record: dict[str, Any], settings: Settings, now: dt.datetime, *,
                  preview: bool = False) -> Composed:
    """prepare + take the SEQUENCE + render, for one row. `preview` takes no SEQUENCE (the
    next one is shown) and stores nothing."""
    prepared = await prepare(record, settings, now)
    sequence = await take_sequence(prepared, preview=preview)
    return render(prepared, settings, now, sequence)


def _check_booking_still_relevant(kind: str, booking: ctx.BookingView, now: dt.datetime) -> None:
    session = booking.session
    if kind == "reminder":
        if booking.status != BookingStatus.confirmed or session.status != SessionStatus.scheduled:
            raise Skip("the booking or its session is no longer on")
        if now >= session.starts_at:
            raise Skip("the session has already started")
    elif kind == "feedback_request":
        if booking.status != BookingStatus.confirmed or session.status != SessionStatus.scheduled:
            raise Skip("the booking or its session is no longer on")
        if booking.attendance == Attendance.no_show:
            raise Skip("the participant was marked no-show")
    elif kind == "session_updated":
        if booking.status != BookingStatus.confirmed:
            raise Skip("the booking is no longer confirmed")
    elif kind == "payment_link":
        if booking.status != BookingStatus.pending_payment:
            raise Skip("the payment hold is no longer open")


def _kind_values(kind: str, payload: dict[str, Any], values: dict[str, Any], fmt: Formatter,
                 now: dt.datetime) -> None:
    booking: ctx.BookingView | None = values.get("booking")
    if booking is not None:
        values["paid"] = fmt.money(booking.amount_cents, booking.currency) \
            if booking.amount_cents else ""
    if kind == "payment_link":
        values["hold_expires"] = fmt.moment(_payload_time(payload, "hold_expires_at")
                                            or (booking and booking.hold_expires_at))
    elif kind == "refund_issued":
        values["refund"] = fmt.money(int(payload.get("amount_cents") or 0),
                                     payload.get("currency") or "eur")
    elif kind == "waitlist_joined":
        values["position"] = int(payload.get("position") or 1)
    elif kind == "waitlist_offer":
        entry = values["entry"]
        values["offer_expires"] = fmt.moment(_payload_time(payload, "offer_expires_at")
                                             or entry.offer_expires_at)
    elif kind == "session_cancelled":
        values["reason"] = payload.get("reason") or values["session"].cancel_reason
    elif kind == "booking_cancelled":
        values["cancelled_by"] = payload.get("by") or "participant"
        values["late"] = bool(payload.get("late"))
    elif kind == "reminder":
        # the real time left (the session may have moved since the reminder was scheduled)
        values["ahead"] = fmt.ahead(int((values["session"].starts_at - now).total_seconds()))
    elif kind == "workshop_rejected":
        values["reason"] = payload.get("reason") or values["workshop"].rejection_reason


# --- the MIME message ------------------------------------------------------------------------

def _mail_domain(settings: Settings) -> str:
    _, address = email.utils.parseaddr(settings.mail_from)
    return address.rpartition("@")[2] or "alveole.local"


def new_message_id(record: dict[str, Any], settings: Settings) -> str:
    """A Message-ID for a row being rendered: its id (for people reading logs) and 128 random
    bits, so no two rows share one, even rows of the same id and dedupe key in two databases.
    It is stored with the rendering: every retry of the row carries the same one."""
    return f"<outbox.{record['id']}.{uuid.uuid4().hex}@{_mail_domain(settings)}>"


def message_id(record: dict[str, Any], settings: Settings) -> str:
    """The row's stored Message-ID. Rows rendered before it was stored keep the id they were
    first tried with (derived from the row), so their retries still match."""
    if record.get("message_id"):
        return str(record["message_id"])
    digest = hashlib.sha256(record["dedupe_key"].encode()).hexdigest()[:20]
    return f"<outbox.{record['id']}.{digest}@{_mail_domain(settings)}>"


_UTF8_QP = email.charset.Charset("utf-8")
_UTF8_QP.body_encoding = email.charset.QP  # readable bodies, 7-bit safe on any relay


def _header(name: str, text: str) -> str | email.header.Header:
    """A header value, RFC 2047-encoded (and folded) when it is not plain ASCII."""
    return text if text.isascii() else email.header.Header(text, "utf-8", header_name=name)


def _text_part(text: str, subtype: str) -> MIMEText:
    part = MIMEText(text, subtype, _UTF8_QP)
    del part["MIME-Version"]  # only the top level says it
    return part


def email_message(record: dict[str, Any], settings: Settings) -> email.message.EmailMessage:
    """The email for a rendered row: multipart/alternative (text, HTML), plus a
    `text/calendar; method=…` part named invite.ics for calendar kinds.

    Built with the compat32 MIME classes (≈10× cheaper than EmailMessage.set_content) under
    an EmailMessage root; its boundaries are fixed per row, so a retry is byte-for-byte
    the message tried first."""
    digest = hashlib.sha256(record["dedupe_key"].encode()).hexdigest()[:16]
    alternative = MIMEMultipart("alternative", boundary=f"=_alveole_{digest}_alt",
                                _subparts=[_text_part(record["body_text"], "plain"),
                                           _text_part(record["body_html"], "html")])
    del alternative["MIME-Version"]
    calendars: list[Any] = []
    for attachment in record.get("attachments") or []:
        if attachment.get("encoding") == "base64":  # binary (the check-in QR code)
            main, _, sub = attachment["content_type"].partition("/")
            binary = MIMEBase(main, sub, name=attachment["filename"])
            binary.set_payload(attachment["content"])
            binary["Content-Transfer-Encoding"] = "base64"
            del binary["MIME-Version"]
            binary.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
            calendars.append(binary)
            continue
        part = _text_part(attachment["content"], attachment["content_type"].partition("/")[2])
        if attachment.get("method"):
            part.set_param("method", attachment["method"], requote=False)  # method=REQUEST
        part.set_param("name", attachment["filename"])
        part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
        calendars.append(part)

    message = email.message.EmailMessage(policy=email.policy.compat32)
    if calendars:
        message["Content-Type"] = "multipart/mixed"
        message.set_boundary(f"=_alveole_{digest}_mixed")
        message.set_payload([alternative, *calendars])
    else:
        message["Content-Type"] = "multipart/alternative"
        message.set_boundary(f"=_alveole_{digest}_alt")
        message.set_payload(alternative.get_payload())
    message["MIME-Version"] = "1.0"
    name, address = email.utils.parseaddr(settings.mail_from)
    message["From"] = email.utils.formataddr((name, address), charset="utf-8")
    message["To"] = record["recipient_email"]
    message["Subject"] = _header("Subject", record["subject"])
    message["Message-ID"] = message_id(record, settings)
    message["Date"] = email.utils.format_datetime(ctx.utc(record["rendered_at"]))
    message["X-Alveole-Kind"] = record["kind"]
    message["Auto-Submitted"] = "auto-generated"
    return message
