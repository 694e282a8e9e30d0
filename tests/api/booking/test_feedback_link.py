"""The emailed feedback link: the signed page and its form (no login, no JavaScript), used,
expired and tampered links, CSRF with a session cookie, and the emails that carry the link and
the check-in code."""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import re

import pytest

from booking import feedback
from booking.feedback import link_token
from notify.compose import compose, email_message
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows


@pytest.fixture
async def cast(clock, client):
    host = await make_user(display_name="Hélène <H>")
    community = await make_community()
    workshop = await make_workshop(host=host, community=community, title="Pain & levain")
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=7))
    participant = await make_user(locale="fr", timezone="Europe/Paris")
    booking = (await book(client, participant, session["id"], expect=201)).json()
    return dict(host=host, participant=participant, session=session, booking=booking, workshop=workshop)


@pytest.fixture(autouse=True)
def browser(client):
    """These tests are a browser: it names text/html in Accept (API clients get problems)."""
    client.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.fixture
def token(cast, settings):
    return link_token(settings.secret_key, cast["booking"]["id"], cast["session"]["ends_at"])


def after_end(cast, **delta):
    return cast["session"]["ends_at"] + dt.timedelta(**delta)


async def submit(client, token, **form):
    return await client.post(f"/feedback/{token}", data=form or {"rating": "4", "comment": "Très bien"})


