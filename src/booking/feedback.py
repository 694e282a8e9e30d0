"""Feedback (PRODUCT.md flow 8): a rating and a comment per booking, from the API or from the
signed link of the `feedback_request` email, read by the host and the organizers.

Giving feedback is an operation of the booking store: it locks the session row, so it is
serialised with the attendance marks (a booking marked no-show meanwhile cannot be rated);
the unique `feedback.booking` makes "once per booking" hold under any race.

The emailed link (`/feedback/{token}`) is its own credential: the token names the booking and
the instant the feedback window closes, signed with HMAC-SHA256 under the secret key (a
purpose prefix keeps it from ever matching another signature of this key). A token cannot be
forged or altered without the key, and it stops working when the window closes.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from functools import partial
from typing import Any

from accounts.auth import CurrentUser, is_organizer_of
from booking import ops, repository, rules
from booking.attendance import ensure_manager_of
from booking.errors import FeedbackExists
from booking.repository import FEEDBACK_OF_BOOKING, INSERT_FEEDBACK, SELECT_BOOKING
from booking.schemas import Feedback, FeedbackRating, WorkshopFeedback, WorkshopFeedbackItem
from booking.service import ensure_id
from booking.store import run
from kernel.errors import Forbidden, NotFound
from kernel.runtime import Runtime
from kernel.sql import Tx, UniqueViolation, as_datetime, fetch_one
from workshops import repository as workshops_repository

UTC = dt.timezone.utc


# ------------------------------------------------------------------------------ operation

async def give_feedback(tx: Tx, *, booking_id: int, user_id: int, rating: int, comment: str,
                        now: dt.datetime) -> Feedback:
    row = await tx.one(SELECT_BOOKING, booking_id)
    if row is None:
        raise NotFound("no such booking")
    facts = ops.facts_from_row(await tx.one(ops.LOCK_SESSION, row["session"]))
    row = await tx.one(SELECT_BOOKING, booking_id)  # as it is now that the session is locked
    rules.ensure_may_give_feedback(user_id=user_id, participant_id=row["user"], host_id=facts.host_id,
                                   status=row["status"], attendance=row["attendance"])
    exists = await tx.one(FEEDBACK_OF_BOOKING, booking_id) is not None
    rules.ensure_feedback_window(facts.ends_at, now, exists=exists)
    try:
        created = await tx.one(INSERT_FEEDBACK, booking_id, rating, comment, now)
    except UniqueViolation:
        raise FeedbackExists("feedback was already given for this booking") from None
    return Feedback(id=created["id"], booking_id=booking_id, rating=rating, comment=comment, created_at=now)


# ------------------------------------------------------------------------------- use cases

async def give(runtime: Runtime, user_id: int, booking_id: int, rating: int, comment: str) -> Feedback:
    """The participant rates their booking (the API, or the emailed link for `user_id` the
    booking's participant)."""
    ensure_id(booking_id, "booking")
    text = rules.clean_comment(comment)
    return await run(runtime, partial(give_feedback, booking_id=booking_id, user_id=user_id, rating=rating,
                                      comment=text, now=runtime.clock.now()))


async def of_workshop(runtime: Runtime, user: CurrentUser, workshop_id: int, limit: int,
                      offset: int) -> WorkshopFeedback:
    """Every rating and comment of the workshop, newest first, with the session's date. A
    hidden comment is shown to organizers and admins (so they can show it again), not to the
    host; its rating counts either way."""
    ensure_id(workshop_id, "workshop")
    workshop = await fetch_one(workshops_repository.WORKSHOP_VIEW_BY_ID, workshop_id)
    if workshop is None:
        raise NotFound("no such workshop")
    role = await ensure_manager_of(user, workshop["h_id"], workshop["c_id"], workshop["w_status"], "workshop")
    rows, summary = await repository.feedback_of_workshop(workshop_id, limit, offset)
    items = []
    for row in rows:
        hidden = row["hidden_at"] is not None
        items.append(WorkshopFeedbackItem(
            id=row["id"], session_id=row["session_id"],
            session_starts_at=_in_zone(as_datetime(row["session_starts_at"]), row["session_timezone"]),
            rating=row["rating"], comment=None if hidden and role == "host" else row["comment"],
            hidden=hidden, created_at=as_datetime(row["created_at"])))
    average = summary["average"] if summary else None
    count = int(summary["n"] or 0) if summary else 0
    return WorkshopFeedback(items=items, total=count, rating=FeedbackRating(
        average=None if average is None else float(average), count=count))


def _in_zone(value: dt.datetime, zone_name: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    try:
        return value.astimezone(ZoneInfo(zone_name))
    except (KeyError, ValueError):
        return value


async def set_hidden(runtime: Runtime, user: CurrentUser, feedback_id: int, hidden: bool) -> None:
    """An organizer of the workshop's community (or an admin) hides an abusive comment, or shows
    it again; the host may not (403)."""
    ensure_id(feedback_id, "feedback")
    row = await repository.feedback_with_parties(feedback_id)
    if row is None:
        raise NotFound("no such feedback")
    if not (user.is_admin or await is_organizer_of(user, row["community"])):
        raise Forbidden("only an organizer of the workshop's community may hide or show a comment")
    await repository.hide_feedback(feedback_id, runtime.clock.now() if hidden else None,
                                   user.id if hidden else None)


# --------------------------------------------------------------------- the emailed link

_PURPOSE = b"alveole-feedback-link:"


def _signature(secret_key: str, booking_id: int, expires: int) -> str:
    digest = hmac.new(secret_key.encode(), _PURPOSE + f"{booking_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_token(secret_key: str, booking_id: int, session_ends_at: dt.datetime) -> str:
    """`{booking}.{window closes, unix seconds}.{signature}`: valid until the window closes."""
    expires = int(rules.feedback_closes_at(session_ends_at).timestamp())
    return f"{booking_id}.{expires}.{_signature(secret_key, booking_id, expires)}"


@dataclass(frozen=True)
class LinkClaim:
    booking_id: int
    expires_at: dt.datetime


class BadLink(Exception):
    """Not one of our tokens (tampered, truncated, signed with another key)."""


def read_token(secret_key: str, token: str) -> LinkClaim:
    """The booking and deadline a token names, if its signature holds (BadLink otherwise);
    whether the deadline has passed is the caller's question."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() for p in parts) or not parts[0].isdigit() \
            or not parts[1].isdigit() or len(parts[0]) > 10 or len(parts[1]) > 12:
        raise BadLink("malformed")
    booking_id, expires = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2].encode(), _signature(secret_key, booking_id, expires).encode()):
        raise BadLink("bad signature")
    return LinkClaim(booking_id=booking_id, expires_at=dt.datetime.fromtimestamp(expires, UTC))


async def link_view(booking_id: int) -> Any:
    """What the feedback page shows about the booking (None if it is gone)."""
    return await repository.feedback_page_view(booking_id)
