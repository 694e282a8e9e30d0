"""The app with a notifier that records events and writes one outbox row per event."""
from __future__ import annotations

import pytest

from tests.conftest import shared_app

from tests.integration.booking.support import OutboxCountingNotifier


@pytest.fixture
def notifier() -> OutboxCountingNotifier:
    return OutboxCountingNotifier()


@pytest.fixture
def app(settings, clock, notifier):
    return shared_app(settings, clock, notifier)
