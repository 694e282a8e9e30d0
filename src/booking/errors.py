"""Problems the booking engine answers with (API.md "Problem slugs")."""
from __future__ import annotations

from kernel.errors import DomainError, InvalidState


class SessionFull(DomainError):
    status, slug, title = 409, "session-full", "The session is full"


class AlreadyBooked(DomainError):
    status, slug, title = 409, "already-booked", "Already booked"


class BookingClosed(DomainError):
    status, slug, title = 409, "booking-closed", "Bookings are closed for this session"


class WaitlistDisabled(DomainError):
    status, slug, title = 409, "waitlist-disabled", "This session has no waitlist"


class OfferExpiredError(DomainError):
    status, slug, title = 409, "offer-expired", "The waitlist offer has expired"


class CapacityBelowBookings(DomainError):
    status, slug, title = 409, "capacity-below-bookings", "Capacity below the seats already taken"


class PaymentsNotConfigured(DomainError):
    status, slug, title = 409, "payments-not-configured", "Online payment is not available"


class PaymentProviderUnavailable(DomainError):
    """Stripe failed or did not answer in time: the seat held for the attempt was released."""

    status, slug, title = 503, "payment-provider-unavailable", "The payment provider is unavailable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "Online payment is not answering; nothing was booked. Try again in a minute.")
        self.headers["Retry-After"] = "30"


class PaymentRequestRefused(PaymentProviderUnavailable):
    """Stripe answered but refused the request itself (4xx): retrying the same one cannot help."""


class InvalidSignature(DomainError):
    status, slug, title = 400, "invalid-signature", "The webhook signature is missing or wrong"


class IdempotencyKeyReused(DomainError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused with another request"


class StoreUnavailable(DomainError):
    """The database could not take the write (locked too long, or not answering): nothing was
    changed and the client may retry."""

    status, slug, title = 503, "database-unavailable", "The database is busy or unavailable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "Nothing was changed; please try again in a moment.")
        self.headers["Retry-After"] = "2"


class FeedbackNotOpen(DomainError):
    status, slug, title = 409, "feedback-not-open", "Feedback opens when the session ends"


class FeedbackExists(DomainError):
    status, slug, title = 409, "feedback-exists", "Feedback was already given for this booking"


class MarksOnCancelledSession(InvalidState):
    """Attendance asked of a cancelled session: the API's slug stays `invalid-state`; a page
    tells this refusal apart by its type, never by its text."""
