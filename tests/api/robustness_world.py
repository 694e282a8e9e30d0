"""A small seeded world for the robustness sweep: who acts, on which resources, with which
valid request bodies (each bad case changes one thing of a valid body)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from tests.api.robustness_schema import Operation, variants
from tests.factories import auth, make_booking_row, make_community, make_session, make_user, make_workshop

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
# The sweep logs in and registers hundreds of times: argon2 at its lowest cost keeps that fast
# (verification cost comes from the stored hash, so the world's users get cheap hashes too).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_PASSWORD_HASH = CHEAP_HASHER.hash("correct horse battery")  # factories' password


@dataclass
class World:
    users: dict[str, dict[str, Any]]
    community: dict[str, Any]
    ids: dict[str, Any]  # path parameter name -> a valid value
    submitted_workshop_id: int
    full_session_id: int
    calendar_token: str
    counter: list[int] = field(default_factory=lambda: [0])
    # a session that ended an hour ago, in the attendance and feedback windows: its session_id,
    # booking_id (the participant's, confirmed), checkin_code and feedback link token
    ended: dict[str, Any] = field(default_factory=dict)

    def next(self) -> int:
        self.counter[0] += 1
        return self.counter[0]

    def path_values(self, op: Operation) -> dict[str, Any]:
        values = dict(self.ids)
        if op.path.endswith(("/approve", "/reject")):
            values["workshop_id"] = self.submitted_workshop_id
        if op.path.endswith("/waitlist") and "session_id" in op.path_params:
            values["session_id"] = self.full_session_id  # one joins a waitlist when it is full
        if self.ended and op.path.endswith("/checkin"):
            values["session_id"] = self.ended["session_id"]  # check-in opens 1 h before the start
        if self.ended and "booking_id" in op.path_params and op.path.endswith(("/attendance", "/feedback")):
            values["booking_id"] = self.ended["booking_id"]  # marks and feedback need a held session
        if self.ended and op.path.endswith("/recipe"):
            values["workshop_id"] = self.ended["workshop_id"]  # a recipe is published once it ran
        if self.ended and op.path.endswith("/walk-ins"):
            values["session_id"] = self.ended["door_session_id"]  # the door opens 1 h before the start
        if self.ended and op.path.endswith("/standby"):
            values["session_id"] = self.ended["door_full_session_id"]  # ... and standby is for a full one
        if self.ended and op.path.startswith("/feedback/"):
            values["token"] = self.ended["token"]  # the emailed feedback link
        return values

    def owner(self, op: Operation) -> str:
        """The actor allowed to act on the operation's resource, so bad input reaches the handler."""
        params = set(op.path_params)
        path = op.path
        if path.endswith(("/approve", "/reject", "/hide", "/unhide")):
            return "organizer"
        if "slug" in params and path.endswith("/attendance"):
            return "organizer"  # the community's attendance report
        if path.endswith(("/attendance", "/checkin", "/roster")) or (
                path.endswith("/feedback") and "workshop_id" in params):
            return "host"  # the host (or an organizer) runs the session and reads its feedback
        if path.endswith(("/bookings", "/waitlist")) and "session_id" in params:
            return "stranger"  # a would-be participant
        if params & {"workshop_id", "session_id"}:
            return "host"
        if params & {"booking_id", "entry_id"}:
            return "participant"
        if "slug" in params:
            return "admin" if op.method != "GET" else "organizer"
        if (op.method, path) in {("DELETE", "/api/v1/me"), ("POST", "/api/v1/auth/logout")}:
            return "fresh"  # it ends the actor's account or token: a new user per request
        if (op.method, path) == ("POST", "/api/v1/communities") or path.startswith("/admin/"):
            return "admin"
        return "stranger"

    def base_body(self, op: Operation) -> dict[str, Any] | None:
        """A valid body for the operation (None when it takes none)."""
        if op.body is None:
            return None
        n = self.next()
        bodies: dict[str, dict[str, Any]] = {
            "Credentials": {"email": self.users["participant"]["email"],
                            "password": self.users["participant"]["password"]},
            "UserCreate": {"email": f"newcomer{n}@example.org", "password": "long enough secret",
                           "display_name": "Newcomer", "locale": "fr", "timezone": "Europe/Paris"},
            "UserUpdate": {"display_name": "Renamed", "locale": "fr", "timezone": "Europe/Paris",
                           "bio": "I fix bikes.", "skills": ["bikes", "bread"]},
            "CommunityCreate": {"slug": f"new-community-{n}", "name": "New community",
                                "timezone": "Europe/Paris", "locale": "fr", "lat": 48.85, "lon": 2.35,
                                "moderation": True},
            "OrganizerCreate": {"email": self.users["stranger"]["email"]},
            "RelayCreate": {"email": self.users["stranger"]["email"]},
            "DoorCreate": {"name": "Paul", "seats": 1},
            "WorkshopCreate": {
                "community": self.community["slug"], "title": "Bread baking", "summary": "Sourdough.",
                "description": "Bring an apron.", "category": "cooking", "tags": ["bread"],
                "language": "fr", "venue": {"name": "Le fournil", "address": "2 rue du Pain, Paris",
                                            "lat": 48.86, "lon": 2.38},
                "payment": "on_site", "price_cents": 500, "currency": "EUR", "capacity": 8,
                "max_seats_per_booking": 2, "cancellation_deadline_hours": 12,
                "waitlist": {"enabled": True, "mode": "offer", "offer_ttl_minutes": 30},
            },
            "WorkshopUpdate": {
                "title": "Fix your bike, again", "summary": "Brakes.", "description": "Tools provided.",
                "category": "repair", "tags": ["bike", "tools"], "language": "fr",
                "venue": {"name": "Atelier", "address": "3 rue du Vélo, Paris", "lat": 48.87, "lon": 2.36},
                "payment": "on_site", "price_cents": 300, "currency": "eur", "capacity": 12,
                "max_seats_per_booking": 3, "cancellation_deadline_hours": 6,
                "waitlist": {"enabled": True, "mode": "auto", "offer_ttl_minutes": 45},
            },
            "Reject": {"reason": "Please add a venue photo."},
            "SessionCreate": {"starts_at": "2026-12-20T14:00:00+01:00", "ends_at": "2026-12-20T16:00:00+01:00",
                              "timezone": "Europe/Paris", "capacity": 6, "rrule": "FREQ=WEEKLY;COUNT=2"},
            "SessionChange": {"starts_at": "2026-12-09T15:00:00+01:00", "ends_at": "2026-12-09T17:00:00+01:00",
                              "timezone": "Europe/Paris", "capacity": 12},
            "SessionCancel": {"reason": "The hall is flooded."},
            "BookingCreate": {"seats": 1},
            "WaitlistJoin": {"seats": 1},
            "AttendanceChange": {"attendance": "attended"},
            "CheckIn": {"checkin_code": self.ended.get("checkin_code", "x")},
            "FeedbackCreate": {"rating": 4, "comment": "Clear and friendly."},
            "RecipePublish": {"materials": ["A pump"], "steps": ["Find the hole", "Patch it"],
                              "duration_minutes": 90, "group_size": 8, "cost_note": "5 €",
                              "licence": "CC-BY-SA-4.0"},
            "RecipeCopy": {"community": self.community["slug"]},
            # links made for a user of their own (a reset ends every session of its account)
            "VerifyEmail": {"token": VERIFY_TOKEN},
            "ForgotPassword": {"email": self.users["participant"]["email"]},
            "ResetPassword": {"token": RESET_TOKEN, "password": "long enough secret"},
            # the actor's own password, kept: later logins still work
            "ChangePassword": {"current_password": "correct horse battery",
                               "new_password": "correct horse battery"},
        }
        if op.body_component in bodies:
            return bodies[op.body_component]
        return sample(op.body)  # a new route: a schema-valid guess (the base-body test checks it)

    def fresh(self, op: Operation, case: Any) -> Any:
        """The case with unique fields (a new account's email, a new community's slug) made new,
        unless they are what the case breaks: else every request after the first is a 409."""
        unique = {"UserCreate": "email", "CommunityCreate": "slug"}.get(op.body_component or "")
        body = case.json_body
        if unique and isinstance(body, dict) and unique in body and case.target != unique:
            value = f"fresh{self.next()}@example.org" if unique == "email" else f"fresh-{self.next()}"
            return dataclasses.replace(case, json_body={**body, unique: value})
        return case

    def headers(self, actor: str) -> dict[str, str]:
        return auth(self.users[actor])


