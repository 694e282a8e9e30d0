"""Text messages that fit: one GSM-7 SMS (160 characters of the basic set) per message, in the
recipient's language, the date in the session's zone, the place shortened to fit, and the
words a reply may use. Pure functions, no I/O.

Only the GSM 03.38 *basic* set is written (its extension table — € [ ] { } ~ ^ | \\ — costs
two characters each and some phones mangle it): what is not in it is transliterated
(`ê` → `e`, `œ` → `oe`, `’` → `'`, `«` → `"`, `€` → `EUR`), accents the set has are kept
(é è ù ì ò à É Ç Ä Ö Ñ Ü ä ö ñ ü).
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from kernel.events import OutboxRow
from kernel.i18n import translations

SMS_LIMIT = 160
SMS, EMAIL = "sms", "email"  # the outbox's channels
ELLIPSIS = "..."

# GSM 03.38 basic character set, without the escape to the extension table
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_MAP = {
    "ê": "e", "ë": "e", "â": "a", "á": "a", "ã": "a", "ô": "o", "ó": "o", "õ": "o", "î": "i",
    "ï": "i", "í": "i", "û": "u", "ú": "u", "ÿ": "y", "ç": "c", "œ": "oe", "Œ": "OE",
    "’": "'", "‘": "'", "‚": ",", "´": "'", "`": "'", "“": '"', "”": '"', "„": '"', "«": '"',
    "»": '"', "–": "-", "—": "-", "‑": "-", "−": "-", "…": "...", "€": "EUR", "[": "(",
    "]": ")", "{": "(", "}": ")", "~": "-", "^": "'", "|": "/", "\\": "/", "\t": " ",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "·": ".", "•": "-",
}


def gsm7(text: str, keep: str = "") -> str:
    """`text` written with the GSM-7 basic set only (one character each); `keep`: characters
    left as they are (a template's braces)."""
    out: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in keep:
            out.append(char)
        elif char in _MAP:
            out.append(_MAP[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char)
                           if not unicodedata.combining(c))
            out.append(base if base and all(c in GSM7_BASIC for c in base) else "?")
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC for c in text)


def shorten(text: str, room: int) -> str:
    """`text` cut to `room` characters, ending with "..." when cut."""
    text = " ".join(text.split())
    if len(text) <= room:
        return text
    if room <= len(ELLIPSIS):
        return ""
    return text[: room - len(ELLIPSIS)].rstrip(" ,.;:-") + ELLIPSIS


# What each kind says; {title}, {when} and {place} are filled in and made to fit. Each is a
# catalogue entry (French in messages.po). The reply words are the same in both languages
# (ANNULER, OUI/YES, STOP): Twilio's default opt-out list has CANCEL, see docs/operations.md.
_TEMPLATES = {
    "reminder": "Reminder: {title}, {when}, {place}. Reply YES to confirm, ANNULER to free your seat.",
    "session_updated": "Changed: {title} is now {when}, {place}. Reply ANNULER to free your seat.",
    "session_cancelled": "Cancelled: {title}, {when}, {place}. Your booking is cancelled.",
    "booking_cancelled": "Your seat for {title}, {when}, {place} is cancelled.",
}
TEXT_KINDS = frozenset(_TEMPLATES)
# the answers to a reply (notify.replies)
ANSWERS = {
    "cancelled": "Your seat for {title} is freed. Thank you for telling us.",
    "confirmed": "Thank you, see you {when}.",
    "stopped": "You will get no more texts from Alveole. Your account keeps your bookings.",
    "started": "You will get texts from Alveole again. Reply STOP to stop them.",
    "help": "Reply ANNULER to free your seat, YES to confirm you are coming, STOP to get no more texts.",
}
# the date and time, short: "sam. 12 déc. 14:30" / "Sat 12 Dec 14:30"
_WHEN = {"fr": "EEE d MMM HH'h'mm", "en": "EEE d MMM HH:mm"}


def _(language: str, message: str) -> str:
    return translations(language).gettext(message)


