"""The recipe pages (issue 24): the listing with text and category search (`/recipes`), a
recipe's page and printable sheet (`/recipes/{id}`: materials, steps, licence, where it ran,
its lineage, and "Run it in my neighbourhood", which makes a draft in the chosen community and
lands on its edit page), and the host's "Publish the recipe" form (`/workshops/{id}/recipe`).

Thin handlers over `workshops.recipes`, the same functions as the JSON API.
"""
from __future__ import annotations

import math
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from accounts import service as accounts_service
from accounts.errors import EmailNotVerified
from kernel.errors import Forbidden, InvalidState, NotFound, RateLimited, ValidationFailed
from kernel.http import RuntimeDep
from web.kit import (
    N_,
    MaybeUserDep,
    UserDep,
    Viewer,
    average_text,
    form_of,
    in_order,
    page_number,
    page_viewer,
    path_id,
    query_string,
    render,
    see_other,
    text_of,
    whole_number,
)
from web.public import COMMUNITIES_SHOWN
from workshops import recipes
from workshops import rules as workshops_rules
from workshops import schemas as workshops_schemas
from workshops import service as workshops_service

PAGE_SIZE = 20
LICENCE_NAMES = {
    "CC-BY-SA-4.0": N_("Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)"),
    "CC-BY-4.0": N_("Creative Commons Attribution 4.0 (CC BY 4.0)"),
    "CC0-1.0": N_("Public domain dedication (CC0 1.0)"),
}
FIELDS = ("materials", "steps", "duration_minutes", "group_size", "cost_note", "licence")
MESSAGES = {
    "materials": N_("List at most 60 materials, one per line, each of at most 300 characters."),
    "steps": N_("Write at least one step, one per line: at most 60 steps of at most 2,000 characters."),
    "duration_minutes": N_("Enter how long it lasts, in minutes, from 1 to 1440."),
    "group_size": N_("Enter a group size from 1 to 1000, or leave it empty."),
    "cost_note": N_("Shorten the cost note to at most 300 characters."),
    "licence": N_("Choose one of the open licences."),
}
FILTER_MESSAGES = {"q": N_("Search for at most 200 characters."), "category": N_("Enter a shorter category.")}


def licence_name(licence: str) -> str:
    return LICENCE_NAMES.get(licence, licence)


# ------------------------------------------------------------------------------------ listing