def sample(schema: dict[str, Any]) -> Any:
    """A small value satisfying the schema's declared types and bounds (required fields only)."""
    variant = next((v for v in variants(schema) if v.get("type") != "null"), {})
    if "enum" in variant or "const" in variant:
        return variant.get("enum", [variant.get("const")])[0]
    if variant.get("examples"):
        return variant["examples"][0]
    kind = variant.get("type")
    if kind == "object":
        return {name: sample(sub) for name, sub in variant.get("properties", {}).items()
                if name in variant.get("required", [])}
    if kind == "array":
        return [sample(variant["items"]) for _ in range(variant.get("minItems", 0))]
    if kind == "integer":
        return max(1, int(variant.get("minimum", 1)))
    if kind == "number":
        return variant.get("minimum", 1.0)
    if kind == "boolean":
        return True
    if variant.get("format") == "date-time":
        return "2026-12-20T14:00:00+01:00"
    return "x" * max(1, variant.get("minLength", 1))


VERIFY_TOKEN, RESET_TOKEN = "robustness-verify-link", "robustness-reset-link"


async def _one_time_links(owner: dict[str, Any]) -> None:
    from accounts import tokens
    from accounts.tables import OneTimeToken

    for purpose, token in ((tokens.VERIFY_EMAIL, VERIFY_TOKEN), (tokens.PASSWORD_RESET, RESET_TOKEN)):
        await OneTimeToken.insert(OneTimeToken(user=owner["id"], purpose=purpose, token_hash=tokens.token_hash(token),
                                               created_at=T0, expires_at=T0 + dt.timedelta(days=30)))


