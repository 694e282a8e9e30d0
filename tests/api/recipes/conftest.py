"""The app with the real booking statistics (the record reads bookings and feedback)."""
from tests.integration.booking.conftest import app, notifier  # noqa: F401 - fixtures
