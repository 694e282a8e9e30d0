"""The admin's pages: communities (`GET|POST /admin/communities`: the list, and a new one with
every field of the API's create body) and one community (`GET|POST /admin/communities/{id}`:
rename it, name organizers by email as `POST /api/v1/communities/{slug}/organizers` does, and
remove them).

Thin handlers over `accounts.service`. Admins only: a visitor is sent to log in, anyone else
gets the 403 page. A refused form is shown again with what was typed, an error summary and a
message next to each field.
"""
from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from accounts import schemas as accounts_schemas
from accounts import service as accounts_service
from accounts.errors import CommunityExists
from kernel.errors import NotFound, ValidationFailed
from kernel.http import RuntimeDep, is_id
from kernel.i18n import LANGUAGES
from web.kit import (
    N_,
    UserDep,
    Viewer,
    form_of,
    page_viewer,
    render,
    see_other,
)

COMMUNITY_FIELDS = ("slug", "name", "timezone", "locale", "lat", "lon", "moderation")
SHOWN = 200
COMMUNITY_MESSAGES = {
    "slug": N_("Enter a short name for addresses: 2 to 63 lower-case letters, digits or dashes, like belleville."),
    "name": N_("Enter the community's name (at most 200 characters)."),
    "timezone": N_("Enter a time zone such as Europe/Paris."),
    "locale": N_("Choose English or French."),
    "lat": N_("Enter a latitude from -90 to 90, or leave it empty."),
    "lon": N_("Enter a longitude from -180 to 180, or leave it empty."),
    "moderation": N_("Choose whether workshops are reviewed."),
}
SLUG_TAKEN = N_("A community already uses this short name.")
ORGANIZER_EMAIL = N_("Enter the email address of someone with an account.")
NO_ACCOUNT = N_("No account uses this email address: ask them to sign up first.")
# what a field may hold while the others are checked (msgspec stops at the first problem)
_STAND_INS: dict[str, Any] = {"slug": "stand-in", "name": "Stand-in", "timezone": "UTC", "locale": "en",
                              "lat": None, "lon": None, "moderation": True}


def _coordinate(text: str) -> float | str | None:
    """A decimal (point or comma) as a float, None when empty, the text itself when not a number."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    return float(text) if re.fullmatch(r"-?\d{1,3}(\.\d{1,12})?", text) else text


def community_create(values: dict[str, Any]) -> tuple[accounts_schemas.CommunityCreate | None, dict[str, str]]:
    """The API's create body from the form, checked as the API decodes it, every field at once."""
    body: dict[str, Any] = {"slug": values["slug"], "name": values["name"], "timezone": values["timezone"],
                            "locale": values["locale"], "lat": _coordinate(values["lat"]),
                            "lon": _coordinate(values["lon"]), "moderation": values["moderation"]}
    errors: dict[str, str] = {}
    while True:
        try:
            data = msgspec.convert(body, accounts_schemas.CommunityCreate)
        except msgspec.ValidationError as exc:
            found = re.search(r"\$\.(\w+)", str(exc))
            name = found.group(1) if found and found.group(1) in _STAND_INS else "slug"
            if name in errors:
                return None, errors
            errors[name] = COMMUNITY_MESSAGES[name]
            body[name] = _STAND_INS[name]
        else:
            return (None if errors else data), errors


def _errors_of(exc: ValidationFailed, messages: dict[str, str]) -> dict[str, str]:
    errors = {item["field"]: messages[item["field"]] for item in exc.extra.get("errors", [])
              if item["field"] in messages}
    return errors or {next(iter(messages)): next(iter(messages.values()))}


async def _communities_page(runtime: Any, viewer: Viewer, values: dict[str, Any], errors: dict[str, str]) -> Response:
    communities = await accounts_service.list_communities(SHOWN, 0)
    return render(viewer, "admin/communities.html", status=400 if errors else 200,
                  communities=communities.items, more=communities.total > len(communities.items),
                  values=values, errors={name: errors[name] for name in COMMUNITY_FIELDS if name in errors},
                  languages=(("en", N_("English")), ("fr", N_("French"))))


