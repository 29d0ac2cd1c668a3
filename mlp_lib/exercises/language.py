"""The language of the checks' feedback: English (the default) or Chinese, from a gettext catalogue.

Every sentence a check prints goes through ``_`` (a gettext look-up): in English it comes back
unchanged, in Chinese it is read from mlp_lib/locale/zh/LC_MESSAGES/mlp_lib.mo. A sentence with
values in it is written with named placeholders, ``_("W has shape {shape}").format(shape=...)``,
so that a translation can put them in another order; numbers keep their format inside the
placeholder (``{error:.1e}``), so both languages show the same numbers. A sentence defined at
import time (a table of classic mistakes) is marked with ``N_`` and translated with ``_`` where
it is shown, so that ``set_language`` after the import still applies to it.

The language is chosen by ``set_language("zh")`` (a Chinese notebook's first cell), or by the
environment variable ``MLP_LIB_LANGUAGE`` (``en`` or ``zh``), read when the package is imported.
The catalogue is made and checked by tools/feedback_catalogue.py.
"""

import gettext
import os
from pathlib import Path

LANGUAGES = ("en", "zh")  # English, the language the checks are written in, comes first
DOMAIN = "mlp_lib"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENVIRONMENT_VARIABLE = "MLP_LIB_LANGUAGE"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(language):
    """Print the checks' feedback in ``language``: ``"en"`` (English) or ``"zh"`` (Chinese)."""
    global _translations, _language
    if language not in LANGUAGES:
        raise ValueError(
            f"set_language({language!r}): the checks speak {_allowed()}; "
            f"use set_language('zh') for Chinese or set_language('en') for English"
        )
    if language == "en":
        _translations = gettext.NullTranslations()
    else:
        try:
            _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
        except FileNotFoundError:
            raise FileNotFoundError(
                f"the checks' {language} catalogue, {LOCALE_DIR / language / 'LC_MESSAGES'}"
                f"/{DOMAIN}.mo, is missing: reinstall mlp_lib (it ships with the package), or "
                "run python tools/feedback_catalogue.py compile in a clone"
            ) from None
    _language = language


def get_language():
    """The language the checks answer in now: ``"en"`` or ``"zh"``."""
    return _language


def _allowed():
    return " or ".join(repr(language) for language in LANGUAGES)


def _(message):
    """``message`` in the current language (unchanged in English)."""
    return _translations.gettext(message)


def N_(message):
    """Mark ``message`` for the catalogue without translating it yet; ``_`` translates it later."""
    return message


def language_from_environment(environ=os.environ):
    """Apply ``MLP_LIB_LANGUAGE`` if it is set (an empty value means the default, English)."""
    language = environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not language:
        return
    if language not in LANGUAGES:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE}={language!r} is not a language of the checks: "
            f"set it to {_allowed()}, or leave it unset for English"
        )
    set_language(language)


language_from_environment()
