"""Small async factories with overrides: `await make_user(email=...)`, `await make_session(capacity=2)`.

They write rows directly (fast, no HTTP) and return plain dicts with ids; use `auth(user)`
for request headers."""
from __future__ import annotations

import datetime as dt
import itertools
import secrets
from typing import Any

from accounts.auth import issue_token
from accounts.tables import Community, Organizer, User
from workshops.tables import Workshop, WorkshopSession
from workshops.text import render_description, search_text

_seq = itertools.count(1)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
# argon2 hash of "correct horse battery" made once, so factories stay fast
_PASSWORD = "correct horse battery"
_PASSWORD_HASH: str | None = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        from argon2 import PasswordHasher

        _PASSWORD_HASH = PasswordHasher().hash(_PASSWORD)
    return _PASSWORD_HASH


async def make_user(*, verified: bool = True, **overrides: Any) -> dict[str, Any]:
    """A user with a bearer token; their address counts as verified unless `verified=False`."""
    n = next(_seq)
    values: dict[str, Any] = dict(
        email=f"user{n}@example.org", display_name=f"User {n}", password_hash=_password_hash(),
        locale="en", timezone="Europe/Paris", is_admin=False,
        calendar_token=secrets.token_urlsafe(24), created_at=NOW,
        email_verified_at=overrides.get("created_at", NOW) if verified else None,
    )
    values.update(overrides)
    user = User(**values)
    await User.insert(user)
    token = await issue_token(user.id, overrides.get("created_at", NOW))
    return {"id": user.id, "email": values["email"], "token": token, "password": _PASSWORD,
            "display_name": values["display_name"]}


def auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


async def make_community(organizers: tuple[dict[str, Any], ...] = (), **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    values: dict[str, Any] = dict(slug=f"quartier-{n}", name=f"Quartier {n}", timezone="Europe/Paris",
                                  locale="fr", lat=48.8566, lon=2.3522, moderation=True)
    values.update(overrides)
    community = Community(**values)
    await Community.insert(community)
    for organizer in organizers:
        await Organizer.insert(Organizer(community=community.id, user=organizer["id"],
                                         pair=f"{community.id}:{organizer['id']}"))
    return {"id": community.id, **values}


async def make_workshop(host: dict[str, Any] | None = None, community: dict[str, Any] | None = None,
                        **overrides: Any) -> dict[str, Any]:
    host = host or await make_user()
    community = community or await make_community()
    values: dict[str, Any] = dict(
        community=community["id"], host=host["id"], title="Fix your bike", summary="Brakes, gears, tyres.",
        description="Bring your bike.", category="repair", tags=["bike"], language="en",
        venue_name="Maison du quartier", venue_address="1 rue de la Paix, Paris", venue_lat=48.86,
        venue_lon=2.35, payment="free", price_cents=0, currency="eur", capacity=10,
        max_seats_per_booking=4, waitlist_enabled=True, waitlist_mode="auto", offer_ttl_minutes=60,
        cancellation_deadline_hours=24, status="published", created_at=NOW, updated_at=NOW,
        published_at=NOW,
    )
    values.update(overrides)
    values.setdefault("description_html", render_description(values["description"]))  # as the service does
    values.setdefault("search_text", search_text(values["title"], values["summary"], values["description"],
                                                 values["tags"]))
    workshop = Workshop(**values)
    await Workshop.insert(workshop)
    return {"id": workshop.id, "host": host, "community": community, **values}


async def make_session(workshop: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    workshop = workshop or await make_workshop(**overrides.pop("workshop_overrides", {}))
    starts_at = overrides.pop("starts_at", NOW + dt.timedelta(days=7))
    values: dict[str, Any] = dict(
        workshop=workshop["id"], starts_at=starts_at,
        ends_at=overrides.pop("ends_at", starts_at + dt.timedelta(hours=2)),
        timezone="Europe/Paris", capacity=workshop["capacity"], status="scheduled", sequence=0,
        created_at=NOW, updated_at=NOW,
    )
    values.update(overrides)
    session = WorkshopSession(**values)
    await WorkshopSession.insert(session)
    return {"id": session.id, "workshop": workshop, **values}


# --- notify: rows written directly (no booking service), for rendering, reminders and feeds ---

async def make_booking_row(session: dict[str, Any] | None = None, user: dict[str, Any] | None = None,
                           **overrides: Any) -> dict[str, Any]:
    """A Booking row inserted as is (confirmed by default), bypassing the booking service."""
    from booking.tables import Booking

    session = session or await make_session()
    user = user or await make_user()
    status = overrides.get("status", "confirmed")
    values: dict[str, Any] = dict(
        session=session["id"], user=user["id"], seats=1, status=status, attendance="unknown",
        amount_cents=0, currency="eur", late_cancellation=False,
        checkin_code=secrets.token_hex(8),
        active_slot=f"{session['id']}:{user['id']}" if status in ("confirmed", "pending_payment") else None,
        created_at=NOW, updated_at=NOW,
    )
    values.update(overrides)
    booking = Booking(**values)
    await Booking.insert(booking)
    return {**values, "id": booking.id, "session": session, "user": user}


async def make_waitlist_row(session: dict[str, Any] | None = None, user: dict[str, Any] | None = None,
                            **overrides: Any) -> dict[str, Any]:
    """A WaitlistEntry row inserted as is (waiting by default), bypassing the booking service."""
    from booking.tables import WaitlistEntry

    session = session or await make_session()
    user = user or await make_user()
    status = overrides.get("status", "waiting")
    values: dict[str, Any] = dict(
        session=session["id"], user=user["id"], seats=1, status=status,
        active_slot=f"{session['id']}:{user['id']}" if status in ("waiting", "offered") else None,
        created_at=NOW, updated_at=NOW,
    )
    values.update(overrides)
    entry = WaitlistEntry(**values)
    await WaitlistEntry.insert(entry)
    return {**values, "id": entry.id, "session": session, "user": user}


# --- accounts: the one-time link of the latest verify_email / password_reset email ---------

async def emailed_link(settings: Any, kind: str, recipient_id: int | None = None) -> str:
    """The path (`/verify/…`, `/reset/…`) of the link in the newest `kind` email (to
    `recipient_id` if given), read from the rendered message as the recipient would."""
    import re

    from notify.compose import compose
    from notify.repository import outbox_record
    from notify.tables import OutboxMessage

    query = OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.kind == kind)
    if recipient_id is not None:
        query = query.where(OutboxMessage.recipient == recipient_id)
    row = await query.order_by(OutboxMessage.id, ascending=False).first()
    assert row is not None, f"no {kind} email"
    composed = await compose(await outbox_record(row["id"]), settings, NOW, preview=True)
    found = re.search(re.escape(settings.base_url) + r"(/(?:verify|reset)/[A-Za-z0-9_-]+)", composed.body_text)
    assert found, composed.body_text
    assert found.group(0) in composed.body_html
    return found.group(1)
