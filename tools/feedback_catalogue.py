"""The catalogue of the exercise checks' feedback: extract the English, keep the Chinese in step.

    python tools/feedback_catalogue.py update    # the code's sentences -> mlp_lib.pot -> zh .po
    python tools/feedback_catalogue.py compile   # zh .po -> .mo (what the checks read)
    python tools/feedback_catalogue.py --check   # exit 1 if any of the files is out of step

Every sentence a check prints is written as ``_("...")`` (or ``N_("...")`` for one defined at
import time) in mlp_lib/exercises/*.py (mlp_lib/exercises/language.py says how). ``update``
extracts them with Babel into the template mlp_lib/locale/mlp_lib.pot, then merges the template
into mlp_lib/locale/zh/LC_MESSAGES/mlp_lib.po: a new sentence arrives untranslated, a sentence
whose English changed keeps its old translation marked fuzzy (to be checked and the fuzzy flag
removed), a sentence no longer in the code is dropped. Translate in the .po, then ``compile``.

``--check`` (tests/test_feedback_language.py runs it) fails, naming what to do, if the template
differs from the code's sentences, if an entry of the .po is untranslated, fuzzy, or missing from
or extra to the template, if a translation's {placeholders} (names, conversions and formats)
differ from its English's, or if the .mo holds other translations than a fresh compile of the .po.
The template is written without line numbers, and only when its sentences change, so that moving
code around changes no file. Babel is in the dev extra; the checks themselves need only gettext.
"""

import argparse
import io
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "mlp_lib" / "exercises"
LOCALE = ROOT / "mlp_lib" / "locale"
DOMAIN = "mlp_lib"
LANGUAGES = ("zh",)  # the translations; English is the code itself
KEYWORDS = {"_": None, "N_": None}  # _("...") and N_("..."): the message is the first argument
WIDTH = 100
HEADER = {  # the catalogues' header: no Babel placeholders (ORGANIZATION, EMAIL@ADDRESS)
    "project": "handwritten-digits-from-scratch",
    "version": "0.1.0",
    "copyright_holder": "the handwritten-digits-from-scratch authors (MIT licence)",
    "msgid_bugs_address": "README.md (the project's issue tracker)",
    "last_translator": "the course authors",
    "fuzzy": False,
    "charset": "utf-8",
}
TEMPLATE_COMMENT = """\
# The sentences of the exercise checks (mlp_lib/exercises), to translate.
# Made by `python tools/feedback_catalogue.py update`: do not edit by hand."""
TRANSLATION_COMMENT = """\
# The exercise checks' feedback in {language}: translate each msgstr here, keeping every
# {{placeholder}} (with its :format) and the code as they are, then run
# `python tools/feedback_catalogue.py compile` and `--check`."""


class Paths:
    """Where the sources and the catalogue files are (another root for the tests' copies)."""

    def __init__(self, sources=SOURCES, locale=LOCALE):
        self.sources, self.locale = Path(sources), Path(locale)
        self.template = self.locale / f"{DOMAIN}.pot"

    def po(self, language):
        return self.locale / language / "LC_MESSAGES" / f"{DOMAIN}.po"

    def mo(self, language):
        return self.po(language).with_suffix(".mo")


