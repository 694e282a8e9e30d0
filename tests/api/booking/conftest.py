"""The app with a notifier that records events and writes one outbox row per event (the same
fixtures as the booking integration tests)."""
from tests.integration.booking.conftest import app, notifier  # noqa: F401 - fixtures

