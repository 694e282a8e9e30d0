"""Bad input gets a clear RFC 9457 problem, never a 500, and never loses data.

The sweep reads every operation from the app's own OpenAPI schema (plus the routes kept out
of it) and sends each one malformed and mistyped bodies, every declared field broken in turn,
hostile path ids and query parameters, oversized bodies and unknown content types — as an
ordinary user, as an admin and as the user entitled to the resource (so input reaches the
handler). See `robustness_cases` for which answers are acceptable.
"""
from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from alveole.app import create_app
from kernel.settings import Settings
from tests.api.robustness_cases import Case, all_cases, problems_with
from tests.api.robustness_schema import Operation, hidden_operations, operations_from_schema
from tests.api.robustness_world import CHEAP_HASHER, World, seed_world
from tests.factories import auth, make_user

BACKEND = "postgres" if os.environ.get("ALVEOLE_TEST_DATABASE_URL") else "sqlite"


def _operations() -> list[Operation]:
    # Collection needs the routes before any fixture runs: the same app, without a database.
    app = create_app(Settings(database_url="sqlite:////nonexistent/robustness.db"))
    documented = operations_from_schema(app.openapi_schema.to_schema())
    # in a stable order: pytest-xdist's workers must collect the same tests (the framework's
    # route order may differ between processes)
    return sorted(documented + hidden_operations(app, documented), key=lambda op: (op.path, op.method))


OPERATIONS = _operations()

# Known failures in packages this suite may not fix (booking, notify): (operation, case label)
# -> (back ends where it fails, what happens). Each is replayed by test_known_failure as a
# strict xfail, so a fix shows up as XPASS: then delete its entry here.
BOTH, PG_ONLY = frozenset({"sqlite", "postgres"}), frozenset({"postgres"})
KNOWN_FAILURES: dict[tuple[str, str], tuple[frozenset[str], str]] = {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Rate limits off: the sweep registers and logs in hundreds of times from one address.
    return Settings(database_url=database_url, mail_dir=tmp_path / "mail",
                    base_url="http://alveole.test", worker_poll_seconds=0.05, rate_limits=False)


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", CHEAP_HASHER.hash("alveole-timing-equaliser"))


def _server_error(caplog: pytest.LogCaptureFixture) -> str:
    """The logged exception behind a 500, as 'Type: message (file:line)'."""
    for record in reversed(caplog.records):
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "/src/" in f.filename] or frames
            where = f"{ours[-1].filename.split('/src/')[-1]}:{ours[-1].lineno}" if ours else "?"
            caplog.clear()
            return f"{type(exc).__name__}: {str(exc)[:160]} (at {where})"
    return "no exception logged"


async def send(client: Any, world: World, op: Operation, case: Case, actor: str) -> Any:
    values = {**world.path_values(op), **case.path}
    kwargs = world.fresh(op, case).request_kwargs()
    headers = kwargs.pop("headers")
    if not case.anonymous:
        user = await make_user() if actor == "fresh" else world.users[actor]
        headers = {**auth(user), **headers}
    return await client.request(op.method, op.url(**values), headers=headers, **kwargs)


def actors_for(world: World, op: Operation) -> list[str]:
    """An ordinary user first, an admin where it matters (any write: admins moderate and
    manage communities), then the resource's owner, who gets through to the handler's own
    checks (the body field cases are sent as the owner only)."""
    owner = world.owner(op)
    actors = ["stranger"] + (["admin"] if op.method != "GET" else [])
    return [a for a in actors if a != owner] + [owner]


async def sweep(client: Any, world: World, op: Operation, caplog: pytest.LogCaptureFixture
                ) -> list[tuple[str, str, str]]:
    """Send every case; returns (case label, actor, what is wrong) for each bad answer."""
    failures = []
    cases = all_cases(op, world.base_body(op))
    owner = world.owner(op)
    for actor in actors_for(world, op):
        for case in cases:
            # one actor per request that changes nothing else: the owner, who gets deepest
            if (case.anonymous or case.target is not None) and actor != owner:
                continue
            response = await send(client, world, op, case, actor)
            wrong = problems_with(case, actor, response, deep=actor == owner)
            if response.status_code >= 500:
                wrong = [f"{wrong[0]}: {_server_error(caplog)}"]
            failures.extend((case.label, actor, w) for w in wrong)
    return failures


