"""Bad inputs for every operation, derived from its schema, and how an answer to each must look.

A case either *must fail* (its input breaks the declared schema or a house rule: a 4xx
problem) or *may succeed* (unusual but acceptable input: any answer but a 5xx). Every 4xx must
be an RFC 9457 problem whose `type` ends in a slug of the contract, with the matching status.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from kernel.errors import PROBLEM_BASE
from tests.api.robustness_schema import Operation, breaks, object_variant, types_of, variants

# API.md "Problem slugs", plus the framework-level answers the app gives (app._HTTP_SLUGS).
SLUG_STATUS = {
    "validation-error": 400, "invalid-signature": 400, "not-authenticated": 401,
    "invalid-credentials": 401, "forbidden": 403, "not-found": 404, "session-full": 409,
    "already-booked": 409, "booking-closed": 409, "waitlist-disabled": 409, "offer-expired": 409,
    "feedback-not-open": 409, "feedback-exists": 409, "capacity-below-bookings": 409,
    "invalid-state": 409, "email-taken": 409, "payments-not-configured": 409,
    "invalid-token": 400, "email-not-verified": 403,
    "payload-too-large": 413, "idempotency-key-reused": 422, "rate-limited": 429,
    "payment-provider-unavailable": 503,
    "method-not-allowed": 405, "unsupported-media-type": 415,
}
# slugs API.md gives two statuses: a Stripe webhook's bad signature is a 400, Twilio's a 403
SLUG_OTHER_STATUS = {("invalid-signature", 403)}
OVER_LIMIT = 1_100_000  # bytes: over the app's 1 MB request body limit
NUL = "a\x00b"
_ABSENT = object()


@dataclass
class Case:
    label: str
    must_fail: bool
    statuses: frozenset[int] | None = None  # when it must fail: the only acceptable statuses
    field: str | None = None  # a 400 validation-error must name this field
    target: str | None = None  # the body field this case changes (None: not a field case)
    json_body: Any = _ABSENT
    content: bytes | None = None
    content_type: str | None = None
    stream: bool = False  # send the body chunked, without Content-Length
    path: dict[str, str] = dataclasses.field(default_factory=dict)  # raw path segments replacing world ids
    query: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    anonymous: bool = False  # send without the actor's token (headers carry their own)

    def request_kwargs(self) -> dict[str, Any]:
        headers = dict(self.headers)
        content: Any = self.content
        if self.json_body is not _ABSENT:
            content = json.dumps(self.json_body).encode()
            headers.setdefault("content-type", "application/json")
        if self.content_type is not None:
            headers["content-type"] = self.content_type
        if self.stream and content is not None:
            content = _chunks(content)
        kwargs: dict[str, Any] = {"headers": headers}
        if content is not None:
            kwargs["content"] = content
        if self.query:
            kwargs["params"] = self.query
        return kwargs


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


# ------------------------------------------------------------------------------- body fields

def _field_values(name: str, schema: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """(label, value, must_fail) for one body field of the given schema."""
    kinds = types_of(schema)
    values: list[tuple[str, Any]] = [
        ("int 123", 123), ("float 1.5", 1.5), ("true", True), ("'abc'", "abc"), ("[]", []),
        ("{}", {}), ("null", None), ("''", ""), ("blank '   '", "   "), ("10000 chars", "x" * 10_000),
        ("NUL", NUL), ("2**31", 2**31), ("2**63", 2**63), ("-1", -1), ("0", 0), ("float 2.0", 2.0),
        ("[NUL]", [NUL]), ("['']", [""]), ("['x'*10000]", ["x" * 10_000]), ("[2**63]", [2**63]),
        ("'nan'", "nan"), ("'-inf'", "-inf"),  # msgspec's lax mode turns these into floats
    ]
    if "date-time" in {v.get("format") for v in variants(schema)}:
        values += [("'2026-13-45T25:00:00Z'", "2026-13-45T25:00:00Z"),
                   ("year 1 at +14:00", "0001-01-01T00:00:00+14:00"),
                   ("year 9999 at -12:00", "9999-12-31T23:59:59-12:00"),
                   ("naive '2026-12-20T14:00'", "2026-12-20T14:00:00")]
    semantic = SEMANTIC_BAD.get(name, [])
    out = [(label, value, True) for label, value in semantic]
    for label, value in values:
        must_fail = breaks(value, schema)
        # Litestar decodes bodies leniently (msgspec strict=False): 2.0 is an int, 0/1 a bool
        if isinstance(value, float) and value.is_integer() and "integer" in kinds:
            must_fail = breaks(int(value), schema)
        if type(value) is int and value in (0, 1) and "boolean" in kinds:
            must_fail = False
        if _has_nul(value) and name not in NUL_TOLERANT:
            must_fail = True  # PostgreSQL text cannot hold NUL: refused on every back end
        out.append((label, value, must_fail))
    return out


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


# Fields whose text is never stored or shown (a password is only hashed): NUL is just a character.
NUL_TOLERANT = {"password"}
# Values the schema cannot rule out but the contract does, by field name: each must fail.
SEMANTIC_BAD: dict[str, list[tuple[str, Any]]] = {
    "timezone": [("unknown zone 'Mars/Olympus'", "Mars/Olympus"), ("path '../../etc/passwd'", "../../etc/passwd"),
                 ("'localtime'", "localtime"), ("'posix/Europe/Paris'", "posix/Europe/Paris"),
                 ("'Factory'", "Factory")],
    "email": [("'not-an-email'", "not-an-email")],
    "online_url": [("'javascript:alert(1)'", "javascript:alert(1)")],
    "rrule": [("'FREQ=NEVER'", "FREQ=NEVER"), ("'garbage'", "garbage")],
}


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    if value is _ABSENT:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return copy


def _fields(schema: dict[str, Any], base: dict[str, Any], prefix: tuple[str, ...] = ()
            ) -> list[tuple[tuple[str, ...], dict[str, Any], bool]]:
    """(path, schema, required) of every field, nested objects included when the base has them."""
    obj = object_variant(schema)
    if obj is None:
        return []
    found = []
    required = set(obj.get("required", []))
    for name, sub in obj["properties"].items():
        found.append(((*prefix, name), sub, name in required))
        if isinstance(base.get(name), dict):
            found.extend(_fields(sub, base[name], (*prefix, name)))
    return found


def body_field_cases(op: Operation, base: dict[str, Any]) -> list[Case]:
    cases = []
    for path, schema, required in _fields(op.body or {}, base):
        dotted = ".".join(path)
        if required:
            cases.append(Case(f"body.{dotted} missing", True, frozenset({400}), field=dotted,
                              target=dotted, json_body=_set(base, path, _ABSENT)))
        for label, value, must_fail in _field_values(path[-1], schema):
            cases.append(Case(f"body.{dotted}={label}", must_fail, field=dotted if must_fail else None,
                              target=dotted, json_body=_set(base, path, value)))
    return cases


# ----------------------------------------------------------------------------- whole bodies

def body_cases(op: Operation, base: dict[str, Any] | None) -> list[Case]:
    has_body = op.body is not None
    if not has_body:  # a body the route does not read is ignored: two checks are enough
        return [Case("malformed JSON body, ignored", False, content=b'{"title": ', content_type="application/json"),
                Case(f"ignored body over {OVER_LIMIT} bytes", False, content=b"x" * OVER_LIMIT,
                     content_type="application/json")]
    nullable = has_body and "null" in types_of(op.body)
    valid = json.dumps(base if base is not None else {}).encode()
    bad = frozenset({400})
    cases = [
        Case("malformed JSON", True, bad, content=b'{"title": ', content_type="application/json"),
        Case("invalid UTF-8", True, bad, content=b'{"title": "\xff\xfe"}', content_type="application/json"),
        Case("JSON nested 100000 deep", True, bad,
             content=b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", content_type="application/json"),
        Case("empty body", not nullable, bad, content=b"", content_type="application/json"),
        Case("unknown field", False, json_body={**(base or {}), "no_such_field": 1}),
        Case(f"body over {OVER_LIMIT} bytes", True, frozenset({413}),
             content=b'{"pad": "' + b"x" * OVER_LIMIT + b'"}', content_type="application/json"),
        Case(f"chunked body over {OVER_LIMIT} bytes", True, frozenset({413}),
             content=b'{"pad": "' + b"x" * OVER_LIMIT + b'"}', content_type="application/json", stream=True),
    ]
    for label, value in (("JSON list", []), ("JSON string", "text"), ("JSON number", 42),
                         ("JSON null", None), ("JSON true", True)):
        must_fail = breaks(value, op.body)
        cases.append(Case(f"body is {label}", must_fail, bad if must_fail else None, json_body=value))
    for content_type in ("text/plain", "application/xml", "application/octet-stream",
                         "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded",
                         "application/json; charset=latin-1", "no/such-type"):
        cases.append(Case(f"Content-Type {content_type} (valid JSON)", False, content=valid,
                          content_type=content_type))
    cases.append(Case("form-encoded body", not nullable, content=b"title=x&seats=1",
                      content_type="application/x-www-form-urlencoded"))
    return cases


# ------------------------------------------------------------------------ path, query, headers

_BAD_IDS = ["0", "-1", str(2**31), str(2**63), str(10**30), "abc", "1.5", "1e3", "%00", "0x10"]
_BAD_TEXT = ["%00", "a%00b", "%FF", "%2e%2e", "caf%C3%A9", "x" * 5000]


def path_cases(op: Operation) -> list[Case]:
    cases = []
    for name, schema in op.path_params.items():
        values = _BAD_IDS if schema.get("type") == "integer" else _BAD_TEXT
        for value in values:
            label = value if len(value) <= 40 else f"{len(value)} x {value[0]!r}"
            cases.append(Case(f"path {name}={label}", True, frozenset({400, 404}), path={name: value}))
    return cases


# Values of text query parameters that the contract rules out, by parameter name.
BAD_QUERY = {
    "from": ["notadate", "2026-13-45", "2026-12-01T25:00"],
    "to": ["notadate", "2026-02-30"],
    "near": ["1,2,3", "abc", "91,0", "0,181", "nan,nan", "inf,0", ",", "1"],
    "radius_km": ["abc", "-1", "nan", "inf", "1e400"],
    "host": ["abc", "1.5"],
    "payment": ["bitcoin"],
    "format": ["pdf"],
}


def query_cases(op: Operation) -> list[Case]:
    cases = []
    for name, schema in op.query_params.items():
        if "integer" in types_of(schema):
            for value in ("abc", "1.5", "-1", "0", str(2**31), str(2**63), str(10**20), "0x10", "NaN"):
                parsed: Any = int(value) if value.lstrip("-").isdigit() else value
                cases.append(Case(f"query {name}={value}", breaks(parsed, schema), query=[(name, value)],
                                  field=name))
            # lenient but harmless: msgspec reads "1e3" as 1000
            cases.append(Case(f"query {name}=1e3", False, query=[(name, "1e3")]))
            cases.append(Case(f"query {name}= (empty)", False, query=[(name, "")]))
            cases.append(Case(f"query {name} twice", False, query=[(name, "1"), (name, "2")]))
        else:
            for value in BAD_QUERY.get(name, []):
                cases.append(Case(f"query {name}={value}", True, query=[(name, value)], field=name))
            cases.append(Case(f"query {name}=NUL", True, query=[(name, NUL)]))
            cases.append(Case(f"query {name}=10000 chars", False, query=[(name, "x" * 10_000)]))
    return cases


def header_cases(op: Operation) -> list[Case]:
    cases = [
        Case("Authorization 'Bearer' without token", False, headers={"authorization": "Bearer"}, anonymous=True),
        Case("Authorization unknown token", False, headers={"authorization": "Bearer nope"}, anonymous=True),
        Case("Authorization Basic", False, headers={"authorization": "Basic Zm9vOmJhcg=="}, anonymous=True),
        Case("Authorization 5000-char token", False, headers={"authorization": "Bearer " + "t" * 5000},
             anonymous=True),
    ]
    for name, schema in op.header_params.items():
        if "maxLength" in schema:
            cases.append(Case(f"header {name} too long", True, headers={name: "k" * (schema["maxLength"] + 1)},
                              field=name))
        cases.append(Case(f"header {name} with a tab", False, headers={name: "a\tb"}))
    return cases


def all_cases(op: Operation, base: dict[str, Any] | None) -> list[Case]:
    cases = body_cases(op, base) + path_cases(op) + query_cases(op) + header_cases(op)
    if op.body is not None and isinstance(base, dict):
        cases += body_field_cases(op, base)
    seen: set[str] = set()
    for case in cases:  # labels identify known bugs: keep them unique
        assert case.label not in seen, case.label
        seen.add(case.label)
    return cases


# --------------------------------------------------------------------------------- answers

def problems_with(case: Case, actor: str, response: Any, deep: bool) -> list[str]:
    """What is wrong with the answer to `case` (empty when it is fine). `deep` is true when the
    actor may act on the resource, so a schema violation must be a 400 naming the field."""
    status = response.status_code
    wrong: list[str] = []
    if status >= 500:
        return [f"{status} server error"]
    if case.must_fail and status < 400:
        return [f"{status}: bad input accepted"]
    if status < 400:
        return []
    if case.must_fail and case.statuses and status not in case.statuses and (deep or status != 403):
        wrong.append(f"{status}, expected one of {sorted(case.statuses)}")
    media = response.headers.get("content-type", "")
    if not media.startswith("application/problem+json"):
        return [*wrong, f"{status} with content-type {media!r}, not application/problem+json"]
    try:
        body = response.json()
    except ValueError:
        return [*wrong, f"{status}: problem body is not JSON"]
    kind = body.get("type", "") if isinstance(body, dict) else ""
    slug = kind.removeprefix(PROBLEM_BASE) if kind.startswith(PROBLEM_BASE) else None
    if slug not in SLUG_STATUS:
        wrong.append(f"{status}: unknown problem type {kind!r}")
    elif SLUG_STATUS[slug] != status and (slug, status) not in SLUG_OTHER_STATUS:
        wrong.append(f"{status}: slug {slug} belongs to {SLUG_STATUS[slug]}")
    if body.get("status") != status or not body.get("title"):
        wrong.append(f"{status}: problem status/title wrong: {body!r:.200}")
    if deep and case.field and slug == "validation-error" and not _names(body, case.field):
        wrong.append(f"400 does not name {case.field!r}: {body!r:.300}")
    return wrong


def _names(body: dict[str, Any], field_path: str) -> bool:
    named = [str(e.get("field", "")) for e in body.get("errors") or [] if isinstance(e, dict)]
    last = field_path.rsplit(".", 1)[-1]
    return any(n == field_path or n.endswith("." + last) or n == last for n in named) \
        or field_path in str(body.get("detail", ""))
