"""Languages: French first, then English and Arabic (right to left).

The locale is the person's own choice (their account, or a cookie before login), else the best
match of Accept-Language among the three, else French.
"""

from functools import cache
from pathlib import Path

from babel.support import Translations
from flask import Flask, g, request
from flask_babel import Babel, get_locale
from markupsafe import Markup

LANGUAGES = ("fr", "en", "ar")
DEFAULT_LANGUAGE = "fr"
RTL_LANGUAGES = frozenset({"ar"})
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}
LANGUAGE_COOKIE = "carnet_lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    user = g.get("user")
    if user and user.get("locale") in LANGUAGES:
        return user["locale"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def text_direction() -> str:
    return "rtl" if str(get_locale()) in RTL_LANGUAGES else "ltr"


@cache
def catalog(language: str) -> dict[str, str]:
    """Every translated message of one language, for the browser app (which works offline)."""
    translations = Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")
    messages = getattr(translations, "_catalog", {})
    return {key: value for key, value in messages.items() if isinstance(key, str) and key and value}


def bdi(text: object) -> Markup:
    """A name or other text a person chose, isolated inside a translated sentence, so that a
    right-to-left name in a left-to-right sentence (or the reverse) cannot reorder its words."""
    return Markup("<bdi>{}</bdi>").format(text)


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    Babel(app, locale_selector=select_locale)

    app.jinja_env.globals["bdi"] = bdi

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {"locale": str(get_locale()), "text_direction": text_direction(),
                "languages": LANGUAGES, "language_names": LANGUAGE_NAMES}