def _known(op: Operation, label: str) -> bool:
    backends, _ = KNOWN_FAILURES.get((op.id, label), (frozenset(), ""))
    return BACKEND in backends


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
async def test_bad_input_gets_a_problem_never_a_500(op: Operation, client, caplog):
    caplog.set_level(logging.ERROR, logger="alveole")
    world = await seed_world(client)
    failures = [f for f in await sweep(client, world, op, caplog) if not _known(op, f[0])]
    assert not failures, f"{op.id}: {len(failures)} bad answers\n" + "\n".join(
        f"  [{actor}] {label}: {wrong}" for label, actor, wrong in failures[:40])


async def test_the_sweep_covers_every_route_of_the_running_app(app, client):
    """The parametrization above was read at collection; the app under test has the same routes,
    every one with at least path, body or header cases, and every body a valid base."""
    schema = (await client.get("/schema/openapi.json")).json()
    documented = operations_from_schema(schema)
    live = {op.id for op in documented + hidden_operations(app, documented)}
    assert live == {op.id for op in OPERATIONS}
    assert any(not op.documented for op in OPERATIONS)  # the dev pages are swept too
    assert len(live) >= 40


# --------------------------------------------------------------- the sweep's cases are honest

@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.body is not None], ids=lambda op: op.id)
async def test_the_valid_base_body_is_accepted_by_the_owner(op: Operation, client):
    """Each field case breaks one thing of a body that is valid as sent: so a 400 is about the
    broken field, and the owner's requests do reach the handler's own checks."""
    world = await seed_world(client)
    base = world.base_body(op)
    owner = world.owner(op)
    response = await send(client, world, op, Case("valid", False, json_body=base), owner)
    assert response.status_code < 300, (
        f"{op.id} as {owner}: {response.status_code} {response.text[:400]}\n(the base body of "
        f"{op.body_component} comes from robustness_world.World.base_body: add or fix it there)")


async def test_a_broken_answer_is_reported(client):
    """The checker itself: a 500, a bare 400, an unknown slug and a mismatched status all fail."""

    class Answer:
        def __init__(self, status: int, body: Any, media: str = "application/problem+json") -> None:
            self.status_code, self._body, self.headers = status, body, {"content-type": media}

        def json(self) -> Any:
            return self._body

    base = "https://alveole.example/problems/"
    case = Case("x", True, field="title")
    assert problems_with(case, "a", Answer(500, {}), deep=True)
    assert problems_with(case, "a", Answer(200, {}), deep=True)
    assert problems_with(case, "a", Answer(400, {"detail": "bad"}, "application/json"), deep=True)
    assert problems_with(case, "a", Answer(400, {"type": base + "oops", "title": "t", "status": 400}), True)
    assert problems_with(case, "a", Answer(404, {"type": base + "validation-error", "title": "t",
                                                 "status": 404}), True)
    assert problems_with(case, "a", Answer(400, {"type": base + "validation-error", "title": "t",
                                                 "status": 400, "errors": []}), deep=True)
    assert not problems_with(case, "a", Answer(400, {"type": base + "validation-error", "title": "t",
                                                     "status": 400, "errors": [{"field": "title"}]}), True)


# ------------------------------------------------------------------------ unsupported methods

async def test_an_unsupported_method_is_a_405_problem_and_an_unknown_path_a_404(client):
    world = await seed_world(client)
    by_path: dict[str, set[str]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, set()).add(op.method)
    wrong = []
    for path, methods in by_path.items():
        method = next(m for m in ("PUT", "PATCH", "DELETE", "POST") if m not in methods)
        url = path.format(**{k: v for k, v in world.ids.items()})
        response = await client.request(method, url, headers=world.headers("stranger"))
        body = response.json() if response.headers.get("content-type", "").startswith(
            "application/problem+json") else None
        if response.status_code != 405 or not body or not body["type"].endswith("/method-not-allowed"):
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
    unknown = await client.get("/api/v1/no-such-route", headers=world.headers("stranger"))
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("/not-found")


