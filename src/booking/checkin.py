"""The check-in code as a QR code (segno): an SVG for the API, a PNG for the confirmation email.

The QR code holds the plain code and nothing else (no URL, no name), so any scanner app shows
what a host may also type; the host's side (`POST /api/v1/sessions/{id}/checkin`) takes both.
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


def qr_svg(code: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="svg", scale=8, border=4, xmldecl=True, svgns=True,
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
    return qr_svg(row["checkin_code"])
