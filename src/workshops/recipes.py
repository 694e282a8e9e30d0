"""Recipes (issue 24): a workshop that ran publishes what another neighbourhood needs to run it
(materials, steps, duration, group size, cost, an open licence); anyone verified copies a recipe
into a draft workshop of their community; a recipe shows where its lineage ran and how it was
rated (`BookingStats.recipe_runs`: one statement over the recursive lineage).

A recipe keeps its own text: the workshop's title, summary and category are copied in when the
host publishes (PUT), and change only when they publish again.
"""
from __future__ import annotations

import json
from typing import Any

from accounts import quotas
from accounts.auth import CurrentUser
from accounts.service import find_community_by_slug, require_verified
from kernel.errors import Forbidden, InvalidState, NotFound
from kernel.i18n import language_of, translations
from kernel.ids import MAX_ID
from kernel.runtime import Runtime
from kernel.sql import PiccoloTx, as_datetime, write_transaction
from workshops import repository, rules, schemas, service, text
from workshops.enums import Payment, WorkshopStatus

__all__ = ["FORMER_MEMBER", "copy_recipe", "list_recipes", "publish_recipe", "recipe_detail",
           "recipe_id_of_workshop", "recipe_states"]

FORMER_MEMBER = "a former member"  # the author of a recipe whose account was erased
LINEAGE_SHOWN = 200
COPY_CAPACITY = 12  # a copied draft's capacity when the recipe names no group size


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(v) for v in (value or [])]


def _author(row: Any) -> schemas.Person:
    erased = row["author_deleted_at"] is not None
    return schemas.Person(id=row["author"], display_name=FORMER_MEMBER if erased else row["author_display_name"])


def _link(row: Any) -> schemas.RecipeLink:
    return schemas.RecipeLink(
        id=row["id"], workshop_id=row["workshop"], title=row["title"], summary=row["summary"],
        category=row["category"], community=row["community_slug"], author=_author(row),
        licence=row["licence"], duration_minutes=row["duration_minutes"], copied_from=row["copied_from"],
        updated_at=as_datetime(row["updated_at"]),
    )


def _valid_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


async def _row(recipe_id: int) -> Any:
    row = await repository.recipe_row(recipe_id) if _valid_id(recipe_id) else None
    if row is None:
        raise NotFound(f"No recipe {recipe_id}.")
    return row


async def recipe_detail(runtime: Runtime, recipe_id: int) -> schemas.Recipe:
    """The recipe with its lineage and record: three statements (the recipe, the one it came
    from with its copies, the record across the whole lineage)."""
    row = await _row(recipe_id)
    lineage = await repository.recipe_lineage(recipe_id, LINEAGE_SHOWN + 1)
    runs = await runtime.booking_stats.recipe_runs(recipe_id, runtime.clock.now())
    parent = next((_link(r) for r in lineage if r["rank"] == 0), None)
    average = None if runs.rating.average is None else round(float(runs.rating.average), 2)
    return schemas.Recipe(
        id=row["id"], workshop_id=row["workshop"], title=row["title"], summary=row["summary"],
        category=row["category"], community=row["community_slug"], materials=_items(row["materials"]),
        steps=_items(row["steps"]), duration_minutes=row["duration_minutes"], group_size=row["group_size"],
        cost_note=row["cost_note"], licence=row["licence"], licence_url=rules.LICENCE_URLS[row["licence"]],
        author=_author(row), copied_from=row["copied_from"],
        copies=[_link(r) for r in lineage if r["rank"] == 1][:LINEAGE_SHOWN], copied_from_recipe=parent,
        runs=schemas.RecipeRuns(sessions=runs.sessions, communities=runs.communities,
                                attended_seats=runs.attended_seats,
                                rating=schemas.Rating(average=average, count=runs.rating.count)),
        created_at=as_datetime(row["created_at"]), updated_at=as_datetime(row["updated_at"]),
    )


async def list_recipes(q: str | None, category: str | None, *, limit: int, offset: int) -> schemas.RecipeList:
    """Recipes whose title, summary, category, materials or steps contain `q` (any case), of
    `category` (exact, any case), newest first: one statement."""
    q = (q or "").strip() or None
    category = (category or "").strip() or None
    for name, value in (("q", q), ("category", category)):
        if value is not None and (rules.has_nul(value) or len(value) > rules.SUMMARY_MAX):
            raise rules.invalid(name, f"at most {rules.SUMMARY_MAX} characters, no NUL")
    rows = await repository.recipe_page(q, category, limit, offset)
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset:  # past the end: the total still counts
        total = await repository.recipe_count(q, category)
    return schemas.RecipeList(items=[_link(r) for r in rows], total=total)


async def recipe_id_of_workshop(workshop_id: int) -> int | None:
    """The recipe published from this workshop, if any."""
    return await repository.recipe_id_of_workshop(workshop_id) if _valid_id(workshop_id) else None


