"""Catalogues: every string of the email templates has a French translation; languages resolve."""
from __future__ import annotations

import re

from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po

from importlib.resources import files
from kernel.i18n import LOCALE_DIR, environment, language_of, translations

METHODS = [("**.html", "jinja2"), ("**.txt", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"},
           "**.txt": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}}


def template_msgids() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(files("notify") / "templates" / "email"),
                                               METHODS, options_map=OPTIONS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_template_string_is_translated_in_french():
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    msgids = template_msgids()
    assert len(msgids) > 50
    missing = sorted(i for i in msgids if i not in translated or not translated[i].string
                     or translated[i].fuzzy)
    assert missing == []


def test_placeholders_survive_translation():
    import re

    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\((\w+)\)s", ids[0]))
        for text in strings:
            assert set(re.findall(r"%\((\w+)\)s", text)) == wanted, message.id


def test_french_catalogue_compiles_in_memory_and_translates():
    assert translations("fr").gettext("Seats:") == "Places\u00a0:"
    assert translations("fr").ngettext("%(num)s seat", "%(num)s seats", 2) == "%(num)s places"
    assert translations("en").gettext("Seats:") == "Seats:"


def test_environment_renders_in_the_language():
    env = environment("notify", "fr", True)
    assert env.from_string('{{ _("Hello %(name)s,", name="<Zoé>") }}').render() == \
        "Bonjour &lt;Zoé&gt;,"


def test_language_of_locales():
    assert [language_of(x) for x in ("fr", "fr-CA", "fr_BE", "en", "en-GB", "de", "", None)] == \
        ["fr", "fr", "fr", "en", "en", "en", "en", "en"]


# Masculine-only words for people, which the pages' French writes inclusively ("participant·e·s")
# or avoids ("le voisinage"); a word followed by "·" or by its feminine ("animateur ou animatrice") is fine.
MASCULINE_ONLY = re.compile(
    r"\b(participants?|organisateurs?|animateurs?|voisins|inscrits?|connecté|absent|nouveaux(?!\s+ateliers)|venus|"
    r"qu['’]ils)\b(?!·|\s+(?:ou|et)\s)", re.IGNORECASE)


def web_msgids() -> dict[str, str]:
    """Every msgid of the web pages (templates and `web/*.py`), with where it is used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _, _ in extract_from_dir(str(files("web") / "templates"), METHODS,
                                                           options_map=OPTIONS):
        found.setdefault(message if isinstance(message, str) else message[0], f"{filename}:{lineno}")
    for path in files("web").iterdir():
        if path.name.endswith(".py"):
            with path.open("rb") as source:
                for lineno, message, _, _ in extract("python", source, keywords={"N_": None, "_": None}):
                    found.setdefault(message if isinstance(message, str) else message[0], f"{path.name}:{lineno}")
    return found


def test_every_page_string_is_translated_in_french():
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    msgids = web_msgids()
    assert len(msgids) > 300
    missing = sorted(f"{where}: {msgid}" for msgid, where in msgids.items()
                     if msgid not in translated or not translated[msgid].string or translated[msgid].fuzzy)
    assert missing == []


def test_the_pages_french_speaks_of_people_inclusively():
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    msgids = web_msgids()
    masculine = []
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else message.id[0] if message.id else ""
        if msgid not in msgids:
            continue
        for text in (message.string if isinstance(message.string, tuple) else (message.string,)):
            if MASCULINE_ONLY.search(text or ""):
                masculine.append(f"{msgids[msgid]}: {text}")
    assert masculine == []


def test_the_french_catalogue_defines_each_msgid_once():
    """Babel keeps the last of two entries with one msgid, msgfmt refuses the file: helpers
    appending blocks in parallel once left a duplicate that only msgfmt saw."""
    text = (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    keys = re.findall(r'^((?:msgctxt "(?:[^"\\]|\\.)*"\n)?msgid (?:"(?:[^"\\]|\\.)*"\n)+)', text, flags=re.M)
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert duplicates == []