@get("/recipes", include_in_schema=False)
async def recipes_page(request: Request, maybe_user: MaybeUserDep) -> Response:
    """Every recipe, newest first, with a text and a category filter."""
    viewer = page_viewer(request, maybe_user)
    q = str(request.query_params.get("q") or "").strip()
    category = str(request.query_params.get("category") or "").strip()
    errors = {}
    if len(q) > 200:
        errors["q"] = FILTER_MESSAGES["q"]
    if len(category) > workshops_rules.CATEGORY_MAX:
        errors["category"] = FILTER_MESSAGES["category"]
    page = page_number(request.query_params.get("page"))
    listing = workshops_schemas.RecipeList(items=[], total=0)
    if not errors:
        try:
            listing = await recipes.list_recipes(q, category, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        except ValidationFailed:
            errors["q"] = FILTER_MESSAGES["q"]
    pages = max(1, math.ceil(listing.total / PAGE_SIZE))
    filters = {"q": q, "category": category}
    return render(viewer, "recipes/list.html", status=400 if errors else 200, recipes=listing.items,
                  total=listing.total, filters=filters, errors=errors, page=page, pages=pages,
                  filtered=bool(q or category), former_member=recipes.FORMER_MEMBER,
                  previous=query_string(filters, page=page - 1 if page > 2 else None) if page > 1 else None,
                  next=query_string(filters, page=page + 1) if page < pages else None)


# ---------------------------------------------------------------------------- a recipe's page

async def _recipe_page(runtime: Any, viewer: Viewer, recipe_id: int, *, errors: dict[str, str] | None = None,
                       chosen: str = "") -> Response:
    recipe = await recipes.recipe_detail(runtime, recipe_id)
    communities = []
    if viewer.user is not None:
        communities = [(c.slug, c.name) for c in
                       (await accounts_service.list_communities(COMMUNITIES_SHOWN, 0)).items]
    runs = recipe.runs
    rating = (N_("Not rated yet"), {}) if runs.rating.average is None else (
        N_("Rated %(average)s out of 5 (%(count)s ratings)"),
        {"average": average_text(runs.rating.average, viewer.language), "count": runs.rating.count})
    return render(viewer, "recipes/recipe.html", status=400 if errors else 200, recipe=recipe,
                  licence=licence_name(recipe.licence), rating=rating, communities=communities,
                  errors=errors or {}, chosen=chosen, former_member=recipes.FORMER_MEMBER)


@get("/recipes/{recipe_id:str}", include_in_schema=False)
async def recipe_page(recipe_id: FromPath[str], request: Request, runtime: RuntimeDep,
                      maybe_user: MaybeUserDep) -> Response:
    """A recipe (also its printable sheet: the print stylesheet leaves the forms out)."""
    return await _recipe_page(runtime, page_viewer(request, maybe_user), path_id(recipe_id))


@post("/recipes/{recipe_id:str}/copy", include_in_schema=False, back_to="/recipes/{recipe_id}")
async def copy_recipe(recipe_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """"Run it in my neighbourhood": a draft in the chosen community, then its edit page."""
    number = path_id(recipe_id)
    back = f"/recipes/{number}"
    community = text_of(await form_of(request), "community", 64).strip()
    try:
        draft = await recipes.copy_recipe(runtime, user, number, workshops_schemas.RecipeCopy(community=community))
    except EmailNotVerified:
        return see_other(back, runtime.settings, flash=N_(
            "Confirm your email address first: follow the link we emailed you."))
    except RateLimited:
        return see_other(back, runtime.settings, flash=N_(
            "You have created many workshops today: try again tomorrow."))
    except NotFound:
        await recipes.recipe_detail(runtime, number)  # an unknown recipe stays a 404 page
        return await _recipe_page(runtime, page_viewer(request, user), number, chosen=community,
                                  errors={"community": N_("Choose the community to run it in.")})
    return see_other(f"/workshops/{draft.id}/edit", runtime.settings, flash=N_(
        "Your draft is ready: add its place, then its sessions, then submit it for review."))


# ------------------------------------------------------------------ the host's publish form

async def _hosted(runtime: Any, workshop_id: str, user: Any) -> workshops_schemas.Workshop:
    workshop = await workshops_service.workshop_detail(runtime, path_id(workshop_id), user)
    if workshop.host.id != user.id:
        raise Forbidden("Only the workshop's host may publish its recipe.")
    return workshop


def _form(viewer: Viewer, workshop: workshops_schemas.Workshop, values: dict[str, Any],
          errors: dict[str, str], published: int | None, *, ran: bool = True) -> Response:
    return render(viewer, "recipes/publish.html", status=400 if errors else (200 if ran else 409),
                  workshop=workshop, values=values, errors=in_order(errors, FIELDS), published=published,
                  licences=[(key, name) for key, name in LICENCE_NAMES.items()], ran=ran,
                  licence_urls=workshops_rules.LICENCE_URLS)


@get("/workshops/{workshop_id:str}/recipe", include_in_schema=False)
async def publish_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    workshop = await _hosted(runtime, workshop_id, user)
    ran, published = (await recipes.recipe_states(runtime, [workshop.id])).get(workshop.id, (False, None))
    values: dict[str, Any] = {"materials": "", "steps": "", "duration_minutes": "", "group_size": "",
                              "cost_note": "", "licence": "CC-BY-SA-4.0"}
    if published is not None:
        recipe = await recipes.recipe_detail(runtime, published)
        values = {"materials": "\n".join(recipe.materials), "steps": "\n".join(recipe.steps),
                  "duration_minutes": str(recipe.duration_minutes),
                  "group_size": "" if recipe.group_size is None else str(recipe.group_size),
                  "cost_note": recipe.cost_note, "licence": str(recipe.licence)}
    return _form(page_viewer(request, user), workshop, values, {}, published, ran=ran)


@post("/workshops/{workshop_id:str}/recipe", include_in_schema=False, back_to="/workshops/{workshop_id}/recipe")
async def publish(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    workshop = await _hosted(runtime, workshop_id, user)
    form = await form_of(request)
    values = {name: text_of(form, name, 200_000 if name in ("materials", "steps") else 1000) for name in FIELDS}
    errors: dict[str, str] = {}
    duration = whole_number(values["duration_minutes"])
    group_size = whole_number(values["group_size"]) if values["group_size"].strip() else None
    if duration is None:
        errors["duration_minutes"] = MESSAGES["duration_minutes"]
    if values["group_size"].strip() and group_size is None:
        errors["group_size"] = MESSAGES["group_size"]
    if not errors:
        body = workshops_schemas.RecipePublish(
            materials=values["materials"].splitlines(), steps=values["steps"].splitlines(),
            duration_minutes=duration, group_size=group_size, cost_note=values["cost_note"],
            licence=values["licence"])  # type: ignore[arg-type] - checked by the rules
        try:
            recipe = await recipes.publish_recipe(runtime, user, workshop.id, body)
        except ValidationFailed as exc:
            errors = {field: MESSAGES[field] for field in
                      (str(e["field"]).split("[")[0] for e in exc.extra.get("errors", [])) if field in MESSAGES}
            errors = errors or {"steps": MESSAGES["steps"]}
        except InvalidState:
            return _form(page_viewer(request, user), workshop, values, {}, None, ran=False)
        else:
            return see_other(f"/recipes/{recipe.id}", runtime.settings, flash=N_(
                "Your recipe is published: anyone can now run it in their neighbourhood."))
    return _form(page_viewer(request, user), workshop, values, errors, None)


ROUTES = [recipes_page, recipe_page, copy_recipe, publish_form, publish]
