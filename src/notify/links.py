"""The absolute links notify puts in emails and calendar files, and which of them may be used.

Every link in a message must lead to something that works: the public workshop page
(`/workshops/{id}`: `workshops.calendar.workshop_url`, shared with the community feed), the
personal calendar feed (`/calendar/{token}/feed.ics`), the feedback form of a
`feedback_request` (`/feedback/{token}`, a signed link that needs no login:
`booking.feedback.link_token`), and the payment link of a hold (`/me/bookings/{id}/pay`, which
sends its participant, once logged in, to the hold's Stripe Checkout page).
(The check-in QR code travels as an attachment of the confirmation, not as a link:
`/api/v1/bookings/{id}/checkin.svg` needs the participant's login.)
"""
from __future__ import annotations


def calendar_feed_url(base_url: str, token: str) -> str:
    """The personal calendar feed (linked)."""
    return f"{base_url}/calendar/{token}/feed.ics"


def feedback_url(base_url: str, token: str) -> str:
    """The feedback form of one booking, its signed token as the credential (linked)."""
    return f"{base_url}/feedback/{token}"


def payment_url(base_url: str, booking_id: int) -> str:
    """Where the participant of a payment hold pays (linked in `payment_link`)."""
    return f"{base_url}/me/bookings/{booking_id}/pay"
