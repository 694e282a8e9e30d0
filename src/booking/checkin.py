"""The check-in code as a QR code (segno): an SVG for the API, a PNG for the confirmation email.

The SVG's QR code holds an absolute link, `{ALVEOLE_BASE_URL}/checkin/{booking}/{code}`
(`checkin_link`): a phone camera opens it on the check-in page of that booking, which only its
host, the community's organizers and admins may use (web.host.checkin_page). The code itself
stays in the link's last segment, so the roster's code field takes a scanned link as well as a
typed code (`rules.normalise_checkin_code`). The email's PNG still holds the plain code.
"""
from __future__ import annotations

import io

import segno

from accounts.auth import CurrentUser
from booking import repository
from booking.schemas import BookingStatus
from booking.service import ensure_id
from kernel.errors import Forbidden, InvalidState, NotFound
from kernel.runtime import Runtime


def _qr(code: str) -> segno.QRCode:
    # error correction M: still reads from a cracked phone screen or a crumpled print-out
    return segno.make_qr(code, error="m", boost_error=False)


def checkin_link(base_url: str, booking_id: int, code: str) -> str:
    """The page a host's phone opens from the participant's QR code."""
    return f"{base_url.rstrip('/')}/checkin/{booking_id}/{code}"


def qr_svg(code: str, content: str | None = None) -> bytes:
    """A QR code of `content` (the code itself by default), titled with the code."""
    buffer = io.BytesIO()
    _qr(content or code).save(buffer, kind="svg", scale=8, border=4, xmldecl=True, svgns=True,
                              title=f"Check-in code {code}", unit="px")
    return buffer.getvalue()


def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


async def checkin_svg(runtime: Runtime, user: CurrentUser, booking_id: int) -> bytes:
    """Its participant's QR code (403 for anyone else, as for reading the booking); a
    cancelled, expired or unpaid booking has no working code: 409."""
    ensure_id(booking_id, "booking")
    row = await repository.booking_with_parties(booking_id)
    if row is None:
        raise NotFound("no such booking")
    if row["user"] != user.id:
        raise Forbidden("only the booking's participant may download its check-in code")
    if row["status"] != BookingStatus.confirmed:
        raise InvalidState(f"a {row['status']} booking has no check-in code to show")
    return qr_svg(row["checkin_code"], checkin_link(runtime.settings.base_url, booking_id, row["checkin_code"]))