# ---------------------------------------------------------------- known failures, replayed

def _known_params() -> list[Any]:
    by_id = {op.id: op for op in OPERATIONS}
    params = []
    for (op_id, label), (backends, reason) in sorted(KNOWN_FAILURES.items()):
        if op_id in by_id:
            params.append(pytest.param(by_id[op_id], label, id=f"{op_id} | {label}", marks=pytest.mark.xfail(
                BACKEND in backends, strict=True, reason=f"{reason} (fails on {', '.join(sorted(backends))})")))
    return params


@pytest.mark.parametrize("op, label", _known_params())
async def test_known_failure(op: Operation, label: str, client, caplog):
    caplog.set_level(logging.ERROR, logger="alveole")
    world = await seed_world(client)
    [case] = [c for c in all_cases(op, world.base_body(op)) if c.label == label]
    owner = world.owner(op)
    wrong = []
    for actor in actors_for(world, op):
        if case.anonymous and actor != owner:
            continue
        response = await send(client, world, op, case, actor)
        wrong += problems_with(case, actor, response, deep=actor == owner)
    assert not wrong, wrong


def test_known_failures_name_real_cases():
    by_id = {op.id: op for op in OPERATIONS}
    for (op_id, label) in KNOWN_FAILURES:
        assert op_id in by_id, f"{op_id} is no longer a route: remove it from KNOWN_FAILURES"



# ------------------------------------------------------------------- a failed request loses nothing

async def _counts() -> dict[str, int]:
    from accounts.tables import Community, User
    from booking.tables import Booking, WaitlistEntry
    from notify.tables import OutboxMessage
    from workshops.tables import Workshop, WorkshopSession

    return {table.__name__: await table.count()
            for table in (User, Community, Workshop, WorkshopSession, Booking, WaitlistEntry, OutboxMessage)}


async def _refused(client, method: str, url: str, user: dict[str, Any], **kwargs: Any) -> Any:
    response = await client.request(method, url, headers={**auth(user), **kwargs.pop("headers", {})}, **kwargs)
    assert 400 <= response.status_code < 500, f"{method} {url} {kwargs}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    return response


