"""JSON API handlers of the booking engine: bookings, waitlist, session changes."""
from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from accounts.auth import CurrentUser, required_user
from kernel.http import Limit, Offset, ProblemResponses, RuntimeDep
from booking import service
from booking.controllers_attendance import ROUTES as attendance_routes
from booking.payment_controllers import ROUTES as payment_routes
from booking.schemas import (
    Booking, BookingCreate, BookingList, DoorCreate, ReleaseResult, SessionCancel, StandbyEntryView, SessionChange, WaitlistEntry,
    WaitlistJoin, WaitlistList,
)
from workshops.schemas import Session

UserDep = NamedDependency[CurrentUser]
IdempotencyKey = Annotated[str | None, HeaderParameter(
    name="Idempotency-Key", required=False, min_length=1, max_length=200, pattern=r"^[\x20-\x7e]+$",
    description="Retry-safe booking: the same key and body answer the same booking (kept 24 h); "
                "1 to 200 printable ASCII characters")]
NO_SEATS = BookingCreate()

_PROBLEMS = {
    400: "validation-error: malformed JSON, a wrong type, or seats out of range (named in `errors`)",
    401: "not-authenticated",
    403: "forbidden: not yours",
    404: "not-found",
    409: "a conflict: session-full, already-booked, booking-closed, waitlist-disabled, "
         "offer-expired, capacity-below-bookings, payments-not-configured or invalid-state",
    422: "idempotency-key-reused: the same Idempotency-Key with another body",
}


problems = ProblemResponses(_PROBLEMS)


