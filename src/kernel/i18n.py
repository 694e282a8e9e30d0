"""Gettext catalogues (Babel) and Jinja2 environments with the i18n extension.

Catalogues are package data of `kernel`: `src/kernel/locale/<lang>/LC_MESSAGES/messages.po`,
shared by the emails (notify) and the HTML pages (web). Only the `.po` files are committed and
shipped: they are compiled in memory the first time a language is needed, so a source checkout
and an installed wheel work alike, with no build step. Templates are found the same way, through
`importlib.resources` (jinja2's `PackageLoader`): `environment("web", ...)` loads
`src/web/templates/`, `environment("notify", ...)` `src/notify/templates/`.
English is the source language. Extract and update with `babel.cfg` at the project root:

    pybabel extract -F babel.cfg -o src/kernel/locale/messages.pot .
    pybabel update -i src/kernel/locale/messages.pot -d src/kernel/locale
"""
from __future__ import annotations

import functools
import io
import re
from importlib.resources import files
from importlib.resources.abc import Traversable

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR: Traversable = files("kernel") / "locale"
LANGUAGES = ("en", "fr")
DOMAIN = "messages"


def language_of(locale: str | None) -> str:
    """The supported language closest to a locale (`fr-CA` → `fr`, unknown → `en`)."""
    code = (locale or "en").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


@functools.lru_cache(maxsize=8)
def translations(language: str, locale_dir: Traversable = LOCALE_DIR) -> NullTranslations:
    po_path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.lru_cache(maxsize=32)
def environment(package: str, language: str, autoescape: bool) -> jinja2.Environment:
    """The one Jinja2 environment factory (pages and emails): the templates of `package`
    (its `templates/` directory, package data), in one language; `autoescape` for HTML, off
    for plain text."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=autoescape,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    return env


def page_language(accept_language: str | None) -> str:
    """The first of `LANGUAGES` the visitor prefers (RFC 9110 q-values, `fr-CA` counts for
    `fr`), else English."""
    best, best_q = "en", 0.0
    for item in (accept_language or "")[:500].split(","):
        tag, *params = item.split(";")
        language = tag.strip().split("-")[0].lower()
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = float(value) if re.fullmatch(r"\s*(0(\.\d{0,3})?|1(\.0{0,3})?)\s*", value) else 0.0
        if language in LANGUAGES and quality > best_q:
            best, best_q = language, quality
    return best
