"""Every HTML page of Alvéole, by audience: `public`, `account`, `participant`, `host`,
`organizer`, `admin` and `dev`, over the services the JSON API calls; `kit` holds what they
share (the one login guard, the Viewer, rendering, forms, formatting). Templates and the
stylesheet are this package's data (`web/templates/`, `web/static/`).

`ROUTES` is one Litestar router for all pages: its `user` dependency is the pages' login guard
(a visitor is sent to `/login?next=…`), where the API's `user` answers 401.
"""
from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from web import account, admin, dev, door, host, kit, organizer, participant, public, recipes

PAGES = [kit.stylesheet, *public.ROUTES, *account.ROUTES, *participant.ROUTES, *host.ROUTES,
         *organizer.ROUTES, *recipes.ROUTES, *door.ROUTES, *dev.ROUTES,
         # the admin pages' `user` is an admin: one guard instead of a check in each handler
         Router(path="/", route_handlers=admin.ROUTES, dependencies={"user": Provide(kit.signed_in_admin)})]

ROUTES = [Router(path="/", route_handlers=PAGES, dependencies={"user": Provide(kit.signed_in),
                                                               "maybe_user": Provide(kit.maybe_signed_in)})]
# every page handler says include_in_schema=False but the three API.md lists (slip, programme,
# short link), which the OpenAPI document describes as HTML pages
EXCEPTION_HANDLERS = {kit.LoginRequired: kit.login_redirect}

__all__ = ["EXCEPTION_HANDLERS", "ROUTES"]