async def _short_code(session_id: int) -> str:
    from workshops.tables import WorkshopSession

    row = await WorkshopSession.select(WorkshopSession.short_code).where(WorkshopSession.id == session_id).first()
    return row["short_code"]


async def seed_world(client: Any) -> World:
    """Users in every role, a community, a published and a submitted workshop, a session with a
    booking, a full session with a waitlist entry, and their outbox messages."""
    async def user(**overrides: Any) -> dict[str, Any]:
        return await make_user(password_hash=CHEAP_PASSWORD_HASH, **overrides)

    organizer, host, participant = await user(), await user(), await user()
    users = {"stranger": await user(), "admin": await user(is_admin=True),
             "organizer": organizer, "host": host, "participant": participant, "other": await user()}
    community = await make_community(organizers=(organizer,), slug="robust-town")
    workshop = await make_workshop(host=host, community=community)
    submitted = await make_workshop(host=host, community=community, status="submitted", published_at=None)
    session = await make_session(workshop=workshop, capacity=10)
    full = await make_session(workshop=workshop, capacity=1, starts_at=T0 + dt.timedelta(days=8))

    async def post(path: str, actor: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, headers=auth(actor), json={"seats": 1})
        assert response.status_code == 201, response.text
        return response.json()

    booking = await post(f"/api/v1/sessions/{session['id']}/bookings", participant)
    await post(f"/api/v1/sessions/{full['id']}/bookings", users["other"])
    entry = await post(f"/api/v1/sessions/{full['id']}/waitlist", participant)
    me = (await client.get("/api/v1/me", headers=auth(participant))).json()
    token = me["calendar_url"].rsplit("/", 2)[-2]

    from notify.tables import OutboxMessage

    message = await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id).first()
    from booking.feedback import link_token
    from booking.tables import Feedback

    # on a workshop of its own: the main workshop's first session stays an upcoming one
    held = await make_workshop(host=host, community=community, title="Held")
    ended = await make_session(workshop=held, starts_at=T0 - dt.timedelta(hours=3), ends_at=T0 - dt.timedelta(hours=1))
    attended = await make_booking_row(ended, participant)
    door = await make_session(workshop=workshop, capacity=50, starts_at=T0 + dt.timedelta(minutes=30))
    door_full = await make_session(workshop=workshop, capacity=1, starts_at=T0 + dt.timedelta(minutes=30))
    await make_booking_row(door_full, users["other"])
    rated = await make_booking_row(ended, users["other"])
    feedback = Feedback(booking=rated["id"], rating=2, comment="Too short.", created_at=T0)
    await Feedback.insert(feedback)
    secret = client._transport.app.state.runtime.settings.secret_key
    recipe = await client.put(f"/api/v1/workshops/{held['id']}/recipe", headers=auth(host), json={
        "materials": ["A pump"], "steps": ["Patch it"], "duration_minutes": 60, "licence": "CC0-1.0"})
    assert recipe.status_code == 200, recipe.text
    ids = {"workshop_id": workshop["id"], "session_id": session["id"], "booking_id": booking["id"],
           "entry_id": entry["id"], "host_id": host["id"], "slug": community["slug"], "token": token,
           "message_id": message["id"] if message else 1, "feedback_id": feedback.id,
           "community_id": community["id"], "recipe_id": recipe.json()["id"], "user_id": users["stranger"]["id"],
           "code": await _short_code(session["id"])}
    await _one_time_links(await user(verified=False))
    return World(users=users, community=community, ids=ids, submitted_workshop_id=submitted["id"],
                 full_session_id=full["id"],                  calendar_token=token,
                 ended={"session_id": ended["id"], "booking_id": attended["id"], "workshop_id": held["id"],
                        "checkin_code": attended["checkin_code"], "door_session_id": door["id"],
                        "door_full_session_id": door_full["id"],
                        "token": link_token(secret, attended["id"], ended["ends_at"])})