def when(starts_at: dt.datetime, timezone: str, language: str) -> str:
    local = starts_at.astimezone(ZoneInfo(timezone or "UTC"))
    return format_datetime(local, _WHEN.get(language, _WHEN["en"]), locale=language)


@dataclass(frozen=True)
class TextFacts:
    """What a text is about: the workshop's title, the session's start and zone, the place."""

    title: str
    starts_at: dt.datetime
    timezone: str
    place: str
    short_place: str = ""  # the venue's name alone, tried before the place is cut


def compose_text(kind: str, language: str, facts: TextFacts, limit: int = SMS_LIMIT) -> str:
    """The text for `kind` in `language`: GSM-7, at most `limit` characters."""
    template = gsm7(_(language, _TEMPLATES[kind]), keep="{}")
    return fit(template, title=gsm7(facts.title), place=gsm7(facts.place),
               short_place=gsm7(facts.short_place),
               when=gsm7(when(facts.starts_at, facts.timezone, language)), limit=limit)


def fit(template: str, *, title: str, place: str, when: str, short_place: str = "",
        limit: int = SMS_LIMIT) -> str:
    """Fill `template`, shortening the place (its name alone first), then the title."""
    title, place = " ".join(title.split()), " ".join(place.split())
    fixed = len(template.format(title="", place="", when=when))
    room = limit - fixed
    if len(title) + len(place) > room and short_place and len(short_place) < len(place):
        place = " ".join(short_place.split())
    if len(title) + len(place) > room:
        # the place keeps at least a useful start (or what the title leaves), the title the rest
        place = shorten(place, max(room - len(title), min(len(place), 30)))
        title = shorten(title, room - len(place))
    text = template.format(title=title, place=place, when=when)
    return text if len(text) <= limit else shorten(text, limit)


def answer(language: str, what: str, *, title: str = "", starts_at: dt.datetime | None = None,
           timezone: str = "UTC") -> str:
    """A reply's answer (GSM-7, one SMS)."""
    template = gsm7(_(language, ANSWERS[what]), keep="{}")
    shown_when = gsm7(when(starts_at, timezone, language)) if starts_at is not None else ""
    return fit(template, title=gsm7(title), place="", when=shown_when)


def reply_word(body: str) -> str:
    """What a reply says, as a keyword: accents, case, spaces and punctuation ignored
    (" annulér ! " → "ANNULER")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", body or "") if not unicodedata.combining(c))
    return "".join(c for c in plain if c.isalnum()).upper()


CANCEL_WORDS = frozenset({"ANNULER", "ANNULE", "ANNULATION", "CANCEL"})
CONFIRM_WORDS = frozenset({"OUI", "YES", "CONFIRMER", "CONFIRM"})
STOP_WORDS = frozenset({"STOP", "STOPALL", "ARRET", "ARRETER", "UNSUBSCRIBE", "END", "QUIT"})
# only the number itself lifts its STOP (an account that types the number in cannot: it is not proof of owning it)
START_WORDS = frozenset({"START", "UNSTOP"})


def text_twin(record: dict[str, Any]) -> OutboxRow | None:
    """The text message standing beside an email row (`notify.outbox` writes it when the email
    is rendered, for a participant who takes texts), for the kinds that go by text about one
    booking: not a waitlisted participant's session_cancelled, not a fan-out row."""
    kind, payload = record["kind"], record["payload"]
    if kind not in TEXT_KINDS or (record.get("channel") or EMAIL) != EMAIL or "booking_id" not in payload:
        return None
    if kind == "booking_cancelled" and payload.get("by") in ("participant", None):
        return None  # they did it themselves, and were answered (on the page, or by text)
    coalesce = (f"sms:session_updated:{payload['session_id']}:{payload['booking_id']}"
                if kind == "session_updated" else None)
    return OutboxRow(kind, f"sms:{record['dedupe_key']}", record.get("recipient"), dict(payload),
                     coalesce_key=coalesce, channel=SMS)
