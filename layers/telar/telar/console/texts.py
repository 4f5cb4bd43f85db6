"""The console's words in es, th and en: ``templates/console_texts/<language>.json``, checked as the mails' are.

English is the message id (the templates write ``{{ _("Open work") }}``); each file must translate exactly the
texts of ``templates/console/`` with the same ``%(placeholders)s``, or this module refuses to load.
"""

from collections.abc import Callable
from typing import Any

from telar.rendering import TEMPLATES, _load_mail_texts, _message_ids

LANGUAGES = ("es", "th", "en")
CONSOLE_TEXTS: dict[str, dict[str, str]] = _load_mail_texts(TEMPLATES / "console_texts", _message_ids("console"))


def page_language(profile_locale: str | None, group_languages: list[str]) -> str:
    """Her profile's language if the console speaks it, else her (first) group's, else English."""
    for candidate in (profile_locale, *group_languages):
        if candidate:
            short = candidate.split("-", 1)[0].split("_", 1)[0].lower()
            if short in LANGUAGES:
                return short
    return "en"


def console_translator(language: str) -> Callable[..., str]:
    catalog = CONSOLE_TEXTS.get(language, {})

    def _(message: str, **values: Any) -> str:
        text = catalog.get(message, message)
        return text % values if values else text

    return _
