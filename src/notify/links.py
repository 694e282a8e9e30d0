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


# Pages behind a login: logged out, the login page comes first and brings the reader back
# (`/login?next=…`); each is the page where what the email says can be done.

def waitlist_entry_url(base_url: str, entry_id: int) -> str:
    """The waitlist entry's page: an open offer's Accept and Decline (`waitlist_offer`)."""
    return f"{base_url}/me/waitlist/{entry_id}"


def my_bookings_url(base_url: str, booking_id: int | None = None) -> str:
    """My bookings, at this booking's card (its code, invite and cancel link)."""
    return f"{base_url}/me/bookings" + (f"#booking-{booking_id}" if booking_id else "")


def booking_cancel_url(base_url: str, booking_id: int) -> str:
    """The booking's cancel page (it asks before cancelling)."""
    return f"{base_url}/me/bookings/{booking_id}/cancel"


def moderation_url(base_url: str, workshop_id: int) -> str:
    """The workshop's card in the organizers' moderation queue (`workshop_submitted`)."""
    return f"{base_url}/organize/moderation#workshop-{workshop_id}"


def workshop_edit_url(base_url: str, workshop_id: int) -> str:
    """The host's edit form of the workshop (`workshop_rejected`: edit, then submit again)."""
    return f"{base_url}/workshops/{workshop_id}/edit"


def roster_url(base_url: str, session_id: int) -> str:
    """The session's roster, for its host (`host_roster`)."""
    return f"{base_url}/sessions/{session_id}/roster"
