"""HTTP helpers every package's handlers share: the problem-details schema and its OpenAPI
responses, id and paging parameters, the runtime dependency, and the client's address (behind
the trusted proxies only)."""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from msgspec import Struct

from kernel.ids import MAX_ID, is_id
from kernel.runtime import Runtime

__all__ = ["MAX_ID", "is_id", "Limit", "Offset", "Problem", "ProblemResponses", "RuntimeDep", "client_address"]

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


# ------------------------------------------------------------------ the client's address

def _forwarded_for(headers: Mapping[str, str] | Any) -> list[str]:
    """The addresses a chain of proxies recorded, nearest last: RFC 7239 `Forwarded: for=…`
    if sent, else `X-Forwarded-For` (every header line, in order)."""
    getall = getattr(headers, "getall", None)

    def lines(name: str) -> list[str]:
        if getall is not None:
            return list(getall(name, []))
        value = headers.get(name)
        return [value] if value else []

    forwarded = lines("forwarded")
    if forwarded:
        found = []
        for element in ",".join(forwarded).split(","):
            for pair in element.split(";"):
                key, _, value = pair.strip().partition("=")
                if key.strip().lower() == "for":
                    found.append(_bare_address(value.strip().strip('"')))
        return found
    return [part.strip() for part in ",".join(lines("x-forwarded-for")).split(",") if part.strip()]


def _bare_address(value: str) -> str:
    """`[2001:db8::1]:4711` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1`."""
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value


def _parsed(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def client_address(peer: str | None, headers: Mapping[str, str] | Any,
                   trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The address a request came from, for rate limits and logs: the TCP peer, unless the
    peer is a trusted proxy (`ALVEOLE_TRUSTED_PROXIES`); then the forwarding headers are read
    from the right, skipping trusted proxies, and the first address not trusted is the client's
    (whatever is left of it was written by the client itself, and is ignored). From any other
    peer those headers are ignored: anyone can send them."""
    if peer is None:
        return "unknown"

    def is_trusted(address: str) -> bool:
        parsed = _parsed(address)
        return parsed is not None and any(parsed in network for network in trusted)

    if not trusted or not is_trusted(peer):
        return peer
    chain = _forwarded_for(headers)
    for address in reversed(chain):
        if not is_trusted(address):
            parsed = _parsed(address)
            return str(parsed) if parsed is not None else address[:64] or "unknown"
    return chain[0] if chain else peer