def extract(paths):
    """The template: every message of the sources, in the order the files first use them."""
    template = Catalog(domain=DOMAIN, header_comment=TEMPLATE_COMMENT, **HEADER)
    for path in sorted(paths.sources.glob("*.py")):
        name = path.relative_to(paths.sources.parent.parent).as_posix()
        for lineno, message, comments, context in extract_from_file(
            "python", path, keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            template.add(
                message,
                locations=[(name, lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def messages(catalog):
    """{(context, msgid): sorted locations' file names} of a catalogue, without its header."""
    return {
        (message.context, message.id): sorted({location for location, _ in message.locations})
        for message in catalog
        if message.id
    }


def po_bytes(catalog):
    out = io.BytesIO()
    write_po(out, catalog, width=WIDTH, include_lineno=False, ignore_obsolete=True)
    return out.getvalue()


def mo_bytes(catalog):
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def read_catalogue(path, language=None):
    with open(path, "rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def update(paths):
    """Write the template (if its messages changed) and merge it into every language's .po."""
    template = extract(paths)
    if not paths.template.exists() or messages(read_catalogue(paths.template)) != messages(
        template
    ):
        paths.template.parent.mkdir(parents=True, exist_ok=True)
        paths.template.write_bytes(po_bytes(template))
        print(f"{paths.template}: written ({len(messages(template))} messages)")
    template = read_catalogue(paths.template)
    for language in LANGUAGES:
        po = paths.po(language)
        if po.exists():
            catalog = read_catalogue(po, language)
        else:
            comment = TRANSLATION_COMMENT.format(language=language)
            catalog = Catalog(locale=language, domain=DOMAIN, header_comment=comment, **HEADER)
        catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
        new = po_bytes(catalog)
        if not po.exists() or po.read_bytes() != new:
            po.parent.mkdir(parents=True, exist_ok=True)
            po.write_bytes(new)
            print(f"{po}: updated; {describe(problems_of_po(catalog, template))}")
    return 0


def compile_(paths):
    """Write every language's .mo from its .po (fuzzy and untranslated entries left out)."""
    for language in LANGUAGES:
        catalog = read_catalogue(paths.po(language), language)
        paths.mo(language).write_bytes(mo_bytes(catalog))
        print(f"{paths.mo(language)}: compiled")
    return 0


def placeholders(text):
    """The {fields} of a str.format text, with their conversions and formats, as a set.

    A set, not a count: a translation may name a value once more or once less than the English.
    """
    try:
        return {
            (field, conversion or "", spec or "")
            for _, field, spec, conversion in string.Formatter().parse(text)
            if field is not None
        }
    except ValueError:  # not a format string (a lone brace): compare the text's braces
        return {(char, "", "") for char in text if char in "{}"}


def problems_of_po(catalog, template):
    """Sentences on what is wrong with one language's .po against the template, or []."""
    problems = []
    wanted, have = messages(template), messages(catalog)
    for key in sorted(set(wanted) - set(have), key=str):
        problems.append(f"missing: {key[1]!r}")
    for key in sorted(set(have) - set(wanted), key=str):
        problems.append(f"not in the template: {key[1]!r}")
    for message in catalog:
        if not message.id:
            continue
        if not message.string:
            problems.append(f"untranslated: {message.id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy (check the translation, remove the flag): {message.id!r}")
        elif placeholders(message.string) != placeholders(message.id):
            problems.append(
                f"placeholders differ: {sorted(placeholders(message.id))} in {message.id!r}, "
                f"{sorted(placeholders(message.string))} in its translation"
            )
    return problems


def describe(problems):
    if not problems:
        return "every entry translated"
    return f"{len(problems)} to do (python tools/feedback_catalogue.py --check lists them)"


def translations_of_mo(data):
    """{(context, msgid): msgstr} of a compiled catalogue, without its header."""
    catalog = read_mo(io.BytesIO(data))
    return {(message.context, message.id): message.string for message in catalog if message.id}


def check(paths):
    """Every problem with the catalogue files, as sentences ([] when all is in step)."""
    problems = []
    template = extract(paths)
    if not paths.template.exists():
        return [f"{paths.template} is missing: run python tools/feedback_catalogue.py update"]
    if messages(read_catalogue(paths.template)) != messages(template):
        stored = messages(read_catalogue(paths.template))
        added = sorted(set(messages(template)) - set(stored), key=str)
        gone = sorted(set(stored) - set(messages(template)), key=str)
        problems.append(
            f"{paths.template} is out of date with the code ({len(added)} new or changed, "
            f"{len(gone)} gone, e.g. {(added or gone or [('', 'locations')])[0][1]!r}): "
            "run python tools/feedback_catalogue.py update"
        )
    for language in LANGUAGES:
        po, mo = paths.po(language), paths.mo(language)
        if not po.exists():
            problems.append(f"{po} is missing: run python tools/feedback_catalogue.py update")
            continue
        catalog = read_catalogue(po, language)
        problems += [f"{po}: {problem}" for problem in problems_of_po(catalog, template)]
        if not mo.exists():
            problems.append(f"{mo} is missing: run python tools/feedback_catalogue.py compile")
        elif translations_of_mo(mo.read_bytes()) != translations_of_mo(mo_bytes(catalog)):
            problems.append(
                f"{mo} differs from {po.name} compiled: run python tools/feedback_catalogue.py "
                "compile"
            )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python tools/feedback_catalogue.py",
        description="Extract, merge, compile and check the catalogue of the checks' feedback.",
    )
    parser.add_argument("command", nargs="?", choices=("update", "compile", "check"))
    parser.add_argument("--check", action="store_true", help="the same as the command check")
    parser.add_argument("--sources", type=Path, default=SOURCES, help=argparse.SUPPRESS)
    parser.add_argument("--locale", type=Path, default=LOCALE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    command = "check" if args.check else args.command
    if command is None:
        parser.error("say update, compile or --check")
    paths = Paths(args.sources, args.locale)
    if command == "update":
        return update(paths)
    if command == "compile":
        return compile_(paths)
    problems = check(paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{paths.locale}: the catalogue is in step with the code")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
