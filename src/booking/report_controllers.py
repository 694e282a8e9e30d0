"""JSON and CSV handler of the organizers' attendance report."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.params import FromPath, QueryParameter

from accounts.auth import CurrentUser
from booking import reports
from booking.report_schemas import AttendanceReport
from kernel.http import ProblemResponses, RuntimeDep

UserDep = NamedDependency[CurrentUser]
CSV = "text/csv; charset=utf-8"

problems = ProblemResponses({
    400: "validation-error: a bad `from`, `to`, `format` or `sep`, `to` before `from`, or a range over "
         f"{reports.MAX_YEARS} years (named in `errors`)",
    401: "not-authenticated",
    403: "forbidden: not an organizer of this community (nor an admin)",
    404: "not-found: no such community",
})


@dataclass
class _JsonOrCsv(Operation):
    """The 200 answer is JSON or, on request, the session rows as CSV: both in the schema."""

    def __post_init__(self) -> None:
        success = (self.responses or {}).get("200")
        if isinstance(success, OpenAPIResponse):
            success.content = {**(success.content or {}), "text/csv": OpenAPIMediaType(
                schema=Schema(type="string", description="The session rows, UTF-8 with a BOM"))}


@get("/api/v1/communities/{slug:str}/attendance", tags=["communities"],
     summary="Attendance report (organizers)", description=reports.DEFINITIONS,
     operation_class=_JsonOrCsv, responses=problems(400, 401, 403, 404))
async def attendance_report(
    slug: FromPath[str], request: Request, user: UserDep, runtime: RuntimeDep,
    starts_from: Annotated[str | None, QueryParameter(
        name="from", description="First day (YYYY-MM-DD, included); default: a year before today")] = None,
    to: Annotated[str | None, QueryParameter(
        description="Last day (YYYY-MM-DD, included); default: a year after today")] = None,
    format: Annotated[str | None, QueryParameter(
        description="`json` or `csv` (default: by the Accept header, JSON unless text/csv)")] = None,
    sep: Annotated[str | None, QueryParameter(description="CSV separator: `,` (default) or `;`")] = None,
) -> Response[AttendanceReport]:
    accepted = request.accept.best_match(["application/json", "text/csv"], default="application/json")
    wanted, separator = reports.choose_format(format, accepted), reports.check_separator(sep)
    report = await reports.attendance_report(runtime, user, slug, starts_from, to)
    if wanted == "json":
        return Response(report, headers=PRIVATE)
    return csv_download(report, separator)


# participants' figures for organizers only: no shared cache keeps them, and the answer
# depends on the Accept header
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Accept, Authorization, Cookie"}


def csv_download(report: AttendanceReport, separator: str, headings: list[str] | None = None) -> Response[bytes]:
    """The session rows as a CSV attachment: the API's answer (headed by the JSON keys) and the
    dashboard's download (`headings` in the viewer's language)."""
    return Response(reports.report_csv(report, separator, headings), media_type=CSV, headers={
        **PRIVATE, "Content-Disposition": f'attachment; filename="{reports.csv_filename(report)}"'})


ROUTES: list = [attendance_report]
