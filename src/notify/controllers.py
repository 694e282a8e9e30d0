"""HTTP handlers of this package: calendar files and the personal feed (JSON API + .ics), and
the /dev/outbox pages (see `notify.pages`)."""
from __future__ import annotations

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts.auth import CurrentUser
from kernel.http import ProblemResponses, RuntimeDep
from notify import service
from notify.pages import ROUTES as PAGE_ROUTES

CALENDAR = "text/calendar; charset=utf-8"
UserDep = NamedDependency[CurrentUser]


class CalendarUrl(msgspec.Struct):
    calendar_url: str


problems = ProblemResponses({
    401: "not-authenticated", 403: "forbidden: not your booking", 404: "not-found",
    409: "invalid-state: the booking is pending payment or expired",
})


@get(
    "/api/v1/bookings/{booking_id:int}/invite.ics",
    summary="The booking's calendar invitation",
    description="For the booking's participant only: `METHOD:REQUEST` while the booking is "
                "confirmed, `METHOD:CANCEL` (STATUS:CANCELLED) once it is cancelled. The UID is "
                "the one used in every email about this session and in the personal feed; the "
                "SEQUENCE is the latest one sent.",
    tags=["calendar"],
    media_type=CALENDAR,
    responses=problems(401, 403, 404, 409),
)
async def booking_invite(booking_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Response[str]:
    calendar = await service.booking_invite(booking_id, user.id, runtime.settings,
                                            runtime.clock.now())
    return Response(calendar.text, media_type=f"{CALENDAR}; method={calendar.method}", headers={
        "Content-Disposition": 'inline; filename="invite.ics"', "Cache-Control": "private, no-cache"})


@get(
    "/calendar/{token:str}/feed.ics",
    summary="Personal calendar feed",
    description="Every confirmed booking of the feed's owner (`calendar_url` in /api/v1/me), "
                "`METHOD:PUBLISH`, with the same UIDs as the email invitations. The token in the "
                "URL is the credential: an unknown or revoked token answers 404.",
    tags=["calendar"],
    media_type=CALENDAR,
    responses=problems(404),
)
async def personal_feed(token: FromPath[str], runtime: RuntimeDep) -> Response[str]:
    text = await service.personal_feed(token, runtime.settings, runtime.clock.now())
    return Response(text, media_type=CALENDAR, headers={
        "Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"})


@post(
    "/api/v1/me/calendar-token",
    summary="Revoke the personal calendar feed URL and get a new one",
    description="Issues a new unguessable feed token: the previous `calendar_url` answers 404 "
                "from now on. Answers 200 `{\"calendar_url\": …}` (also shown by /api/v1/me).",
    tags=["calendar"],
    status_code=200,
    responses=problems(401),
)
async def rotate_calendar_token(user: UserDep, runtime: RuntimeDep) -> CalendarUrl:
    return CalendarUrl(calendar_url=await service.rotate_calendar_url(user.id, runtime.settings))


ROUTES: list = [booking_invite, personal_feed, rotate_calendar_token, *PAGE_ROUTES]