class TestAFailedRequestLosesNoData:
    async def test_refused_bookings_change_no_seat_and_send_nothing(self, client):
        world = await seed_world(client)
        session_url = f"/api/v1/sessions/{world.ids['session_id']}"
        booker = world.users["stranger"]
        before = (await client.get(session_url)).json()
        counts = await _counts()
        for kwargs in (
            {"json": {"seats": 0}}, {"json": {"seats": -1}}, {"json": {"seats": "two"}},
            {"json": {"seats": 2**63}}, {"json": {"seats": 1.5}}, {"json": {"seats": None}},
            {"json": {"seats": 5}},  # over the workshop's max_seats_per_booking (4)
            {"json": [1]}, {"content": b'{"seats": ', "headers": {"content-type": "application/json"}},
            {"content": b'{"seats": 1, "pad": "' + b"x" * 1_100_000 + b'"}',
             "headers": {"content-type": "application/json"}},
            {"json": {"seats": 1}, "headers": {"Idempotency-Key": "k" * 201}},
        ):
            await _refused(client, "POST", f"{session_url}/bookings", booker, **kwargs)
            assert (await client.get(session_url)).json() == before
            assert await _counts() == counts
        mine = (await client.get("/api/v1/me/bookings", headers=auth(booker))).json()
        assert mine["total"] == 0
        # the same request, well formed, does book: the checks above could have seen a change
        assert (await client.post(f"{session_url}/bookings", headers=auth(booker), json={"seats": 2})).status_code == 201
        assert (await client.get(session_url)).json()["seats_taken"] == before["seats_taken"] + 2

    async def test_a_workshop_patch_with_one_bad_field_changes_nothing(self, client):
        world = await seed_world(client)
        host = world.users["host"]
        url = f"/api/v1/workshops/{world.ids['workshop_id']}"
        before = (await client.get(url, headers=auth(host))).json()
        counts = await _counts()
        new_place = {"name": "New hall", "address": "9 rue Neuve, Paris", "lat": 48.8, "lon": 2.3}
        for bad in (
            {"capacity": 0}, {"capacity": 2**31}, {"description": "a\x00b"}, {"tags": ["ok", ""]},
            {"venue": {**new_place, "lat": 91}}, {"venue": {**new_place, "name": "x\x00"}},
            {"online_url": "javascript:alert(1)"}, {"currency": "EURO"}, {"language": None},
            {"waitlist": {"enabled": True, "mode": "lottery", "offer_ttl_minutes": 30}},
            {"payment": "stripe", "price_cents": 500},  # 409 payments-not-configured
            {"payment": "on_site", "price_cents": 0},  # on-site workshops cost something
            {"venue": None, "online_url": None},  # neither a place nor a link
        ):
            # valid changes (title, a new venue that would bump every session's sequence) ride along
            body = {"title": "Renamed", "summary": "Changed.", "venue": new_place, **bad}
            await _refused(client, "PATCH", url, host, json=body)
            assert (await client.get(url, headers=auth(host))).json() == before, bad
            assert await _counts() == counts, bad
        good = await client.patch(url, headers=auth(host), json={"title": "Renamed", "venue": new_place})
        # a moderated community: the change waits for an organizer, who applies it whole
        assert good.status_code == 200 and good.json()["pending_revision"]["fields"] == ["title", "venue"]
        approved = await client.post(f"{url}/approve", headers=auth(world.users["organizer"]))
        assert approved.status_code == 200 and approved.json()["title"] == "Renamed"
        assert approved.json()["sessions"][0]["sequence"] > before["sessions"][0]["sequence"]

    async def test_a_profile_patch_with_one_bad_field_changes_nothing(self, client):
        world = await seed_world(client)
        user = world.users["stranger"]
        before = (await client.get("/api/v1/me", headers=auth(user))).json()
        for bad in ({"timezone": "Mars/Olympus"}, {"timezone": "localtime"}, {"skills": ["ok", "  "]},
                    {"bio": "a\x00b"}, {"display_name": "  "}, {"locale": "de"}, {"skills": "knitting"}):
            body = {"display_name": "Someone else", "bio": "New bio", "skills": ["bread"], **bad}
            await _refused(client, "PATCH", "/api/v1/me", user, json=body)
            assert (await client.get("/api/v1/me", headers=auth(user))).json() == before, bad

    async def test_a_session_change_with_one_bad_field_changes_nothing(self, client):
        world = await seed_world(client)
        host = world.users["host"]
        url = f"/api/v1/sessions/{world.ids['session_id']}"
        before = (await client.get(url)).json()
        counts = await _counts()
        moved = {"starts_at": "2026-12-09T15:00:00+01:00", "ends_at": "2026-12-09T17:00:00+01:00"}
        for bad in ({"capacity": 0}, {"timezone": "Mars/Olympus"}, {"ends_at": "2026-12-09T14:00:00+01:00"},
                    {"starts_at": "2025-01-01T10:00:00+01:00"}, {"capacity": 2**63}, {"timezone": "a\x00b"}):
            await _refused(client, "PATCH", url, host, json={**moved, "capacity": 20, **bad})
            assert (await client.get(url)).json() == before, bad
            assert await _counts() == counts, bad

    async def test_bad_sessions_and_registrations_create_nothing(self, client):
        world = await seed_world(client)
        host = world.users["host"]
        counts = await _counts()
        times = {"starts_at": "2026-12-20T14:00:00+01:00", "ends_at": "2026-12-20T16:00:00+01:00",
                 "timezone": "Europe/Paris"}
        for bad in ({"rrule": "FREQ=NEVER"}, {"rrule": "FREQ=WEEKLY;COUNT=3", "ends_at": "2026-12-20T13:00:00+01:00"},
                    {"capacity": 0, "rrule": "FREQ=DAILY;COUNT=5"}, {"timezone": "localtime"}):
            await _refused(client, "POST", f"/api/v1/workshops/{world.ids['workshop_id']}/sessions", host,
                           json={**times, **bad})
        for bad in ({"email": "a\x00b@example.org"}, {"display_name": "x\x00"}, {"timezone": "Mars/Olympus"},
                    {"password": "short"}, {"locale": "xx"}):
            body = {"email": "newbie@example.org", "password": "long enough secret", "display_name": "Newbie", **bad}
            await _refused(client, "POST", "/api/v1/auth/register", world.users["stranger"], json=body)
        assert await _counts() == counts


