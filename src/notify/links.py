"""The absolute links notify puts in emails and calendar files, and which of them may be used.

Every link in a message must lead to something that works. Today that is the public workshop
page (`/workshops/{id}`) and the personal calendar feed (`/calendar/{token}/feed.ics`), plus a
payment provider's own checkout page in a payment link. The booking page, its feedback form
and the waitlist accept page do not exist yet: their helpers stay here, unused by the
templates and invites, until those pages do.
"""
from __future__ import annotations


def workshop_url(base_url: str, workshop_id: int) -> str:
    """The workshop's public page (linked)."""
    return f"{base_url}/workshops/{workshop_id}"


def calendar_feed_url(base_url: str, token: str) -> str:
    """The personal calendar feed (linked)."""
    return f"{base_url}/calendar/{token}/feed.ics"


# --- not linked until their web pages exist ----------------------------------------------

def booking_url(base_url: str, booking_id: int) -> str:
    return f"{base_url}/bookings/{booking_id}"


def feedback_url(base_url: str, booking_id: int) -> str:
    return f"{booking_url(base_url, booking_id)}/feedback"


def waitlist_accept_url(base_url: str, entry_id: int) -> str:
    return f"{base_url}/waitlist/{entry_id}/accept"
