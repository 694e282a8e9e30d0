"""The app with a notifier that records events and writes one outbox row per event."""
from __future__ import annotations

import pytest

from alveole.app import create_app
from tests.integration.booking.support import OutboxCountingNotifier


@pytest.fixture
def notifier() -> OutboxCountingNotifier:
    return OutboxCountingNotifier()


@pytest.fixture
def app(settings, clock, notifier):
    return create_app(settings, clock=clock, notifier=notifier)
