"""The printable slip of a booking (`GET /bookings/{id}/slip`): what a relay hands to a
neighbour without email — the workshop, when and where, what to pay, and the check-in code in
large type and as a QR code."""
from __future__ import annotations

from typing import Any

from accounts.auth import CurrentUser, is_organizer_of
from booking import repository
from booking.checkin import _qr
from booking.service import ensure_id
from kernel.errors import Forbidden, NotFound
from kernel.runtime import Runtime


async def slip_view(runtime: Runtime, user: CurrentUser, booking_id: int) -> Any:
    """The booking's view for its participant, the relay who made it, the host, an organizer
    of the community or an admin; 403 for anyone else, 404 when there is no such booking."""
    ensure_id(booking_id, "booking")
    row = await repository.booking_view(booking_id)
    if row is None:
        raise NotFound("no such booking")
    if user.id in (row["b_user"], row["b_booked_by"], row["h_id"]) or user.is_admin:
        return row
    if await is_organizer_of(user, row["c_id"]):
        return row
    raise Forbidden("only its participant, the relay who made it, the host or an organizer may print this slip")


def qr_inline_svg(code: str) -> str:
    """The check-in code's QR code as an inline <svg> element (no XML declaration)."""
    return _qr(code).svg_inline(scale=5, border=2, title=code)