class SessionBookingController(Controller):
    path = "/api/v1/sessions/{session_id:int}"
    tags = ["bookings"]

    @post("/bookings", status_code=201, summary="Book seats",
          description="With `guest: {name, phone?, note?}`, a relay of the community, the host or an "
                      "organizer books for a neighbour without an account (free and on-site workshops "
                      "only, else 409 `invalid-state`). "
                      "Free and on-site workshops are confirmed at once. With an `Idempotency-Key` "
                      "header a retry answers the first booking (200) instead of booking again; "
                      "the same key with another body is 422. Errors: 409 `session-full`, "
                      "`already-booked` (also while on the waitlist), `booking-closed` (started, "
                      "cancelled or unpublished), `payments-not-configured`.",
          responses=problems(400, 401, 403, 404, 409, 422))
    async def book(self, session_id: FromPath[int], request: Request, idempotency_key: IdempotencyKey = None,
                   data: JSONBody[BookingCreate | None] = None) -> Response[Booking]:
        # The hot path takes no injected dependencies: with two of them Litestar resolves them
        # in an anyio task group, which cost ~15% of the event loop's time per booking.
        user = await required_user(request)
        data = data or NO_SEATS
        if data.guest is not None:
            guest_booking, made = await service.book_for_guest(request.app.state.runtime, user, session_id,
                                                               data.seats, data.guest, idempotency_key)
            return Response(guest_booking, status_code=201 if made else 200)
        booking, created = await service.book(request.app.state.runtime, user, session_id,
                                              data.seats, idempotency_key)
        return Response(booking, status_code=201 if created else 200)

    @post("/walk-ins", status_code=201, summary="Let someone in at the door (host, organizer)",
          description="From an hour before the start to the end (else 409 `invalid-state`): a booking "
                      "`source:\"walk_in\"`, attended, counted against capacity (full → 409 `session-full`).",
          responses=problems(400, 401, 403, 404, 409))
    async def walk_in(self, session_id: FromPath[int], data: JSONBody[DoorCreate], user: UserDep,
                      runtime: RuntimeDep) -> Booking:
        return await service.add_walk_in(runtime, user, session_id, data)

    @post("/standby", status_code=201, summary="Put someone on standby at the door (host, organizer)",
          description="Only when the seats wanted are not free (else 409 `invalid-state`: add a walk-in); "
                      "from an hour before the start to the end.",
          responses=problems(400, 401, 403, 404, 409))
    async def standby(self, session_id: FromPath[int], data: JSONBody[DoorCreate], user: UserDep,
                      runtime: RuntimeDep) -> StandbyEntryView:
        return await service.add_standby(runtime, user, session_id, data)

    @post("/release-no-shows", status_code=200, summary="Release the no-shows to standby (host, organizer)",
          description="From start + ALVEOLE_NOSHOW_RELEASE_MINUTES (before → 409 `invalid-state`): free and "
                      "on-site bookings not checked in become no-shows and their seats go to the standby "
                      "list in order; paid-online bookings are never released.",
          responses=problems(401, 403, 404, 409))
    async def release_no_shows(self, session_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> ReleaseResult:
        return await service.release_no_shows(runtime, user, session_id)

    @post("/waitlist", status_code=201, summary="Join the waitlist",
          description="Only when the seats wanted are not free (409 `invalid-state`: book instead). "
                      "One active booking or entry per participant and session (409 `already-booked`). "
                      "`position` 1 is next in line.",
          responses=problems(400, 401, 404, 409))
    async def join_waitlist(self, session_id: FromPath[int], user: UserDep, runtime: RuntimeDep,
                            data: JSONBody[WaitlistJoin | None] = None) -> WaitlistEntry:
        return await service.join_waitlist(runtime, user, session_id, (data or WaitlistJoin()).seats)

    @post("/cancel", status_code=200, summary="Cancel a session (host or organizer)",
          description="Cancels every active booking and withdraws the waitlist; cancelling twice "
                      "(or after the end) is 409 `invalid-state`.",
          responses=problems(400, 401, 403, 404, 409))
    async def cancel(self, session_id: FromPath[int], data: JSONBody[SessionCancel], user: UserDep, runtime: RuntimeDep) -> Session:
        return await service.cancel_session(runtime, user, session_id, data.reason)


# A plain handler, not a Controller's "/": workshops serves GET on the same path, and two
# route groups on one path would both claim its OPTIONS handler.
@patch("/api/v1/sessions/{session_id:int}", tags=["sessions"], summary="Change a session (host)",
       description="New times bump `sequence` and send updated invites (a new timezone alone does "
                   "not); a larger capacity promotes the waitlist; a capacity below the seats taken "
                   "is 409 `capacity-below-bookings`; a started or cancelled session is 409 `invalid-state`.",
       responses=problems(400, 401, 403, 404, 409))
async def change_session(session_id: FromPath[int], data: JSONBody[SessionChange], user: UserDep, runtime: RuntimeDep) -> Session:
    return await service.change_session(runtime, user, session_id, data)


class BookingController(Controller):
    path = "/api/v1/bookings/{booking_id:int}"
    tags = ["bookings"]

    @get("/", summary="A booking (its participant, the host, an organizer)", responses=problems(401, 403, 404))
    async def get_booking(self, booking_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Booking:
        return await service.get_booking(runtime, user, booking_id)

    @post("/cancel", status_code=200, summary="Cancel a booking",
          description="By its participant until the session starts (then 409 `booking-closed`), "
                      "flagged `late_cancellation` after the workshop's cancellation deadline; the "
                      "host or an organizer may cancel too. Freed seats go to the waitlist.",
          responses=problems(401, 403, 404, 409))
    async def cancel(self, booking_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Booking:
        return await service.cancel_booking(runtime, user, booking_id)


class WaitlistController(Controller):
    path = "/api/v1/waitlist/{entry_id:int}"
    tags = ["waitlist"]

    @delete("/", status_code=204, summary="Leave the waitlist",
            description="An open offer's seats go to the next in line.",
            responses=problems(401, 403, 404, 409))
    async def leave(self, entry_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> None:
        await service.leave_waitlist(runtime, user, entry_id)

    @post("/accept", status_code=201, summary="Accept a waitlist offer",
          description="While `offered`; after the offer's deadline 409 `offer-expired`.",
          responses=problems(401, 403, 404, 409))
    async def accept(self, entry_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Booking:
        return await service.accept_offer(runtime, user, entry_id)


class MyBookingsController(Controller):
    path = "/api/v1/me"
    tags = ["me"]

    @get("/bookings", summary="My bookings, newest first", responses=problems(400, 401))
    async def bookings(self, user: UserDep, runtime: RuntimeDep, limit: Limit = 50, offset: Offset = 0) -> BookingList:
        return await service.my_bookings(runtime, user, limit, offset)

    @get("/waitlist", summary="My waitlist entries, newest first", responses=problems(400, 401))
    async def waitlist(self, user: UserDep, runtime: RuntimeDep, limit: Limit = 50, offset: Offset = 0) -> WaitlistList:
        return await service.my_waitlist(runtime, user, limit, offset)


ROUTES: list = [SessionBookingController, change_session, BookingController, WaitlistController,
                MyBookingsController, *attendance_routes, *payment_routes]
