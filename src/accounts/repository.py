"""Every query on accounts' tables (`app_user`, `auth_token`, `community`,
`community_organizer`) that other packages may run, as `Sql` statements or functions.

Other packages never name these tables in their own SQL; where one of their queries must join
a user or a community for speed, it takes the fragments below (e.g. `PERSON_COLUMNS`)."""
from __future__ import annotations

from kernel.sql import Sql

PERSON_COLUMNS = "id, email, display_name, locale, timezone, deleted_at"
PERSON_BY_ID = Sql(f"SELECT {PERSON_COLUMNS} FROM app_user WHERE id = ?1")
# ?1 community id: its organizers who still have an account, by id
COMMUNITY_ORGANIZERS = Sql(
    "SELECT u.id, u.email, u.display_name, u.locale, u.timezone, u.deleted_at"
    ' FROM community_organizer o JOIN app_user u ON u.id = o."user"'
    ' WHERE o."community" = ?1 AND u.deleted_at IS NULL ORDER BY u.id'
)
# ?1 community id, ?2 user id (the booking engine asks inside its serialised transaction)
IS_ORGANIZER = Sql('SELECT 1 FROM community_organizer WHERE community = ?1 AND "user" = ?2')


def person_columns(alias: str, prefix: str) -> str:
    """A user's person columns from table alias `alias`, named `{prefix}id`, `{prefix}email`, …"""
    return ", ".join(f"{alias}.{c} AS {prefix}{c}" for c in PERSON_COLUMNS.split(", "))
