"""Read-only look-ups of communities (the accounts package owns and writes them)."""
from __future__ import annotations

from dataclasses import dataclass

from accounts.tables import Community

_COLUMNS = (Community.id, Community.slug, Community.name, Community.timezone, Community.locale,
            Community.lat, Community.lon, Community.moderation)


@dataclass(frozen=True)
class CommunityRecord:
    id: int
    slug: str
    name: str
    timezone: str
    locale: str
    lat: float | None
    lon: float | None
    moderation: bool


def _record(row: dict | None) -> CommunityRecord | None:
    return CommunityRecord(**row) if row else None


async def get_community_by_slug(slug: str) -> CommunityRecord | None:
    if not slug or len(slug) > 64 or "\x00" in slug:
        return None
    return _record(await Community.select(*_COLUMNS).where(Community.slug == slug).first())


async def get_community(community_id: int) -> CommunityRecord | None:
    if not 0 < community_id <= 2**31 - 1:
        return None
    return _record(await Community.select(*_COLUMNS).where(Community.id == community_id).first())
