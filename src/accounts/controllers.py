"""JSON API handlers of this package: auth, the current user (profile, export, erasure),
communities and their organizers."""
from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from accounts import privacy
from accounts import service
from accounts.auth import CurrentUser, is_organizer_of, token_from
from accounts.schemas import (
    Accepted, ChangePassword, Community, CommunityCreate, CommunityPage, CommunityUpdate, Credentials, Export,
    ForgotPassword, Login, Organizer, OrganizerCreate, Relay, RelayCreate, RelayList, ResetPassword, User, UserCreate, UserUpdate,
    VerifyEmail,
)
from accounts.csrf import cleared_cookies, session_cookies
from kernel.errors import Forbidden
from kernel.http import MAX_ID, ProblemResponses, RuntimeDep, client_address

UserDep = NamedDependency[CurrentUser]

_PROBLEMS = {
    400: "validation-error: malformed JSON, a wrong type, a missing or out-of-range field; "
         "invalid-token: a verification or reset link unknown, used or expired",
    401: "not-authenticated (or invalid-credentials at login and for a wrong current password)",
    403: "forbidden: not allowed for this user, or a cookie request without its CSRF token",
    404: "not-found",
    409: "a conflict (email-taken, invalid-state)",
    429: "rate-limited: too many attempts; see the Retry-After header",
}


problems = ProblemResponses(_PROBLEMS)


def client_ip(request: Request) -> str:
    """The client's address for the login and registration limits: the peer's, or what the
    trusted proxies (`ALVEOLE_TRUSTED_PROXIES`) say it is."""
    return client_address(request.client.host if request.client else None, request.headers,
                          request.app.state.runtime.settings.trusted_proxies)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create an account",
          description="Sends `verify_email` and nothing else: until its link is followed "
                      "(`POST /api/v1/auth/verify`), booking, joining a waitlist and creating a "
                      "workshop answer 403 `email-not-verified`. `locale` is `en` or `fr`; "
                      "`timezone` an IANA name.",
          responses=problems(400, 409, 429))
    async def register(self, data: JSONBody[UserCreate], request: Request,
                       runtime: RuntimeDep) -> User:
        return await service.register(runtime, data, client_ip(request))

    @post("/login", status_code=200, summary="Log in: a bearer token and the session cookie",
          description="Answers the same 401 `invalid-credentials` for an unknown email and a "
                      "wrong password. Also sets the `alveole_session` (HttpOnly) and "
                      "`alveole_csrf` cookies for the web pages.",
          responses=problems(400, 401, 429))
    async def login(self, data: JSONBody[Credentials], request: Request, runtime: RuntimeDep
                    ) -> Response[Login]:
        token, user = await service.login(runtime, data.email, data.password, client_ip(request))
        return Response(Login(token=token, user=user),
                        cookies=session_cookies(token, runtime.settings))

    @post("/logout", status_code=204, summary="Log out: revoke the token used, clear the cookies",
          responses=problems(401, 403))
    async def logout(self, request: Request, user: UserDep, runtime: RuntimeDep) -> Response[None]:
        await service.logout(token_from(request) or "")
        return Response(None, status_code=204, cookies=cleared_cookies(runtime.settings))


    @post("/logout-everywhere", status_code=204,
          summary="Log out everywhere: every token and session of the user ends, this one too",
          responses=problems(401, 403))
    async def logout_everywhere(self, user: UserDep, runtime: RuntimeDep) -> Response[None]:
        await service.logout_everywhere(user.id)
        return Response(None, status_code=204, cookies=cleared_cookies(runtime.settings))

    @post("/verify", status_code=200, summary="Verify the email address with a `verify_email` link's token",
          description="The token is the last part of the link `{base}/verify/{token}` (valid 48 h, "
                      "single use). Needs no login.",
          responses=problems(400))
    async def verify(self, data: JSONBody[VerifyEmail], runtime: RuntimeDep) -> User:
        user, _next = await service.verify_email(runtime, data.token)
        return user

    @post("/verify/resend", status_code=202, summary="Send the `verify_email` link again",
          description="At most 3 resends per account per 24 h (counted in the database), then "
                      "429 `rate-limited` with `Retry-After`. An address already verified gets "
                      "nothing.",
          responses=problems(401, 403, 429))
    async def resend(self, user: UserDep, runtime: RuntimeDep) -> Accepted:
        sent = await service.resend_verification(runtime, user)
        return Accepted(detail="A new link is on its way." if sent else "This address is already verified.")

    @post("/password/forgot", status_code=202, summary="Ask for a `password_reset` link",
          description="Answers the same whether or not an account uses the address. At most 3 "
                      "links per address per hour; past that nothing is sent (and the answer "
                      "stays the same). The link `{base}/reset/{token}` is valid 1 h, single use.",
          responses=problems(400))
    async def forgot(self, data: JSONBody[ForgotPassword], runtime: RuntimeDep) -> Accepted:
        await service.forgot_password(runtime, data.email)
        return Accepted(detail=FORGOT_ACCEPTED)

    @post("/password/reset", status_code=204, summary="Choose a new password with a `password_reset` link's token",
          description="Every token and session of the account ends and its address counts as "
                      "verified. A refused reset changes nothing.",
          responses=problems(400))
    async def reset(self, data: JSONBody[ResetPassword], runtime: RuntimeDep) -> Response[None]:
        await service.reset_password(runtime, data.token, data.password)
        return Response(None, status_code=204)


