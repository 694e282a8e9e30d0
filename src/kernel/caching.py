"""HTTP validators for what clients poll: `ETag` / `If-None-Match` → 304, `Last-Modified`, and a
`Cache-Control` that fits the resource (see `PUBLIC_LISTING`, `PRIVATE`).

Two kinds of ETag: a hash of the body itself (`etag_of`: the listing and the workshop page,
whose JSON is cheap to build once read), or a hash of a *version* read from the database
before any rendering (`etag_of_version`: the calendar feeds, whose rendering is the cost a
poll should not pay). Only `If-None-Match` is evaluated (RFC 9110 lets a server ignore
`If-Modified-Since`): seat counts change without any row's `updated_at` moving, so a date
alone could answer 304 for stale data; `Last-Modified` is sent for clients that show it.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from email.utils import format_datetime
from typing import Any

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.openapi.datastructures import ResponseSpec

# public data that changes when someone books: a short shared cache, then revalidate
PUBLIC_LISTING = "public, max-age=10, must-revalidate"
# a public calendar feed: calendar clients poll every few minutes at most
PUBLIC_FEED = "public, max-age=60, must-revalidate"
# one person's data (a personal feed): no shared cache may keep it
PRIVATE = "private, no-cache"
PRIVATE_FEED = "private, max-age=300"

NOT_MODIFIED = {304: ResponseSpec(data_container=None, description="Not Modified: the `ETag` sent in "
                                  "`If-None-Match` is still current (no body)", generate_examples=False)}


def etag_of(body: bytes) -> str:
    """A strong validator: the body's hash (the same bytes, the same ETag)."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def etag_of_version(*parts: Any) -> str:
    """A validator from what the content is made of (counts, sums of ids and sequences, last
    changes…): any change of one part changes it. Weak: equal versions mean equivalent feeds,
    not byte-equal ones (DTSTAMP is the time of the request)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f'W/"{digest}"'


def matches(connection: ASGIConnection, etag: str) -> bool:
    """Whether the request's If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2)."""
    header = connection.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in header.split(","))


def http_date(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return format_datetime(moment.astimezone(dt.timezone.utc).replace(microsecond=0), usegmt=True)


def validated(connection: ASGIConnection, etag: str, *, cache_control: str,
              last_modified: dt.datetime | None = None,
              headers: Mapping[str, str] | None = None) -> tuple[dict[str, str], Response[Any] | None]:
    """The validator headers, and the 304 to answer when the client's copy is current (else None)."""
    sent = {"ETag": etag, "Cache-Control": cache_control, **(headers or {})}
    if (stamp := http_date(last_modified)) is not None:
        sent["Last-Modified"] = stamp
    if matches(connection, etag):
        return sent, Response(content=b"", status_code=304, headers=sent)
    return sent, None


def conditional(connection: ASGIConnection, body: bytes, *, media_type: str, cache_control: str,
                last_modified: dt.datetime | None = None, status_code: int = 200,
                headers: Mapping[str, str] | None = None) -> Response[Any]:
    """`body` with a content-hash ETag, or a 304 without it when If-None-Match names that ETag."""
    sent, not_modified = validated(connection, etag_of(body), cache_control=cache_control,
                                   last_modified=last_modified, headers=headers)
    if not_modified is not None:
        return not_modified
    return Response(content=body, media_type=media_type, status_code=status_code, headers=sent)


class RenderedFeeds:
    """The last rendering of each feed, kept with the version (`etag_of_version`) it was made
    from: a client without our ETag (a new subscriber, or one that does not revalidate) gets
    the same bytes without the rendering cost while the version holds. Bounded (least recently
    used out); one per process. Keys should name the runtime (`Runtime.worker_id`), so two apps
    in one process (tests) never share an entry."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._entries: dict[Any, tuple[str, bytes]] = {}
        self._building: dict[tuple[Any, str], asyncio.Future[bytes]] = {}
        self.builds = 0  # how many renderings were started (tests)

    async def get_or_build(self, key: Any, etag: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The kept bytes of this version, or `build()`'s — ONE build per version however many
        requests ask meanwhile (they all await it; a cancelled request does not cancel it)."""
        body = self.get(key, etag)
        if body is not None:
            return body
        running = self._building.get((key, etag))
        if running is None:
            self.builds += 1
            running = self._building[key, etag] = asyncio.ensure_future(build())

            def done(future: asyncio.Future[bytes], flight: tuple[Any, str] = (key, etag)) -> None:
                self._building.pop(flight, None)
                if not future.cancelled() and future.exception() is None:
                    self.put(flight[0], flight[1], future.result())

            running.add_done_callback(done)
        return await asyncio.shield(running)

    def get(self, key: Any, etag: str) -> bytes | None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self._entries[key] = entry  # most recently used last
        return entry[1] if entry[0] == etag else None

    def put(self, key: Any, etag: str, body: bytes) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (etag, body)
        while len(self._entries) > self._size:
            self._entries.pop(next(iter(self._entries)))


rendered_feeds = RenderedFeeds()


class Changes:
    """A count of the writes this process has answered (every POST, PUT, PATCH or DELETE, bumped
    by `kernel.asgi.RequestGuardsMiddleware` when its answer starts, i.e. after its commit).
    Part of the key of `ShortLived` answers: a client that writes, then reads from the same
    process, never gets the answer from before its write."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def bump(self) -> None:
        self.count += 1


changes = Changes()


class ShortLived:
    """Answers kept for the rest of the current second of the runtime's clock, or until this
    process answers a write (`changes`): public answers that cost a statement and a rendering
    (the listing) are built once per second per query under load instead of once per request.
    What another process writes (the worker expiring holds, a second app process) shows up at
    the next second at the latest — within the `max-age` the answers already send. Each entry
    keeps the body and its ETag, so a 304 costs a dictionary look-up. Bounded (oldest out)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._entries: dict[Any, Any] = {}
        self._building: dict[Any, asyncio.Future[Any]] = {}

    async def get_or_build(self, key: Any, now: dt.datetime, build: Callable[[], Awaitable[Any]],
                           keep: Callable[[Any], bool] = lambda value: True, viewer: Any = None) -> Any:
        """The current answer, or `build()`'s, kept if `keep(answer)`. Requests that miss at once
        (every connection at the turn of a second) await ONE build rather than each making its
        own — only requests of the same `viewer` share one, since an answer that is not kept may
        be theirs alone; a build started before a write this process answered is not shared
        after it, nor kept as current."""
        value = self.get(key, now)
        if value is not None:
            return value
        stamp = self._stamp(now)
        flight = (key, viewer, stamp)
        running = self._building.get(flight)
        if running is None:
            running = self._building[flight] = asyncio.ensure_future(build())

            def done(future: asyncio.Future[Any]) -> None:
                self._building.pop(flight, None)
                if not future.cancelled() and future.exception() is None and keep(future.result()):
                    self._put(key, stamp, future.result())

            running.add_done_callback(done)
        return await asyncio.shield(running)

    @staticmethod
    def _stamp(now: dt.datetime) -> tuple[int, int]:
        return int(now.timestamp()), changes.count

    def get(self, key: Any, now: dt.datetime) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] != self._stamp(now):
            return None
        return entry[1]

    def _put(self, key: Any, stamp: tuple[int, int], value: Any) -> None:
        """Keep `value` as the answer of `stamp` (read before it was built: a write answered
        meanwhile makes it stale at once)."""
        self._entries.pop(key, None)
        self._entries[key] = (stamp, value)
        while len(self._entries) > self._size:
            self._entries.pop(next(iter(self._entries)))