# (good values, bad values) per field of a workshop PATCH
_PATCH_VALUES: dict[str, tuple[list[Any], list[Any]]] = {
    "title": (["Bike clinic", "  Spaced  "], ["", "x" * 201, None, 7, "a\x00b", "  "]),
    "summary": (["Brakes and gears."], ["", None, ["x"]]),
    "category": (["repair", "Cooking"], ["x" * 41, "", 3]),
    "capacity": ([12, 1, "12"], [0, -1, 2**31, 2**63, 1.5, None]),
    "max_seats_per_booking": ([2], [0, 101, "x"]),
    "price_cents": ([0, 250], [-1, 2**63]),
    "payment": (["free", "on_site"], ["stripe", "barter", None]),
    "currency": (["eur", "CHF"], ["EURO", "", "e\x00r"]),
    "tags": ([["a", "b"], []], [[""], ["x" * 41], "a", [None]]),
    "venue": ([{"name": "Hall", "address": "1 rue X"}], [None, {"name": "Hall"}, {"name": "", "address": "a"},
                                                        {"name": "Hall", "address": "1 rue X", "lat": 95}]),
    "online_url": (["https://meet.example.org/x", None], ["ftp://x", "javascript:alert(1)", ""]),
    "cancellation_deadline_hours": ([0, 48], [-5, 10**6]),
}


def _field_and_value(name: str) -> st.SearchStrategy[tuple[str, Any]]:
    good, bad = _PATCH_VALUES[name]
    # two parts good to one part bad, so that some patches apply and most mixes occur
    value = st.one_of(st.sampled_from(good), st.sampled_from(good), st.sampled_from(bad))
    return st.tuples(st.just(name), value)


_PATCHES = st.lists(st.sampled_from(sorted(_PATCH_VALUES)).flatmap(_field_and_value),
                    min_size=1, max_size=4, unique_by=lambda pair: pair[0]).map(dict)


@pytest.fixture
async def patch_world(client) -> tuple[World, str, dict[str, str]]:
    world = await seed_world(client)
    return world, f"/api/v1/workshops/{world.ids['workshop_id']}", auth(world.users["host"])


@hypothesis.settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@hypothesis.given(patch=_PATCHES)
async def test_a_workshop_patch_applies_whole_or_not_at_all(client, patch_world, patch):
    """Any mix of good and bad fields: a 4xx leaves the workshop exactly as it was; a 2xx applies
    every field sent. Never a 5xx."""
    _, url, headers = patch_world
    before = (await client.get(url, headers=headers)).json()
    response = await client.patch(url, headers=headers, json=patch)
    after = (await client.get(url, headers=headers)).json()
    hypothesis.event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert after == before
    else:
        assert response.json() == after
        # content fields wait in the pending revision (a moderated community); the rest applies
        revision = after["pending_revision"]
        after = {**after, **(revision["proposed"] if revision else {})}
        for name in ("title", "summary", "category", "capacity", "max_seats_per_booking", "tags"):
            if name in patch:
                sent = patch[name]
                if isinstance(sent, str) and isinstance(after[name], int):
                    sent = int(sent)  # Litestar reads "12" as 12 for an int field
                assert after[name] == (sent.strip() if isinstance(sent, str) else sent)


# ------------------------------------------------------ fixes found by the sweep, pinned down

def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status
    return body


def _fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


