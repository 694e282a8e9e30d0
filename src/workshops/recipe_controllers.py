"""JSON API of recipes (issue 24): publish a workshop's recipe, list and read recipes, copy one
into a draft workshop. Thin: decode, call one `workshops.recipes` function, encode."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from accounts.auth import CurrentUser
from kernel.http import MAX_ID, ProblemResponses, RuntimeDep
from workshops import recipes, rules, schemas

UserDep = NamedDependency[CurrentUser]

TAGS = ["recipes"]
problems = ProblemResponses({
    400: "validation-error: a field or parameter is invalid (named in `errors`)",
    401: "not-authenticated",
    403: "forbidden (not the workshop's host), or email-not-verified (copying needs a verified address)",
    404: "not-found: no such recipe, workshop or community (or a workshop you may not see)",
    409: "invalid-state: the workshop has not run yet (no ended session that was not cancelled)",
    429: "rate-limited: too many workshops created; see the Retry-After header",
})
LICENCES = ", ".join(rules.LICENCES)


@put("/api/v1/workshops/{workshop_id:int}/recipe", tags=TAGS, status_code=200,
     summary="Publish the recipe of a workshop that ran (host)",
     description=f"Materials, steps (at least one), duration, group size, cost note and an open licence "
                 f"({LICENCES}). The recipe copies the workshop's title, summary and category as they are "
                 "now and keeps them: editing the workshop later changes the recipe only when it is "
                 "published again (PUT again). A workshop copied from a recipe names it in `copied_from`. "
                 "The workshop must have run: a session of it, not cancelled, has ended (else 409).",
     responses=problems(400, 401, 403, 404, 409))
async def publish_recipe(workshop_id: FromPath[int], data: JSONBody[schemas.RecipePublish],
                         runtime: RuntimeDep, user: UserDep) -> schemas.Recipe:
    return await recipes.publish_recipe(runtime, user, workshop_id, data)


@get("/api/v1/recipes", tags=TAGS, summary="List recipes",
     description="Newest first. `q` finds text in the title, summary, category, materials or steps "
                 "(any case); `category` is exact (any case).",
     responses=problems(400))
async def list_recipes(
    q: Annotated[str | None, QueryParameter(description="Text to find", max_length=rules.SUMMARY_MAX)] = None,
    category: Annotated[str | None, QueryParameter(description="Exact category, any case",
                                                   max_length=rules.CATEGORY_MAX)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
) -> schemas.RecipeList:
    return await recipes.list_recipes(q, category, limit=limit, offset=offset)


@get("/api/v1/recipes/{recipe_id:int}", tags=TAGS, summary="A recipe with its lineage and record",
     description="`runs` counts, across every workshop of the recipe's lineage (the workshop it was "
                 "published from, the workshops copied from it or from its copies, and so on): sessions "
                 "held (ended, not cancelled), distinct communities, seats marked attended and the ratings "
                 "(average null below 3 ratings). `copied_from_recipe` and `copies` are the lineage.",
     responses=problems(404))
async def get_recipe(recipe_id: FromPath[int], runtime: RuntimeDep) -> schemas.Recipe:
    return await recipes.recipe_detail(runtime, recipe_id)


@post("/api/v1/recipes/{recipe_id:int}/copy", tags=TAGS, status_code=201,
      summary="Run a recipe in a community: a new draft workshop (verified user)",
      description="The caller becomes the host of a draft in `community` with the recipe's title, "
                  "summary, category, materials and steps (as its description) and `recipe_id` set. It "
                  "has no venue yet: add one (PATCH) and sessions, then submit it to the community's "
                  "moderation. Counts as a workshop created (quota).",
      responses=problems(400, 401, 403, 404, 429))
async def copy_recipe(recipe_id: FromPath[int], data: JSONBody[schemas.RecipeCopy],
                      runtime: RuntimeDep, user: UserDep) -> schemas.Workshop:
    return await recipes.copy_recipe(runtime, user, recipe_id, data)


ROUTES: list[Any] = [publish_recipe, list_recipes, get_recipe, copy_recipe]
