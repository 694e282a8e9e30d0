"""The app with Stripe configured against the fake of Stripe's API (`tests.fake_stripe`), and
the helpers the payment tests share: book, pay, deliver a signed webhook, run the worker."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from kernel.settings import Settings
from tests.fake_stripe import FakeStripe, sign
from tests.factories import auth, make_session, make_user, make_workshop

SECRET = "whsec_test_alveole"


@pytest.fixture
def fake_stripe(clock):
    with FakeStripe(now=clock.now) as fake:  # Stripe's clock is the test's
        yield fake


@pytest.fixture
def settings(database_url: str, tmp_path: Path, fake_stripe: FakeStripe) -> Settings:
    return Settings(database_url=database_url, mail_dir=tmp_path / "mail", base_url="http://alveole.test",
                    worker_poll_seconds=0.05, stripe_api_key="sk_test_alveole", stripe_webhook_secret=SECRET,
                    stripe_api_base=fake_stripe.url, stripe_timeout=3)


async def paid_session(capacity: int = 5, price_cents: int = 1500, **workshop: Any) -> dict[str, Any]:
    """A session of a published `stripe` workshop; `host` is its host."""
    host = await make_user()
    made = await make_workshop(host=host, payment="stripe", price_cents=price_cents, capacity=capacity, **workshop)
    return {**await make_session(made), "host": host}


async def book(client, user, session_id: int, seats: int = 1, key: str | None = None, expect: int | None = 201):
    headers = auth(user) | ({"Idempotency-Key": key} if key else {})
    response = await client.post(f"/api/v1/sessions/{session_id}/bookings", json={"seats": seats}, headers=headers)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response.json()


async def deliver(client, clock, body: bytes, *, secret: str = SECRET, at: dt.datetime | None = None,
                  expect: int | None = 200) -> dict[str, Any]:
    """POST a webhook event signed as Stripe signs it (at the service's clock unless `at`)."""
    stamp = int((at or clock.now()).timestamp())
    response = await client.post("/api/v1/payments/stripe/webhook", content=body, headers={
        "content-type": "application/json; charset=utf-8", "stripe-signature": sign(body, secret, stamp)})
    if expect is not None:
        assert response.status_code == expect, response.text
    return response.json()


def checkout_id(fake: FakeStripe, booking: dict[str, Any]) -> str:
    return booking["checkout_url"].rsplit("/", 1)[-1]


async def pay(client, clock, fake: FakeStripe, booking: dict[str, Any], event: str = "checkout.session.completed"):
    """The participant pays on Stripe, and Stripe tells the service."""
    session = fake.pay(checkout_id(fake, booking))
    return await deliver(client, clock, fake.event(event, session))


async def booking_of(client, user, booking_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/bookings/{booking_id}", headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


async def seats_left(client, session_id: int) -> int:
    return (await client.get(f"/api/v1/sessions/{session_id}")).json()["seats_left"]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


__all__ = ["make_user"]
