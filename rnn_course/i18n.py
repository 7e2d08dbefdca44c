"""The Korean edition: message catalogues and the Korean build, from the same sources and _config.yml.

Sphinx's own internationalisation, laid out as sphinx-intl lays it out:

    locales/ko/LC_MESSAGES/<page>.po    one catalogue per page (gettext_compact = false in _config.yml)

`python -m rnn_course i18n update` (`make locales`) extracts every English message of the book with
Sphinx's gettext builder into _build/gettext/<page>.pot, then updates the catalogues as `sphinx-intl
update` does: a new English sentence becomes a new empty message, a changed one keeps its old
translation marked fuzzy, a removed one is kept as obsolete (#~) in case it comes back. A translator
then fills or corrects the msgstr and removes the fuzzy flag.

`python -m rnn_course i18n build` (`make book`, after the English build) builds the Korean site into
_build/html/ko/: the same sources with language = ko, its own doctrees (_build/ko/.doctrees) and the
English build's jupyter-cache (_build/.jupyter_cache), so it executes no notebook.

Both go through Jupyter Book's own Sphinx entry point (jupyter_book.sphinx.build_sphinx) with the
configuration Jupyter Book generates from _config.yml and _toc.yml, as `jupyter-book build` does; the
only settings added here are the language and where things are written. There is no conf.py:
`python -m rnn_course i18n conf` prints the generated configuration (with the Korean additions) for
reading.

`python -m rnn_course i18n stats` prints, per catalogue, its messages, their English words, and how
many are translated, fuzzy and untranslated.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from .manifest import MANIFEST

ROOT = MANIFEST.parent
LANGUAGE = "ko"
LOCALES = ROOT / "locales"
CATALOGUES = LOCALES / LANGUAGE / "LC_MESSAGES"
BUILD = ROOT / "_build"
POT = BUILD / "gettext"              # the extracted templates, <page>.pot (and the gettext builder's doctrees)
KO_BUILD = BUILD / LANGUAGE           # the Korean build's own doctrees and jupyter_execute/
KO_HTML = BUILD / "html" / LANGUAGE   # where the Korean site is published, inside the English one
CACHE = BUILD / ".jupyter_cache"      # the English build's execution cache, shared
PROJECT = "rnn-course"                # the catalogues' Project-Id-Version (pyproject.toml's name)


def overrides(language: str | None = None) -> dict:
    """What this module adds to Jupyter Book's configuration: the toc as `jupyter-book build` passes it,
    and for a translated build its language and the English build's execution cache."""
    extra: dict = {"external_toc_path": (ROOT / "_toc.yml").as_posix(), "latex_individualpages": False}
    if language:
        # myst-nb looks for the cache beside the output folder by default (_build/ko/.jupyter_cache here):
        # point it at the English build's, so the Korean build finds every notebook executed
        extra.update(language=language, nb_execution_cache_path=str(CACHE))
    return extra


def generated_config(language: str | None = None) -> dict:
    """The Sphinx configuration Jupyter Book generates from _config.yml, with `overrides(language)`."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=ROOT / "_config.yml", cli_config=overrides(language),
                                 sourcedir=ROOT)
    return config


def sphinx(builder: str, outdir: Path, doctrees: Path, language: str | None = None, *,
           strict: bool = True, force: bool = False, project: str | None = None) -> int:
    """Run Sphinx through Jupyter Book's entry point, as `jupyter-book build -W --keep-going` would."""
    from jupyter_book.sphinx import build_sphinx

    # the catalogues' headers name the project (Jupyter Book sets no `project`: the pages show html_title)
    extra = {"project": project} if project else {}
    result = build_sphinx(ROOT, outdir, noconfig=True, path_config=ROOT / "_config.yml",
                          confoverrides={**overrides(language), **extra}, doctreedir=doctrees, builder=builder,
                          warningiserror=strict, keep_going=strict, force_all=force)
    if isinstance(result, BaseException):
        return 1
    return int(result or 0)


def extract() -> int:
    """Every English message of the book into _build/gettext/<page>.pot."""
    return sphinx("gettext", POT, POT / ".doctrees", project=PROJECT)


def update() -> int:
    """Extract, then update locales/ko/LC_MESSAGES/*.po as `sphinx-intl update -l ko` does."""
    from sphinx_intl.basic import update as intl_update

    code = extract()
    if code:
        return code
    intl_update(str(LOCALES), str(POT), (LANGUAGE,), jobs=1)
    templates = {p.relative_to(POT).with_suffix("") for p in POT.rglob("*.pot")}
    stale = [p for p in CATALOGUES.rglob("*.po") if p.relative_to(CATALOGUES).with_suffix("") not in templates]
    for path in stale:  # sphinx-intl keeps a catalogue whose page is gone: say so, never delete a translation
        print(f"{path.relative_to(ROOT)}: its page is no longer in the book (remove it if the page is gone for good)")
    return 0


def build() -> int:
    """The Korean site: the same sources with language = ko, into _build/html/ko/, executing nothing."""
    start = time.perf_counter()
    code = sphinx("html", KO_BUILD / "html", KO_BUILD / ".doctrees", LANGUAGE)
    if code:
        return code
    # built beside the English site (myst-nb writes its jupyter_execute/ next to the output folder, which
    # must not be _build/html/), then published inside it, whole, so a reader never sees half of it
    staging = KO_HTML.with_name(KO_HTML.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(KO_BUILD / "html", staging)
    old = KO_HTML.with_name(KO_HTML.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if KO_HTML.exists():
        KO_HTML.rename(old)
    staging.rename(KO_HTML)
    shutil.rmtree(old, ignore_errors=True)
    print(f"i18n: the Korean site is in {KO_HTML.relative_to(ROOT)} ({time.perf_counter() - start:.1f} s)")
    return 0


def catalogue_stats(path: Path) -> dict:
    """messages, English words in them, translated, fuzzy and untranslated, of one .po file."""
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        catalog = read_po(f)
    messages = [m for m in catalog if m.id]
    return {"messages": len(messages), "words": sum(len(str(m.id).split()) for m in messages),
            "translated": sum(1 for m in messages if m.string and not m.fuzzy),
            "fuzzy": sum(1 for m in messages if m.fuzzy),
            "untranslated": sum(1 for m in messages if not m.string)}


def stats() -> int:
    total = dict.fromkeys(("messages", "words", "translated", "fuzzy", "untranslated"), 0)
    print(f"{'catalogue':60} {'messages':>8} {'words':>6} {'done':>5} {'fuzzy':>5} {'todo':>5}")
    for path in sorted(CATALOGUES.rglob("*.po")):
        s = catalogue_stats(path)
        for key in total:
            total[key] += s[key]
        print(f"{path.relative_to(ROOT).as_posix():60} {s['messages']:8} {s['words']:6} {s['translated']:5} "
              f"{s['fuzzy']:5} {s['untranslated']:5}")
    print(f"{'total':60} {total['messages']:8} {total['words']:6} {total['translated']:5} "
          f"{total['fuzzy']:5} {total['untranslated']:5}")
    return 0


def conf() -> int:
    config = generated_config(LANGUAGE)
    print("# The Sphinx configuration of the Korean build, as Jupyter Book generates it from _config.yml")
    for key in sorted(config):
        print(f"{key} = {config[key]!r}")
    return 0


COMMANDS = {"extract": extract, "update": update, "build": build, "stats": stats, "conf": conf}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_course i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do (see python -m rnn_course i18n --help)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    return COMMANDS[args.command]()


if __name__ == "__main__":
    sys.exit(main())
