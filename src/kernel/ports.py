"""The ports through which packages reach what they may not import, filled in by the bootstrap.

- `BookingStats`: what `workshops` shows of the booking side (seats, ratings), implemented by
  `booking.stats`;
- `Mailer`: how `notify` sends a message (SMTP or files);
- `SerialStore`: the booking engine's serialised write path (`booking.store`).
"""
from __future__ import annotations

import datetime as dt
import email.message
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kernel.sql import Tx

T = TypeVar("T")


@dataclass(frozen=True)
class SessionSeats:
    """`seats_taken`: confirmed seats + unexpired payment holds + seats held for open offers."""

    seats_taken: int = 0
    waitlist_length: int = 0


@dataclass(frozen=True)
class Rating:
    average: float | None = None  # None below 3 ratings
    count: int = 0


@dataclass(frozen=True)
class RecipeRuns:
    """Where a recipe's lineage has run: sessions held (ended, not cancelled), the distinct
    communities they were in, the seats marked attended, and their ratings."""

    sessions: int = 0
    communities: int = 0
    attended_seats: int = 0
    rating: Rating = Rating()


class BookingStats(Protocol):
    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]: ...

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]: ...

    async def rating_of_host(self, host_id: int) -> Rating: ...

    async def recipe_runs(self, recipe_id: int, now: dt.datetime) -> RecipeRuns: ...


class NoBookings:
    """Until the booking side is wired: nothing taken, nothing rated."""

    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]:
        return {sid: SessionSeats() for sid in session_ids}

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]:
        return {wid: Rating() for wid in workshop_ids}

    async def rating_of_host(self, host_id: int) -> Rating:
        return Rating()

    async def recipe_runs(self, recipe_id: int, now: dt.datetime) -> RecipeRuns:
        return RecipeRuns()


class Mailer(Protocol):
    async def send(self, message: email.message.EmailMessage) -> None:
        """Deliver one message or raise; a PermanentDeliveryError means "do not retry"."""

    async def close(self) -> None: ...


Operation = Callable[[Tx], Coroutine[Any, Any, T]]


class SerialStore(Protocol):
    """Runs operations one at a time per session, each in one transaction with its outbox rows."""

    async def run(self, op: Operation[T]) -> T: ...

    async def close(self) -> None: ...


class PersonalData(Protocol):
    """One package's share of "own your data" (GDPR export and erasure), called by accounts."""

    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Sections of the export (by name, e.g. `bookings`) with this package's rows."""

    async def release(self, runtime: Any, user_id: int) -> None:
        """Before erasure, outside any transaction: give back what others may take (seats)."""

    async def erase(self, user_id: int) -> None:
        """Inside the erasure's write transaction: remove this package's personal data."""