class TestTheForm:
    async def test_shown_in_the_participants_language_without_login(self, client, cast, clock, token):
        clock.set(after_end(cast, hours=1))
        page = await client.get(f"/feedback/{token}", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-language"] == "fr" and '<html lang="fr">' in page.text
        assert "Votre note" in page.text and "Pain &amp; levain" in page.text and "Hélène &lt;H&gt;" in page.text
        assert re.findall(r'<input type="radio" name="rating" value="(\d)"', page.text) == ["1", "2", "3", "4", "5"]
        assert 'name="comment"' in page.text and 'maxlength="2000"' in page.text
        assert "<script" not in page.text and "csrf_token" not in page.text
        assert "form-action 'self'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"

    async def test_recorded_then_redirected_to_a_thank_you(self, client, cast, clock, token):
        clock.set(after_end(cast, hours=1))
        comment = "<script>alert(1)</script> Super"
        response = await submit(client, token, rating="4", comment=comment)
        assert response.status_code == 303 and response.headers["location"] == f"/feedback/{token}"
        (row,) = await rows("SELECT booking, rating, comment FROM feedback")
        assert (row["booking"], row["rating"], row["comment"]) == (cast["booking"]["id"], 4, comment)
        thanks = await client.get(response.headers["location"])
        assert thanks.status_code == 200 and "Merci" in thanks.text and "4 sur 5" in thanks.text

    async def test_a_full_length_comment_with_line_breaks_as_a_browser_sends_them(self, client, cast, clock, token):
        clock.set(after_end(cast, hours=1))
        lines = ["x" * 99] * 20  # 20 lines: 1,999 characters in the textarea, 2,018 bytes with CRLFs
        response = await submit(client, token, rating="5", comment="\r\n".join(lines))
        assert response.status_code == 303, response.text
        (row,) = await rows("SELECT comment FROM feedback")
        assert row["comment"] == "\n".join(lines)

    async def test_a_used_link_says_so(self, client, cast, clock, token):
        clock.set(after_end(cast, hours=1))
        assert (await submit(client, token)).status_code == 303
        again = await submit(client, token, rating="1")
        assert again.status_code == 409 and "déjà été reçu" in again.text
        assert [r["rating"] for r in await rows("SELECT rating FROM feedback")] == [4]
        # the API agrees
        api = await client.post(f"/api/v1/bookings/{cast['booking']['id']}/feedback", json={"rating": 2},
                                headers=auth(cast["participant"]))
        assert api.status_code == 409

    @pytest.mark.parametrize("form", [{"rating": "0"}, {"rating": "five"}, {}, {"rating": "3", "comment": "x" * 2001}])
    async def test_bad_input_shows_the_form_again(self, client, cast, clock, token, form):
        clock.set(after_end(cast, hours=1))
        form = {**form, "comment": form.get("comment", "<b>gardé</b>")}
        response = await client.post(f"/feedback/{token}", data=form)
        assert response.status_code == 400 and 'role="alert"' in response.text
        if len(form["comment"]) <= 2000:
            assert "&lt;b&gt;gardé&lt;/b&gt;" in response.text  # kept, escaped
        assert await rows("SELECT id FROM feedback") == []

    async def test_before_the_end_it_is_not_open(self, client, cast, clock, token):
        clock.set(after_end(cast, seconds=-1))
        assert (await client.get(f"/feedback/{token}")).status_code == 409
        assert (await submit(client, token)).status_code == 409

    async def test_a_no_show_cannot_use_it(self, client, cast, clock, token):
        clock.set(after_end(cast))
        await client.post(f"/api/v1/bookings/{cast['booking']['id']}/attendance", json={"attendance": "no_show"},
                          headers=auth(cast["host"]))
        assert (await client.get(f"/feedback/{token}")).status_code == 403
        assert (await submit(client, token)).status_code == 403
        assert await rows("SELECT id FROM feedback") == []


    async def test_it_dies_with_the_participants_account(self, client, cast, clock, token):
        clock.set(after_end(cast, hours=1))
        assert (await client.get(f"/feedback/{token}")).status_code == 200  # the emailed link works…
        erased = await client.delete("/api/v1/me", headers=auth(cast["participant"]))
        assert erased.status_code == 204
        page = await client.get(f"/feedback/{token}")  # …until the account is erased
        assert page.status_code == 404 and "plus valide" in page.text and 'name="rating"' not in page.text
        refused = await submit(client, token)
        assert refused.status_code == 404 and "plus valide" in refused.text
        assert await rows("SELECT id FROM feedback") == []  # nothing written
        problem = await client.get(f"/feedback/{token}", headers={"Accept": "application/json"})
        assert problem.status_code == 404 and problem.json()["type"].endswith("/not-found")


class TestBadLinks:
    @pytest.mark.parametrize("moment", [dict(days=30, seconds=1), dict(days=90)])
    async def test_expired(self, client, cast, clock, token, moment):
        clock.set(after_end(cast, **moment))
        page = await client.get(f"/feedback/{token}")
        assert page.status_code == 410 and "expiré" in page.text
        assert (await submit(client, token)).status_code == 410
        assert await rows("SELECT id FROM feedback") == []

    async def test_the_last_second_still_works(self, client, cast, clock, token):
        clock.set(after_end(cast, days=30))
        assert (await submit(client, token)).status_code == 303

    async def test_its_own_deadline_counts(self, client, cast, clock, settings):
        clock.set(after_end(cast, hours=1))
        expires = int(clock.now().timestamp()) - 1  # signed, but its deadline has passed
        short = f"{cast['booking']['id']}.{expires}.{feedback._signature(settings.secret_key, cast['booking']['id'], expires)}"
        assert (await client.get(f"/feedback/{short}")).status_code == 410

    async def test_tampered(self, client, cast, clock, token, settings):
        clock.set(after_end(cast, hours=1))
        booking_id, expires, signature = token.split(".")
        forged = [
            f"{booking_id}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
            f"{int(booking_id) + 1}.{expires}.{signature}",
            f"{booking_id}.{int(expires) + 86400}.{signature}",
            link_token("another-secret-key-of-at-least-32-chars", int(booking_id), cast["session"]["ends_at"]),
            "nonsense", f"{booking_id}..{signature}", "1.2.3.4",
        ]
        for bad in forged:
            page = await client.get(f"/feedback/{bad}", headers={"Accept-Language": "fr"})
            assert page.status_code == 404, bad
            assert "pas valide" in page.text
            assert (await submit(client, bad)).status_code == 404
        assert await rows("SELECT id FROM feedback") == []


class TestForApiClients:
    """Without text/html in Accept the answers are the API's problems, with its slugs."""

    async def test_problems(self, client, cast, clock, token):
        client.headers["Accept"] = "application/json"
        clock.set(after_end(cast, hours=1))
        bad = await client.get("/feedback/1.2.nope")
        assert bad.status_code == 404 and bad.headers["content-type"].startswith("application/problem+json")
        missing = await client.post(f"/feedback/{token}", data={"comment": "no rating"})
        assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "rating"
        assert (await client.post(f"/feedback/{token}", data={"rating": "2"})).status_code == 303
        used = await client.post(f"/feedback/{token}", data={"rating": "2"})
        assert used.status_code == 409 and used.json()["type"].endswith("/feedback-exists")
        clock.set(after_end(cast, days=31))
        late = await client.get(f"/feedback/{token}")
        assert late.status_code == 200  # a used link still says thank you
        other = (await client.get(f"/feedback/{link_token('k' * 40, 1, cast['session']['ends_at'])}"))
        assert other.status_code == 404


class TestWithASessionCookie:
    """A visitor logged in in the same browser: the CSRF middleware wants its field, which the
    page renders."""

    async def test_the_form_carries_the_csrf_field(self, client, cast, clock, token):
        clock.set(after_end(cast, hours=1))
        from accounts.csrf import csrf_token_for

        session = cast["participant"]["token"]
        csrf = csrf_token_for(session, client._transport.app.state.runtime.settings.secret_key)
        client.cookies.set("alveole_session", session)
        client.cookies.set("alveole_csrf", csrf)
        page = await client.get(f"/feedback/{token}")
        assert f'name="csrf_token" value="{csrf}"' in page.text
        refused = await submit(client, token)
        assert refused.status_code == 403  # no field: the middleware's refusal
        accepted = await client.post(f"/feedback/{token}", data={"rating": "5", "csrf_token": csrf})
        assert accepted.status_code == 303


class TestEmails:
    async def test_the_feedback_request_links_to_a_working_form(self, client, cast, clock, runtime):
        clock.set(after_end(cast, hours=1))
        record = {"id": 1, "kind": "feedback_request", "dedupe_key": "t:1", "recipient": cast["participant"]["id"],
                  "payload": {"booking_id": cast["booking"]["id"]}}
        composed = await compose(record, runtime.settings, clock.now())
        (url,) = set(re.findall(r"http://alveole\.test/feedback/[^\s\"<]+", composed.body_text + composed.body_html))
        assert url in composed.body_html
        path = url.removeprefix("http://alveole.test")
        assert (await client.get(path)).status_code == 200
        assert (await client.post(path, data={"rating": "5"})).status_code == 303
        assert [r["rating"] for r in await rows("SELECT rating FROM feedback")] == [5]

    async def test_the_confirmation_carries_the_code_and_its_qr_code(self, client, cast, clock, runtime):
        record = {"id": 2, "kind": "booking_confirmed", "dedupe_key": "t:2", "recipient": cast["participant"]["id"],
                  "payload": {"booking_id": cast["booking"]["id"]}}
        composed = await compose(record, runtime.settings, clock.now())
        code = cast["booking"]["checkin_code"]
        assert code in composed.body_text and code in composed.body_html
        record.update(subject=composed.subject, body_text=composed.body_text, body_html=composed.body_html,
                      attachments=composed.attachments, recipient_email="p@example.org", rendered_at=clock.now(),
                      message_id=composed.message_id)
        message = email.message_from_bytes(email_message(record, runtime.settings).as_bytes(), policy=email.policy.default)
        (png,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
        assert png.get_filename() == "checkin.png" and png.get_content_disposition() == "attachment"
        assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
        assert [p.get_filename() for p in message.walk() if p.get_filename()] == ["invite.ics", "checkin.png"]
        assert base64.b64decode(composed.attachments[-1]["content"]) == png.get_content()