class TestFoundBySweep:
    async def test_a_body_that_is_not_utf8_or_too_deep_is_a_400_not_a_500(self, client):
        world = await seed_world(client)
        headers = {**world.headers("stranger"), "content-type": "application/json"}
        for content, words in ((b'{"display_name": "\xff"}', "UTF-8"),
                               (b'{"skills": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested")):
            body = _problem(await client.patch("/api/v1/me", headers=headers, content=content),
                            400, "validation-error")
            assert words in body["detail"] and _fields(body) == ["body"]

    async def test_other_unicode_errors_stay_500s(self):
        # raised by our own code, not while decoding a body: a bug, logged and answered 500
        from litestar import Litestar, get
        from litestar.testing import AsyncTestClient

        from kernel.problems import EXCEPTION_HANDLERS

        @get("/broken", sync_to_thread=False)
        def broken() -> str:
            return b"\xff".decode()

        app = Litestar([broken], exception_handlers=EXCEPTION_HANDLERS)
        async with AsyncTestClient(app) as http:
            response = await http.get("/broken")
        assert response.status_code == 500 and response.json()["type"].endswith("/internal-error")

    async def test_a_missing_body_is_named(self, client):
        world = await seed_world(client)
        response = await client.patch("/api/v1/me", headers=world.headers("stranger"))
        body = _problem(response, 400, "validation-error")
        assert body["errors"] == [{"field": "body", "message": "a JSON body is required", "source": "body"}]

    async def test_a_bad_header_is_named_as_sent_without_a_phantom_body_error(self, client):
        world = await seed_world(client)
        response = await client.post(f"/api/v1/sessions/{world.ids['session_id']}/bookings",
                                     headers={**world.headers("stranger"), "Idempotency-Key": "k" * 201})
        body = _problem(response, 400, "validation-error")
        assert _fields(body) == ["Idempotency-Key"]

    async def test_community_offsets_beyond_32_bits_are_refused(self, client):
        for offset in (2**31, 2**63, 10**20):
            body = _problem(await client.get("/api/v1/communities", params={"offset": offset}),
                            400, "validation-error")
            assert _fields(body) == ["offset"]
        assert (await client.get("/api/v1/communities", params={"offset": 2**31 - 1})).json()["items"] == []

    async def test_nul_characters_never_reach_the_database(self, client):
        """On PostgreSQL each of these was a 500 (text cannot hold NUL); now a clear answer."""
        world = await seed_world(client)
        stranger, admin = world.headers("stranger"), world.headers("admin")
        login = await client.post("/api/v1/auth/login", json={"email": "a\x00@example.org", "password": "x" * 10})
        # refused before any lookup, like every NUL in a JSON body (it reveals nothing)
        assert _fields(_problem(login, 400, "validation-error")) == ["email"]
        for body, field in (({"display_name": "a\x00"}, "display_name"), ({"bio": "a\x00"}, "bio"),
                            ({"skills": ["ok", "a\x00"]}, "skills")):
            assert _fields(_problem(await client.patch("/api/v1/me", headers=stranger, json=body),
                                    400, "validation-error")) == [field]
        register = {"email": "n\x00@example.org", "password": "long enough secret", "display_name": "N\x00"}
        body = _problem(await client.post("/api/v1/auth/register", json=register), 400, "validation-error")
        assert set(_fields(body)) == {"email", "display_name"}
        community = {"slug": "nul-town", "name": "Nul\x00town", "timezone": "Europe/Paris"}
        body = _problem(await client.post("/api/v1/communities", headers=admin, json=community),
                        400, "validation-error")
        assert _fields(body) == ["name"]
        organizer = await client.post(f"/api/v1/communities/{world.community['slug']}/organizers",
                                      headers=admin, json={"email": "x\x00@example.org"})
        assert _fields(_problem(organizer, 400, "validation-error")) == ["email"]
        _problem(await client.get("/api/v1/communities/robust%00town"), 404, "not-found")
        _problem(await client.get("/calendar/abc%00def/feed.ics"), 404, "not-found")

    async def test_system_zone_files_are_not_time_zones(self, client):
        world = await seed_world(client)
        for zone in ("localtime", "posixrules", "Factory", "posix/Europe/Paris", "right/UTC"):
            body = {"starts_at": "2026-12-20T14:00:00", "ends_at": "2026-12-20T16:00:00", "timezone": zone}
            response = await client.post(f"/api/v1/workshops/{world.ids['workshop_id']}/sessions",
                                         headers=world.headers("host"), json=body)
            assert _fields(_problem(response, 400, "validation-error")) == ["timezone"], zone
