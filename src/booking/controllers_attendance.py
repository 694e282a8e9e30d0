"""JSON API of attendance and feedback (API.md "Attendance and feedback"): the roster, marks,
check-in by code and its QR code, feedback and its moderation."""
from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from accounts.auth import CurrentUser
from booking import attendance, checkin, feedback
from booking.schemas import (
    AttendanceChange, AttendanceHistory, Booking, CheckIn, Feedback, FeedbackCreate, Roster,
    WorkshopFeedback,
)
from kernel.http import Limit, Offset, ProblemResponses, RuntimeDep

UserDep = NamedDependency[CurrentUser]
SVG = "image/svg+xml"

problems = ProblemResponses({
    400: "validation-error: malformed JSON or a field out of range (named in `errors`)",
    401: "not-authenticated",
    403: "forbidden: not the host, an organizer of the community or an admin",
    404: "not-found",
    409: "invalid-state: outside the window, or the booking is not confirmed",
})
WINDOW = ("Allowed from 1 hour before the session starts until 7 days after it ends (otherwise 409 "
          "`invalid-state`), for confirmed bookings, by the workshop's host, an organizer of its "
          "community or an admin (others 403). Every change is recorded (who, when, from what to "
          "what: `GET /api/v1/bookings/{id}/attendance`); marking again undoes a mistake.")


class SessionAttendanceController(Controller):
    path = "/api/v1/sessions/{session_id:int}"
    tags = ["attendance"]

    @get("/roster", summary="The session's roster (host, organizer)",
         description="Every active booking (`confirmed`, or `pending_payment` while a payment hold "
                     "lasts) sorted by name, with what to collect on site (`amount_cents` when "
                     "`payment` is `on_site`); `booked_seats` counts confirmed seats. The active "
                     "waitlist is listed apart, in line order (`position` 1 is next; null while "
                     "`offered`). For the host, an organizer of the community or an admin: others "
                     "403 (404 if the workshop is not public).",
         responses=problems(401, 403, 404))
    async def roster(self, session_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Roster:
        return await attendance.roster(runtime, user, session_id)

    @post("/checkin", status_code=200, summary="Check a participant in by code (host, organizer)",
          description="The booking of this session holding `checkin_code` (typed in any case, with or "
                      "without spaces and dashes, or scanned from its QR code) is marked `attended` "
                      "and answered. Checking in twice answers the booking again (200). A wrong code, "
                      "another session's code or a cancelled booking's code is 404 `not-found`. "
                      + WINDOW,
          responses=problems(400, 401, 403, 404, 409))
    async def check_in(self, session_id: FromPath[int], data: JSONBody[CheckIn], user: UserDep,
                       runtime: RuntimeDep) -> Booking:
        return await attendance.check_in_code(runtime, user, session_id, data.checkin_code)


class BookingAttendanceController(Controller):
    path = "/api/v1/bookings/{booking_id:int}"
    tags = ["attendance"]

    @post("/attendance", status_code=200, summary="Mark attendance (host, organizer)",
          description="`attended`, `no_show` or back to `unknown`; answers the booking. " + WINDOW
                      + " A booking that is not confirmed is 409 `invalid-state`.",
          responses=problems(400, 401, 403, 404, 409))
    async def mark(self, booking_id: FromPath[int], data: JSONBody[AttendanceChange], user: UserDep,
                   runtime: RuntimeDep) -> Booking:
        return await attendance.mark(runtime, user, booking_id, data.attendance)

    @get("/attendance", summary="Every attendance mark of a booking (host, organizer)",
         description="Append-only, oldest first: `from_attendance` → `to_attendance`, `via` `mark` or "
                     "`checkin`, who (`marked_by`) and when. Beyond API.md.",
         responses=problems(401, 403, 404))
    async def marks(self, booking_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> AttendanceHistory:
        return await attendance.history(runtime, user, booking_id)

    @get("/checkin.svg", summary="The booking's check-in code as a QR code (its participant)",
         description="An SVG QR code holding the plain check-in code. Only the booking's participant "
                     "(others 403); a booking that is not confirmed (cancelled, expired, waiting "
                     "for payment) has no working code: 409 `invalid-state`.",
         media_type=SVG, responses=problems(401, 403, 404, 409))
    async def checkin_svg(self, booking_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> Response[bytes]:
        svg = await checkin.checkin_svg(runtime, user, booking_id)
        return Response(svg, media_type=SVG, headers={
            "Cache-Control": "private, no-store", "Content-Disposition": 'inline; filename="checkin.svg"',
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"})

    @post("/feedback", status_code=201, summary="Give feedback (its participant)",
          description="`rating` 1–5 and an optional plain-text `comment` (at most 2000 characters), once "
                      "per booking, from the session's end until 30 days after. Before the end 409 "
                      "`feedback-not-open`; after the window 409 `invalid-state`; twice 409 "
                      "`feedback-exists`; a booking marked no-show, cancelled, expired or not yours, "
                      "or the workshop's own host: 403 `forbidden`.",
          responses=problems(400, 401, 403, 404, 409, conflict="feedback-not-open, feedback-exists or "
                                                               "invalid-state (the window has closed)"))
    async def give_feedback(self, booking_id: FromPath[int], data: JSONBody[FeedbackCreate], user: UserDep,
                            runtime: RuntimeDep) -> Feedback:
        return await feedback.give(runtime, user.id, booking_id, data.rating, data.comment)


@get("/api/v1/workshops/{workshop_id:int}/feedback", tags=["feedback"],
     summary="Every rating and comment of a workshop (host, organizer)",
     description="Newest first, with each session's id and start (in its zone). `total` counts every "
                 "rating; `rating` is the public one (`average` null below 3 ratings). Participants are "
                 "not named. A comment an organizer hid shows `hidden: true`, and `comment: null` to the "
                 "host (organizers and admins still read it); its rating still counts. For the host, an "
                 "organizer of the community or an admin: others 403 (404 if the workshop is not public).",
     responses=problems(400, 401, 403, 404))
async def workshop_feedback(workshop_id: FromPath[int], user: UserDep, runtime: RuntimeDep,
                            limit: Limit = 50, offset: Offset = 0) -> WorkshopFeedback:
    return await feedback.of_workshop(runtime, user, workshop_id, limit, offset)


class FeedbackModerationController(Controller):
    path = "/api/v1/feedback/{feedback_id:int}"
    tags = ["feedback"]

    @post("/hide", status_code=204, summary="Hide an abusive comment (organizer)",
          description="Beyond API.md. An organizer of the workshop's community (or an admin) hides the "
                      "comment from the host's list; the rating still counts. Hiding twice is harmless. "
                      "Others 403.",
          responses=problems(401, 403, 404))
    async def hide(self, feedback_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> None:
        await feedback.set_hidden(runtime, user, feedback_id, True)

    @post("/unhide", status_code=204, summary="Show a hidden comment again (organizer)",
          description="Beyond API.md: undoes `hide`.", responses=problems(401, 403, 404))
    async def unhide(self, feedback_id: FromPath[int], user: UserDep, runtime: RuntimeDep) -> None:
        await feedback.set_hidden(runtime, user, feedback_id, False)


ROUTES: list = [SessionAttendanceController, BookingAttendanceController, workshop_feedback,
                FeedbackModerationController]
