"""Languages: French first, then English and Arabic (right to left).

The locale is the person's own choice (their account, or a cookie before login), else the best
match of Accept-Language among the three, else French.
"""

from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po
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


def _translations(language: str) -> Translations:
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


@cache
def browser_messages() -> frozenset[str] | None:
    """The msgids the browser's scripts use (those the template locates under ``static/js/``),
    singular ones for plurals; None without the template, when every message is sent."""
    try:
        with (TRANSLATIONS_DIR / "messages.pot").open("rb") as template:
            messages = read_po(template)
    except OSError:
        return None
    return frozenset(message.id if isinstance(message.id, str) else message.id[0] for message in messages
                     if message.id and any(path.startswith("static/js/") for path, _line in message.locations))


def _for_the_browser(msgid: str) -> bool:
    # The pages' own messages stay on the server: the catalog is precached on every device.
    wanted = browser_messages()
    return wanted is None or msgid in wanted


@cache
def catalog(language: str) -> dict[str, str]:
    """Every translated message of one language that the browser's scripts use, for the app
    (which works offline) and the pages' scripts."""
    messages = getattr(_translations(language), "_catalog", {})
    return {key: value for key, value in messages.items()
            if isinstance(key, str) and key and value and _for_the_browser(key)}


@cache
def plural_messages(language: str) -> dict[str, list[str]]:
    """The plural messages of one language: each singular msgid with its forms, in the catalog's
    order (the order of its Plural-Forms expression)."""
    forms: dict[str, dict[int, str]] = {}
    for key, value in getattr(_translations(language), "_catalog", {}).items():
        if isinstance(key, tuple) and key[0] and value and _for_the_browser(key[0]):
            forms.setdefault(key[0], {})[key[1]] = value
    return {msgid: [by_index[i] for i in sorted(by_index)] for msgid, by_index in forms.items()}


# Counts sampled to tie CLDR's plural categories (what the browser's Intl.PluralRules answers) to
# the catalog's form indexes (what its Plural-Forms expression answers): every integer category of
# the three languages appears below 1000 or at a million.
_PLURAL_SAMPLES = [*range(1000), 1_000_000, 2_000_000]


@cache
def plural_index(language: str) -> dict[str, int]:
    """For each CLDR plural category of the language, the index of its form in the catalog.
    Arabic in Babel's catalogs: zero 0, one 1, two 2, few 3, other 4 (100-102), many 5 (11-99)."""
    choose = _translations(language).plural
    locale = Locale.parse(language)
    index: dict[str, int] = {}
    for n in _PLURAL_SAMPLES:
        category, form = locale.plural_form(n), choose(n)
        if index.setdefault(category, form) != form:
            raise ValueError(f"{language}: the catalog's plural forms split the category {category!r}")
    return index


def in_french(message: str) -> str:
    """A message in French with no request: for the app shell, the same bytes for everybody, in
    French (like its manifest) until the app's scripts set the person's language."""
    return _translations(DEFAULT_LANGUAGE).gettext(message)


def bdi(text: object) -> Markup:
    """A name or other text a person chose, isolated inside a translated sentence, so that a
    right-to-left name in a left-to-right sentence (or the reverse) cannot reorder its words."""
    return Markup("<bdi>{}</bdi>").format(text)


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    Babel(app, locale_selector=select_locale)

    app.jinja_env.globals["bdi"] = bdi
    app.jinja_env.globals["in_french"] = in_french

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {"locale": str(get_locale()), "text_direction": text_direction(),
                "languages": LANGUAGES, "language_names": LANGUAGE_NAMES}
