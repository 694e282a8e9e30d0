"""The names of the cookies that carry state (session, CSRF token, language, flash message,
chosen community),
chosen in one place. When the site is served over https (`ALVEOLE_BASE_URL`), each takes the
`__Host-` prefix: a browser then accepts it only `Secure`, with `Path=/`, without `Domain`, and
from this very host — so a sibling subdomain can neither plant nor shadow one. Every cookie is
read with one parser, `kernel.asgi.Cookies`."""
from __future__ import annotations

from kernel.settings import Settings

SESSION = "alveole_session"
CSRF = "alveole_csrf"
LANGUAGE = "alveole_lang"
FLASH = "alveole_flash"
COMMUNITY = "alveole_community"  # the community the visitor chose last (the home page's)
HOST_PREFIX = "__Host-"


def host_only(settings: Settings | None) -> bool:
    """Whether cookie names take the `__Host-` prefix: whenever the base URL is https."""
    return settings is not None and settings.base_url.lower().startswith("https://")


def cookie_name(name: str, settings: Settings | None) -> str:
    """The name `name` (one of the above) is set and read under with these settings."""
    return HOST_PREFIX + name if host_only(settings) else name
