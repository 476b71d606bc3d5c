"""French first, English and Arabic: complete catalogs, locale choice, right-to-left pages."""

import html
import importlib.util
import re
import subprocess
import sys
from gettext import c2py
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Api, Person, logged_in

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en", "ar")


def catalog(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    # A plural message needs every one of its forms (a tuple of empty strings is not empty).
    untranslated = [m.id for m in catalog(language)
                    if m.id and ((not all(m.string) if isinstance(m.string, tuple) else not m.string) or m.fuzzy)]
    assert untranslated == []


def test_the_english_catalog_says_what_the_source_says() -> None:
    # The sources are English: a message translated into another one is a sentence pasted over.
    different = [m.id for m in catalog("en")
                 if m.id and (tuple(m.string) != tuple(m.id) if isinstance(m.id, tuple) else m.string != m.id)]
    assert different == []


# Translations that several messages share on purpose: one word serves two English ones.
SHARED_ON_PURPOSE = {
    "fr": {"Inscription", "Audit", "Échéance", "Administration", "Révoquer la certification"},
    "ar": {"إضافة عضو", "تسجيل الدخول", "تسجيل", "الحالة", "إلغاء المصادقة"},
}


@pytest.mark.parametrize("language", ("fr", "ar"))
def test_no_translation_serves_two_messages_unless_meant_to(language: str) -> None:
    # Two messages sharing one translation means one of them says something else ("Synced cases
    # stay on this device." once read "Sync failed...").
    by_translation: dict[str, set[str]] = {}
    for m in catalog(language):
        if m.id and isinstance(m.id, str):
            by_translation.setdefault(m.string, set()).add(m.id)
    shared = {text: ids for text, ids in by_translation.items() if len(ids) > 1}
    assert set(shared) - SHARED_ON_PURPOSE[language] == set(), shared


def review_record():
    spec = importlib.util.spec_from_file_location("review", ROOT / "translations" / "review.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("language", ("fr", "ar"))
def test_every_translation_was_reviewed_as_it_reads_now(language: str) -> None:
    # translations/reviewed-LANG.tsv holds a hash of each message and its translation as a person
    # read them; a new message, or one whose source or translation changed since, is unreviewed.
    unreviewed = [f"{reason}: {entry.msgid}" for entry, reason in review_record().unreviewed(language)]
    assert not unreviewed, (f"{len(unreviewed)} unreviewed, read them against their source "
                            f"(scripts/translations.sh review {language}):\n" + "\n".join(unreviewed))


def test_a_changed_translation_is_unreviewed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    review = review_record()
    po = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "Save"\nmsgstr "Enregistrer"\n\nmsgid "Tab\\there"\nmsgstr "Tab\\tici"\n', encoding="utf-8")
    monkeypatch.setattr(review, "HERE", tmp_path)
    assert [(e.msgid, reason) for e, reason in review.unreviewed("fr")] == [("Save", "new"), ("Tab\there", "new")]
    review.record("fr", ["all"])
    assert review.unreviewed("fr") == []
    po.write_text(po.read_text(encoding="utf-8").replace("Enregistrer", "Sauver"), encoding="utf-8")
    assert [(e.msgid, reason) for e, reason in review.unreviewed("fr")] == [("Save", "changed")]


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")
COUNT_PLACEHOLDERS = {"%(count)s", "%(num)d"}


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%"}


def stray_percent(text: str) -> bool:
    return "%" in PLACEHOLDER.sub("", text)


def forms_of_one_count(language: str) -> set[int]:
    # A plural form that a single count picks (Arabic's zero, one and two) may write the count in
    # words: "يومان" is "2 days".
    pick = c2py(catalog(language).plural_expr)
    picked: dict[int, set[int]] = {}
    for n in (*range(1000), 1_000_000):
        picked.setdefault(pick(n), set()).add(n)
    return {form for form, counts in picked.items() if len(counts) == 1}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_source(language: str) -> None:
    # A placeholder missing is a value never shown; one added or misspelt breaks the page.
    one_count = forms_of_one_count(language)
    wrong = []
    for m in catalog(language):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        wanted = placeholders(ids[0]) | placeholders(ids[-1])
        for index, form in enumerate(m.string if isinstance(m.string, tuple) else (m.string,)):
            may_drop = COUNT_PLACEHOLDERS if isinstance(m.id, tuple) and index in one_count else set()
            have = placeholders(form)
            if have - wanted or wanted - have - may_drop or stray_percent(form):
                wrong.append((ids[0], index, form))
    assert not wrong, "\n".join(map(repr, wrong))


def test_catalogs_hold_every_string_of_the_sources(tmp_path: Path) -> None:
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "in_french", "-o", str(pot), "."], cwd=ROOT, check=True)
    with open(pot, "rb") as fresh:
        wanted = {m.id for m in read_po(fresh) if m.id}
    for language in LANGUAGES:
        have = {m.id for m in catalog(language) if m.id}
        assert wanted - have == set(), f"missing from {language}: run scripts/translations.sh update"


def page(client: FlaskClient, path: str, language: str) -> str:
    return client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)


def test_french_is_the_default(client: FlaskClient) -> None:
    assert '<html lang="fr" dir="ltr">' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("language,direction", [("fr", "ltr"), ("en", "ltr"), ("ar", "rtl")])
def test_accept_language_picks_the_page_language(client: FlaskClient, language: str, direction: str) -> None:
    assert f'<html lang="{language}" dir="{direction}">' in page(client, "/login", language)


def test_the_choice_of_the_person_beats_accept_language(api: Api) -> None:
    response = api.client.post("/language", data={"language": "ar", "next": "/login", "csrf_token": api.token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert 'dir="rtl"' in page(api.client, "/login", "en")


def test_language_choice_does_not_redirect_off_site(api: Api) -> None:
    response = api.client.post("/language", data={"language": "en", "next": "//evil.example/", "csrf_token": api.token})
    assert response.headers["Location"] == "/"


def test_a_logged_in_person_keeps_their_language(app: Flask, people: dict[str, Person]) -> None:
    volunteer = logged_in(app, people["volunteer"])
    volunteer.client.post("/language", data={"language": "en", "next": "/home", "csrf_token": volunteer.token})
    fresh = logged_in(app, people["volunteer"])
    assert '<html lang="en"' in page(fresh.client, "/home", "fr")


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_pages_show_no_untranslated_english(app: Flask, people: dict[str, Person], language: str) -> None:
    admin = logged_in(app, people["admin"])
    english = {m.id for m in catalog(language) if m.id and isinstance(m.id, str) and m.string != m.id
               and len(m.id) > 4 and "%" not in m.id}
    for path in ("/login", "/enrol", "/home", "/admin/", "/admin/invite", f"/admin/people/{people['volunteer'].id}"):
        text = html.unescape(page(admin.client, path, language))
        leaked = [msgid for msgid in english if f">{msgid}<" in text]
        assert leaked == [], (path, leaked)


def test_catalog_json_for_the_offline_app(client: FlaskClient) -> None:
    arabic = client.get("/i18n/ar.json").get_json()
    assert arabic["direction"] == "rtl"
    assert arabic["messages"]["Unlock"] == "فتح القفل"
    french = client.get("/i18n/fr.json").get_json()
    assert french["direction"] == "ltr" and french["messages"]["Unlock"] == "Déverrouiller"
    assert client.get("/i18n/de.json").status_code == 404
    # Only what the browser's scripts say: a page's own message ("Log in", login.html) stays on
    # the server, since every device precaches its catalog.
    assert "Log in" not in french["messages"] and "Log in" not in arabic["messages"]
