"""What a first visit needs on every page: a language, a description for search engines, a
favicon that answers, and no inline script or style (the policy has no 'unsafe-inline')."""

import re

import pytest
from babel.support import Translations
from flask.testing import FlaskClient

from webapp import i18n

DESCRIPTION = re.compile(r'<meta name="description" content="([^"]+)">')
DESCRIPTION_MSGID = ("Interview notes for volunteers of migrants’ rights associations, encrypted on the phone that "
                     "takes them and usable without a network.")


def translated(language: str) -> str:
    """The description as the server's catalog of this language has it (the browser's catalog
    carries only the app's own messages)."""
    return Translations.load(str(i18n.TRANSLATIONS_DIR), [language]).gettext(DESCRIPTION_MSGID)


@pytest.fixture
def backend() -> str:
    return "sqlcipher"


@pytest.mark.parametrize(("language", "path"), [("fr", "/"), ("en", "/login"), ("ar", "/enrol"), ("fr", "/nowhere")])
def test_every_server_page_has_its_language_and_a_translated_description(client: FlaskClient, language: str,
                                                                          path: str) -> None:
    client.set_cookie(i18n.LANGUAGE_COOKIE, language)
    html = client.get(path).get_data(as_text=True)
    assert f'<html lang="{language}"' in html
    found = DESCRIPTION.search(html)
    assert found and found.group(1) == translated(language)
    assert 'rel="icon"' in html and "<style" not in html and " style=" not in html


def test_the_shell_is_described_in_french_like_its_manifest(client: FlaskClient) -> None:
    html = client.get("/app", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    found = DESCRIPTION.search(html)
    assert '<html lang="fr"' in html and found
    assert found.group(1) == translated("fr") != DESCRIPTION_MSGID
