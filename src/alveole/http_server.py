"""uvicorn's HTTP/1.1 protocol (h11) with a deadline on each request: uvicorn bounds how long an
idle keep-alive connection stays open, but not how long a client may take to send a request, so
800 half-sent requests were all still held after 32 s. Here a client has
`Settings.request_timeout` seconds, from its connection or from the first byte of a request, to
send the whole request (headers and body); then the connection is closed. Behind a reverse proxy
the proxy bounds the rest (docs/operations.md)."""
from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# the states of the client's side in which its request is whole (or the connection is over)
_REQUEST_SENT = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)


def bounded_protocol(request_timeout: float) -> type[H11Protocol]:
    """The protocol class to give uvicorn (`http=`), with this deadline in seconds."""

    class BoundedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self.conn.their_state == h11.IDLE:
                self._arm()  # the next request of a kept-alive connection starts
            super().data_received(data)
            if self.conn.their_state in _REQUEST_SENT:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(request_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.conn.their_state not in _REQUEST_SENT and not self.transport.is_closing():
                self.transport.close()

    return BoundedH11Protocol


def uvicorn_options(request_timeout: float) -> dict[str, Any]:
    return {"http": bounded_protocol(request_timeout)}
