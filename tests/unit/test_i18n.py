"""Catalogues: every string of the email templates has a French translation; languages resolve."""
from __future__ import annotations

from babel.messages.extract import extract_from_dir
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