async def recipe_states(runtime: Runtime, workshop_ids: list[int]) -> dict[int, tuple[bool, int | None]]:
    """For the host's pages: per workshop, whether it has run (its recipe may be published) and
    its recipe's id if published; one statement."""
    ids = sorted({i for i in workshop_ids if _valid_id(i)})
    if not ids:
        return {}
    rows = await repository.recipe_states(ids, runtime.clock.now())
    return {row["id"]: (bool(row["ran"]), row["recipe_id"]) for row in rows}


def _fields(data: schemas.RecipePublish) -> rules.RecipeFields:
    return rules.RecipeFields(
        materials=rules.clean_items(data.materials), steps=rules.clean_items(data.steps),
        duration_minutes=data.duration_minutes, licence=data.licence, group_size=data.group_size,
        cost_note=data.cost_note.strip(),
    )


async def publish_recipe(runtime: Runtime, user: CurrentUser, workshop_id: int,
                         data: schemas.RecipePublish) -> schemas.Recipe:
    """Publish (or publish again) the recipe of a workshop that ran, by its host. The recipe
    takes the workshop's title, summary and category as they are now, and names the recipe the
    workshop was copied from. Never ran → 409 `invalid-state`."""
    fields = _fields(data)
    rules.raise_problems(rules.check_recipe(fields))
    async with write_transaction():
        if _valid_id(workshop_id):
            await repository.lock_workshop(workshop_id)
        workshop = await service.visible_workshop(workshop_id, user)
        if user.id != workshop.host_id:
            raise Forbidden("Only the workshop's host may publish its recipe.")
        now = runtime.clock.now()
        if not await repository.has_run(workshop_id, now):
            raise InvalidState("The workshop has not run yet: publish its recipe after a session.")
        values: dict[str, Any] = {
            "title": workshop.title, "summary": workshop.summary, "category": workshop.category,
            "materials": json.dumps(list(fields.materials), ensure_ascii=False),
            "steps": json.dumps(list(fields.steps), ensure_ascii=False),
            "duration_minutes": fields.duration_minutes, "group_size": fields.group_size,
            "cost_note": fields.cost_note, "licence": fields.licence, "updated_at": now,
        }
        recipe_id = await repository.recipe_id_of_workshop(workshop_id)
        if recipe_id is None:
            recipe_id = await repository.insert_recipe({
                **values, "workshop": workshop_id, "author": user.id, "copied_from": workshop.recipe_id,
                "created_at": now,
            })
        else:
            await repository.update_recipe(recipe_id, values)
    return await recipe_detail(runtime, recipe_id)


def _copied_description(recipe: Any, language: str) -> str:
    """The copy's description (Markdown): the recipe's materials and steps, headed in the
    community's language."""
    gettext = translations(language_of(language)).gettext
    lines = [gettext("Materials"), ""] + [f"- {m}" for m in _items(recipe["materials"])]
    lines += ["", gettext("Steps"), ""] + [f"{i}. {s}" for i, s in enumerate(_items(recipe["steps"]), 1)]
    if recipe["cost_note"]:
        lines += ["", f"{gettext('Cost')}: {recipe['cost_note']}"]
    text_ = "\n".join(lines)
    return text_[:rules.DESCRIPTION_MAX]


async def copy_recipe(runtime: Runtime, user: CurrentUser, recipe_id: int,
                      data: schemas.RecipeCopy) -> schemas.Workshop:
    """A new draft workshop in `data.community` made from the recipe, the user its host, with
    `recipe_id` set. It has no venue yet: the host adds the place (and sessions) before
    submitting it to that community's moderation. Unknown recipe or community → 404; an
    unverified address → 403 `email-not-verified`; counts as a workshop created (quota)."""
    require_verified(user)
    recipe = await _row(recipe_id)
    community = await find_community_by_slug(data.community) if not rules.has_nul(data.community) else None
    if community is None:
        raise NotFound(f"No community {data.community!r}.")
    language = community.locale or "en"
    description = _copied_description(recipe, language)
    description_html = await text.rendered_description(description)  # before the write lock
    now = runtime.clock.now()
    async with write_transaction():
        await quotas.spend(PiccoloTx(), user_id=user.id, action=quotas.WORKSHOP_CREATED, now=now,
                           enabled=runtime.settings.rate_limits)
        workshop_id = await repository.insert_workshop({
            "title": recipe["title"], "summary": recipe["summary"], "category": recipe["category"],
            "description": description, "description_html": description_html, "tags": "[]",
            "language": language, "payment": Payment.free, "price_cents": 0,
            "capacity": recipe["group_size"] or COPY_CAPACITY, "community": community.id,
            "host": user.id, "status": WorkshopStatus.draft, "recipe_id": recipe["id"],
            "created_at": now, "updated_at": now,
        })
    return await service.workshop_detail(runtime, workshop_id, user)