@get("/admin/communities", include_in_schema=False)
async def communities(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    values = {name: "" for name in COMMUNITY_FIELDS} | {"timezone": "Europe/Paris", "locale": "fr",
                                                         "moderation": True}
    return await _communities_page(runtime, page_viewer(request, user), values, {})


@post("/admin/communities", include_in_schema=False, back_to="/admin/communities")
async def create_community(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """`accounts_service.create_community`, then that community's page (to name its organizers)."""
    form = await form_of(request)
    values: dict[str, Any] = {name: str(form.get(name) or "")[:300].strip() for name in COMMUNITY_FIELDS}
    values["moderation"] = form.get("moderation") == "on"
    if values["locale"] not in LANGUAGES:
        values["locale"] = ""
    data, errors = community_create(values)
    if data is not None:
        try:
            created = await accounts_service.create_community(data)
        except CommunityExists:
            errors = {"slug": SLUG_TAKEN}
        except ValidationFailed as exc:
            errors = _errors_of(exc, COMMUNITY_MESSAGES)
        else:
            return see_other(f"/admin/communities/{created.id}", runtime.settings,
                             flash=N_("The community is created. Name its organizers below."))
    return await _communities_page(runtime, page_viewer(request, user), values, errors)


def _community_id(text: str) -> int:
    number = int(text) if re.fullmatch(r"[1-9]\d{0,9}", text) else 0
    if not is_id(number):
        raise NotFound("No such community.")
    return number


def _community_values(community: accounts_schemas.Community) -> dict[str, Any]:
    """The change form's fields as the community has them now."""
    return {"name": community.name, "timezone": community.timezone, "locale": community.locale,
            "lat": "" if community.lat is None else str(community.lat),
            "lon": "" if community.lon is None else str(community.lon), "moderation": community.moderation}


async def _community_page(runtime: Any, viewer: Viewer, community: accounts_schemas.Community, *,
                          values: dict[str, Any] | None = None, email: str = "",
                          errors: dict[str, str] | None = None) -> Response:
    return render(viewer, "admin/community.html", status=400 if errors else 200,
                  community=community, organizers=await accounts_service.community_organizers(community.id),
                  values=values or _community_values(community), email=email, errors=errors or {},
                  languages=(("en", N_("English")), ("fr", N_("French"))))


@get("/admin/communities/{community_id:str}", include_in_schema=False)
async def community(community_id: FromPath[str], request: Request, runtime: RuntimeDep,
                    user: UserDep) -> Response:
    found = await accounts_service.find_community_by_id(_community_id(community_id))
    if found is None:
        raise NotFound("No such community.")
    return await _community_page(runtime, page_viewer(request, user), found)


@post("/admin/communities/{community_id:str}", include_in_schema=False, back_to="/admin/communities/{community_id}")
async def change_community(community_id: FromPath[str], request: Request, runtime: RuntimeDep,
                           user: UserDep) -> Response:
    """One of three forms (`action`): change (or rename), name an organizer by email, remove one."""
    here = f"/admin/communities/{community_id}"
    found = await accounts_service.find_community_by_id(_community_id(community_id))
    if found is None:
        raise NotFound("No such community.")
    form = await form_of(request)
    action = str(form.get("action") or "")
    viewer = page_viewer(request, user)
    if action in ("change", "rename"):  # rename: the name alone (a form of an earlier page)
        values = _community_values(found)
        names = ("name",) if action == "rename" else ("name", "timezone", "locale", "lat", "lon")
        values |= {name: str(form.get(name) or "")[:300].strip() for name in names}
        if action == "change":
            values["moderation"] = form.get("moderation") == "on"
            if values["locale"] not in LANGUAGES:
                values["locale"] = ""
        data, errors = community_create({**values, "slug": found.slug})
        if data is not None:
            try:
                await accounts_service.update_community(found.slug, accounts_schemas.CommunityUpdate(
                    name=data.name, timezone=data.timezone, locale=data.locale, lat=data.lat, lon=data.lon,
                    moderation=data.moderation))
            except ValidationFailed as exc:
                errors = _errors_of(exc, COMMUNITY_MESSAGES)
        if errors:
            return await _community_page(runtime, viewer, found, values=values, errors=errors)
        return see_other(here, runtime.settings, flash=N_("The community is renamed.") if action == "rename"
                         else N_("The community is changed."))
    if action == "add_organizer":
        email = str(form.get("email") or "")[:300].strip()
        try:
            _organizer, created = await accounts_service.name_organizer(found.slug, email)
        except ValidationFailed:
            return await _community_page(runtime, viewer, found, email=email, errors={"email": ORGANIZER_EMAIL})
        except NotFound:
            return await _community_page(runtime, viewer, found, email=email, errors={"email": NO_ACCOUNT})
        return see_other(here, runtime.settings, flash=N_("They are now an organizer of this community.")
                         if created else N_("They were already an organizer of this community."))
    if action == "remove_organizer":
        user_id = str(form.get("user_id") or "")
        try:
            await accounts_service.remove_organizer(found.id, int(user_id) if user_id.isdigit() else 0)
        except NotFound:
            return see_other(here, runtime.settings, flash=N_("This person was not an organizer of this community."))
        return see_other(here, runtime.settings, flash=N_("They no longer organize this community."))
    raise ValidationFailed("action: change, add_organizer or remove_organizer", errors=[
        {"field": "action", "message": "change, add_organizer or remove_organizer", "source": "body"}])


ROUTES = [communities, create_community, community, change_community]
