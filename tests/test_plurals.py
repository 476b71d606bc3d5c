"""Counts in the catalog's plural forms: on the server (flask_babel's ngettext) and in the data the
app reads (/i18n/<lang>.json), for French, English and Arabic (six forms)."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale, ngettext

from tests.helpers import Person, logged_in

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (0, 1, 2, 3, 11, 100)

# CLDR's categories for the counts above, as the browser's Intl.PluralRules answers them.
CATEGORIES = {
    "fr": ["one", "one", "other", "other", "other", "other"],
    "en": ["other", "one", "other", "other", "other", "other"],
    "ar": ["zero", "one", "two", "few", "many", "other"],
}

# Babel's Arabic Plural-Forms orders its forms zero, one, two, few, then 4 for n % 100 in 0..2
# (100, 101, 102: CLDR's "other") and 5 for the rest (11..99: CLDR's "many").
INDEXES = {
    "fr": {"one": 0, "many": 1, "other": 1},
    "en": {"one": 0, "other": 1},
    "ar": {"zero": 0, "one": 1, "two": 2, "few": 3, "other": 4, "many": 5},
}

OPEN_SESSIONS = {
    "fr": ["0 session ouverte", "1 session ouverte", "2 sessions ouvertes", "3 sessions ouvertes",
           "11 sessions ouvertes", "100 sessions ouvertes"],
    "en": ["0 open sessions", "1 open session", "2 open sessions", "3 open sessions", "11 open sessions",
           "100 open sessions"],
    "ar": ["لا جلسات مفتوحة", "جلسة مفتوحة واحدة", "جلستان مفتوحتان", "3 جلسات مفتوحة", "11 جلسةً مفتوحة",
           "100 جلسة مفتوحة"],
}

VERSIONS = {
    "fr": ["%(count)s version", "%(count)s version", "%(count)s versions", "%(count)s versions",
           "%(count)s versions", "%(count)s versions"],
    "en": ["%(count)s versions", "%(count)s version", "%(count)s versions", "%(count)s versions",
           "%(count)s versions", "%(count)s versions"],
    "ar": ["لا نسخ", "نسخة واحدة", "نسختان", "%(count)s نسخ", "%(count)s نسخةً", "%(count)s نسخة"],
}


def catalog(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_server_templates_count_in_the_language_s_plural_forms(app: Flask, language: str) -> None:
    with app.test_request_context(), force_locale(language):
        written = [render_template_string('{{ ngettext("%(num)d open session", "%(num)d open sessions", n) }}', n=n)
                   for n in COUNTS]
        assert written == OPEN_SESSIONS[language]
        assert ngettext("%(num)d open session", "%(num)d open sessions", 101) == OPEN_SESSIONS[language][5].replace("100", "101")


def test_an_admin_page_says_one_session_in_the_singular(app: Flask, people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    logged_in(app, people["volunteer"])
    page = admin.client.get(f"/admin/people/{people['volunteer'].id}", headers={"Accept-Language": "fr"})
    assert "1 session ouverte" in page.get_data(as_text=True)


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_the_app_s_catalog_carries_plural_forms_and_their_categories(client: FlaskClient, language: str) -> None:
    data = client.get(f"/i18n/{language}.json").get_json()
    assert data["plural_index"] == INDEXES[language]
    forms = data["plurals"]["%(count)s version"]
    chosen = [forms[data["plural_index"][category]] for category in CATEGORIES[language]]
    assert chosen == VERSIONS[language]
    # Plural messages are not among the singular ones, where the app's _() would find them.
    assert "%(count)s version" not in data["messages"]


def test_arabic_counts_from_100_to_102_are_other_and_from_11_to_99_many(client: FlaskClient) -> None:
    from babel import Locale
    from webapp.i18n import plural_index
    arabic = Locale.parse("ar")
    index = plural_index("ar")
    assert {index[arabic.plural_form(n)] for n in (100, 101, 102, 200, 1000)} == {4}
    assert {index[arabic.plural_form(n)] for n in range(11, 100)} == {5}
    assert {index[arabic.plural_form(n)] for n in range(3, 11)} == {3}


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_every_plural_message_has_all_its_forms(language: str) -> None:
    found = catalog(language)
    plural = [m for m in found if m.id and isinstance(m.id, tuple)]
    assert len(plural) >= 20
    incomplete = [m.id[0] for m in plural if len(m.string) != found.num_plurals or not all(m.string)]
    assert incomplete == []
    if language == "ar":
        # Six real forms: the counted messages do not all repeat one form.
        assert all(len(set(m.string)) >= 4 for m in plural)


def test_babel_extracts_both_msgids_of_the_app_s_ngettext(tmp_path: Path) -> None:
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True)
    with open(pot, "rb") as fresh:
        ids = {m.id for m in read_po(fresh) if m.id}
    assert ("%(count)s minute", "%(count)s minutes") in ids
    assert ("%(count)s interview waits to be sent.", "%(count)s interviews wait to be sent.") in ids
    assert ("%(num)d open session", "%(num)d open sessions") in ids
