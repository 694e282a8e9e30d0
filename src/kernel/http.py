"""HTTP helpers every package's handlers share: the problem-details schema and its OpenAPI
responses, id and paging parameters, and the runtime dependency."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from msgspec import Struct

from kernel.ids import MAX_ID, is_id
from kernel.runtime import Runtime

__all__ = ["MAX_ID", "is_id", "Limit", "Offset", "Problem", "ProblemResponses", "RuntimeDep"]

PROBLEM_JSON = "application/problem+json"
# Every calendar answer's media type, named here once. Litestar appends "; charset=utf-8" to
# every text/* type itself: a charset written here too is said twice.
CALENDAR = "text/calendar"


def calendar_media_type(method: str | None = None) -> str:
    """`text/calendar`, with the iTIP method of an invite (`method=REQUEST`…)."""
    return f"{CALENDAR}; method={method}" if method else CALENDAR

# Injected by parameter name (see alveole.app's dependencies)
RuntimeDep = NamedDependency[Runtime]
Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size (default 50)")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_ID, description="items to skip")]


class FieldError(Struct, kw_only=True):
    field: str
    message: str
    source: str | None = None
    # a stable code for some refusals (`past`, `too-far`, `interval`, `too-many`,
    # `beyond-horizon`, `too-long`): forms choose their words by it, never by the message
    reason: str | None = None


class Problem(Struct, kw_only=True):
    """RFC 9457 problem details; `type` ends in a stable slug (see API.md)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemResponses:
    """A package's problem descriptions by status; calling it gives the OpenAPI `responses`
    for a handler, e.g. `problems(400, 404, conflict="session-full: …")`."""

    def __init__(self, descriptions: Mapping[int, str]) -> None:
        self.descriptions = dict(descriptions)

    def __call__(self, *statuses: int, conflict: str | None = None) -> dict[int, ResponseSpec]:
        descriptions = {**self.descriptions, **({409: conflict} if conflict else {})}
        return {status: ResponseSpec(data_container=Problem, description=descriptions[status],
                                     media_type=PROBLEM_JSON, generate_examples=False)
                for status in statuses}