FORGOT_ACCEPTED = "If an account uses this address, a link to choose a new password is on its way."


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["me"]

    @get("/", summary="The current user", responses=problems(401))
    async def me(self, user: UserDep, runtime: RuntimeDep) -> User:
        return await service.get_me(runtime, user.id)

    @patch("/", summary="Update the current user's profile (partial)",
           responses=problems(400, 401, 403))
    async def update_me(self, data: JSONBody[UserUpdate], user: UserDep,
                        runtime: RuntimeDep) -> User:
        return await service.update_me(runtime, user.id, data)

    @post("/password", status_code=204, summary="Change the password (the current one is needed)",
          description="Wrong current password → 401 `invalid-credentials`. Every other token "
                      "and session of the user ends; the one used stays.",
          responses=problems(400, 401, 403, 429))
    async def change_password(self, data: JSONBody[ChangePassword], request: Request, user: UserDep,
                              runtime: RuntimeDep) -> Response[None]:
        await service.change_password(runtime, user, token_from(request) or "", data.current_password,
                                      data.new_password)
        return Response(None, status_code=204)

    @get("/export", summary="Export everything held about the current user",
         responses=problems(401))
    async def export(self, user: UserDep, runtime: RuntimeDep) -> Export:
        return await privacy.export_user_data(runtime, user.id)

    @delete("/", status_code=204, summary="Delete the account: personal data erased",
            description="Bookings are kept, anonymous, for attendance counts; feedback keeps "
                        "its rating but loses its comment; every session ends.",
            responses=problems(401, 403))
    async def delete_me(self, user: UserDep, runtime: RuntimeDep) -> Response[None]:
        await privacy.delete_account(runtime, user.id)
        return Response(None, status_code=204, cookies=cleared_cookies(runtime.settings))


class CommunityController(Controller):
    path = "/api/v1/communities"
    tags = ["communities"]

    @post("/", status_code=201, summary="Create a community (admin)",
          responses=problems(400, 401, 403, 409))
    async def create(self, data: JSONBody[CommunityCreate], admin: UserDep) -> Community:
        return await service.create_community(data)

    @get("/", summary="List communities", responses=problems(400))
    async def list_all(
        self,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
    ) -> CommunityPage:
        return await service.list_communities(limit, offset)

    @get("/{slug:str}", summary="One community", responses=problems(404))
    async def get_one(self, slug: FromPath[str]) -> Community:
        return await service.get_community(slug)

    @patch("/{slug:str}", summary="Change a community (admin)",
           description="Name, time zone, language, centre and moderation; the slug stays. Turning "
                       "moderation off publishes nothing by itself.",
           responses=problems(400, 401, 403, 404))
    async def change(self, slug: FromPath[str], data: JSONBody[CommunityUpdate], admin: UserDep) -> Community:
        return await service.update_community(slug, data)

    @post("/{slug:str}/organizers", status_code=201,
          summary="Name an organizer of the community (admin)",
          description="201 when newly named; naming the same person again answers 200 "
                      "and changes nothing.",
          responses={200: ResponseSpec(data_container=Organizer,
                                       description="Already an organizer"),
                     **problems(400, 401, 403, 404)})
    async def name_organizer(self, slug: FromPath[str], data: JSONBody[OrganizerCreate],
                             admin: UserDep) -> Response[Organizer]:
        organizer, created = await service.name_organizer(slug, data.email)
        return Response(organizer, status_code=201 if created else 200)


class RelayController(Controller):
    """A community's relays (its organizers and admins): people who may book for neighbours
    without an account."""

    path = "/api/v1/communities/{slug:str}/relays"
    tags = ["communities"]

    @post("/", status_code=201, summary="Name a relay of the community (organizer)",
          description="201 when newly named; naming the same person again answers 200 and changes "
                      "nothing. No account with this email → 404.",
          responses={200: ResponseSpec(data_container=Relay, description="Already a relay"),
                     **problems(400, 401, 403, 404)})
    async def name_relay(self, slug: FromPath[str], data: JSONBody[RelayCreate],
                         user: UserDep) -> Response[Relay]:
        await _organizer_of(user, slug)
        relay, created = await service.name_relay(slug, data.email)
        return Response(relay, status_code=201 if created else 200)

    @get("/", summary="The community's relays (organizer)", responses=problems(401, 403, 404))
    async def list_relays(self, slug: FromPath[str], user: UserDep) -> RelayList:
        community = await _organizer_of(user, slug)
        return await service.community_relays(community.id)

    @delete("/{user_id:int}", status_code=204, summary="Remove a relay (organizer)",
            description="The bookings they made stay.", responses=problems(401, 403, 404))
    async def remove_relay(self, slug: FromPath[str], user_id: FromPath[int], user: UserDep) -> None:
        community = await _organizer_of(user, slug)
        await service.remove_relay(community.id, user_id)


async def _organizer_of(user: CurrentUser, slug: str) -> Community:
    """The community, if the user organizes it (or is an admin); else 403 (404 if none)."""
    community = await service.get_community(slug)
    if not user.is_admin and not await is_organizer_of(user, community.id):
        raise Forbidden("Only the community's organizers may manage its relays.")
    return community


ROUTES: list = [AuthController, MeController, CommunityController, RelayController]
