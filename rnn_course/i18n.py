"""The Korean edition: message catalogues and the Korean build, from the same sources and _config.yml.

Sphinx's own internationalisation, laid out as sphinx-intl lays it out:

    locales/ko/LC_MESSAGES/<page>.po    one catalogue per page (gettext_compact = false in _config.yml)

`python -m rnn_course i18n update` (`make locales`) extracts every English message of the book with
Sphinx's gettext builder into _build/gettext/<page>.pot, and the prose of the student notebooks into
_build/gettext/exercises/<id>.pot (rnn_course/notebook_i18n.py), then updates the catalogues as `sphinx-intl
update` does: a new English sentence becomes a new empty message, a changed one keeps its old
translation marked fuzzy, a removed one is kept as obsolete (#~) in case it comes back. A translator
then fills or corrects the msgstr and removes the fuzzy flag.

`python -m rnn_course i18n build` (`make book` runs it beside the English build, once the notebooks are
in the execution cache) builds the Korean site into _build/html/ko/: the same sources with language =
ko, its own doctrees (_build/ko/.doctrees) and the English build's jupyter-cache
(_build/.jupyter_cache), so it executes no notebook. It is incremental like the English build.

Both go through Jupyter Book's own Sphinx entry point (jupyter_book.sphinx.build_sphinx) with the
configuration Jupyter Book generates from _config.yml and _toc.yml, as `jupyter-book build` does; the
only settings added here are the language and where things are written. There is no conf.py:
`python -m rnn_course i18n conf` prints the generated configuration (with the Korean additions) for
reading.

`python -m rnn_course i18n stats` prints, per catalogue, its messages, their English words, and how
many are translated, fuzzy and untranslated.

`--book DIR` works on another copy of the course (benchmarks/book_ko.py builds one in a temporary
folder); `build --fresh` reads every page again (a fresh Sphinx environment), for measuring.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .manifest import MANIFEST

ROOT = MANIFEST.parent
LANGUAGE = "ko"
KOREAN_TITLE = "순환 신경망: 셀에서 텍스트 생성까지"  # _config.yml's title, in Korean
PROJECT = "rnn-course"  # the catalogues' Project-Id-Version (pyproject.toml's name)


@dataclass(frozen=True)
class Book:
    """Where a copy of the course keeps its catalogues and its builds."""

    root: Path = ROOT

    @property
    def catalogues(self) -> Path:  # locales/ko/LC_MESSAGES/<page>.po
        return self.root / "locales" / LANGUAGE / "LC_MESSAGES"

    @property
    def pot(self) -> Path:  # the extracted templates, <page>.pot (and the gettext builder's doctrees)
        return self.root / "_build" / "gettext"

    @property
    def ko_build(self) -> Path:  # the Korean build's own doctrees, html and jupyter_execute/
        return self.root / "_build" / LANGUAGE

    @property
    def ko_html(self) -> Path:  # where the Korean site is published, inside the English one
        return self.root / "_build" / "html" / LANGUAGE

    @property
    def cache(self) -> Path:  # the English build's execution cache, shared
        return self.root / "_build" / ".jupyter_cache"


def overrides(book: Book, language: str | None = None) -> dict:
    """What this module adds to Jupyter Book's configuration: the toc as `jupyter-book build` passes it,
    and for a translated build its language and the English build's execution cache."""
    extra: dict = {"external_toc_path": (book.root / "_toc.yml").as_posix(), "latex_individualpages": False}
    if language:
        # myst-nb looks for the cache beside the output folder by default (_build/ko/.jupyter_cache here):
        # point it at the English build's, so the Korean build finds every notebook executed
        extra.update(language=language, nb_execution_cache_path=str(book.cache))
    if language == "ko":
        # myst-nb's buttons of a folded code cell are configuration, not messages; they name the part
        # folded by an English word in place of {type}, so the Korean prompt names the cell only
        extra.update(nb_code_prompt_show="코드 셀 보기", nb_code_prompt_hide="코드 셀 숨기기")
        # the site's title (_config.yml's `title`, which Jupyter Book makes html_title) is configuration too
        extra.update(html_title=KOREAN_TITLE)
    return extra


def generated_config(book: Book, language: str | None = None) -> dict:
    """The Sphinx configuration Jupyter Book generates from _config.yml, with `overrides(book, language)`."""
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=book.root / "_config.yml", cli_config=overrides(book, language),
                                 sourcedir=book.root)
    return config


def without_iri_grammar() -> None:
    """Keep rfc3987_syntax out of this process, unless something imported it already.

    Jupyter Book imports jsonschema, whose `_format` imports rfc3987_syntax when it is installed (it is,
    for jupyter_events), and that compiles a Lark grammar of RFC 3987 IRIs at import: 1.3-1.6 s of a
    10 s build (`python -c "import jsonschema"`: 1.45 s, 0.14 s without it). It only backs the "iri"
    format checker, which nothing here uses: Jupyter Book validates its configuration with no format
    checker, and no schema the book reads has an iri format. jsonschema imports it under
    `suppress(ImportError)`, so an entry of None in sys.modules makes it skip the checker.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def sphinx(book: Book, builder: str, outdir: Path, doctrees: Path, language: str | None = None, *,
           force: bool = False, fresh: bool = False, project: str | None = None,
           settings: dict | None = None) -> int:
    """Run Sphinx through Jupyter Book's entry point, as `jupyter-book build -W --keep-going` would."""
    without_iri_grammar()
    from jupyter_book.sphinx import build_sphinx

    # the catalogues' headers name the project (Jupyter Book sets no `project`: the pages show html_title)
    extra = {"project": project} if project else {}
    extra.update(settings or {})
    result = build_sphinx(book.root, outdir, noconfig=True, path_config=book.root / "_config.yml",
                          confoverrides={**overrides(book, language), **extra}, doctreedir=doctrees,
                          builder=builder, warningiserror=True, keep_going=True, force_all=force,
                          freshenv=fresh)
    if isinstance(result, BaseException):
        return 1
    return int(result or 0)


def gettext_outputs() -> list[tuple[str, str, int | None]]:
    """myst-nb's output priority for the gettext builder: the html builder's.

    A cell's outputs are read as a bundle of every MIME type; a post-transform then keeps the one its
    builder ranks first. myst-nb ranks only text for gettext, so a figure became its text/plain
    "<Figure size ...>" (a literal, never a message) before the builder extracted the messages, and
    its image node went with it, alt text and all. Ranked as for html, the image node stays, and
    Sphinx extracts its alt text as it does any image's (sphinx.util.nodes.extract_messages); the
    Korean build then translates it while reading (sphinx.transforms.i18n.Locale), as a caption.
    """
    from myst_nb.core.render import base_render_priority

    return [("gettext", mime, rank) for mime, rank in base_render_priority()["html"].items()]


def extract(book: Book) -> int:
    """Every English message of the book into _build/gettext/<page>.pot, figures' alt texts included."""
    return sphinx(book, "gettext", book.pot, book.pot / ".doctrees", project=PROJECT,
                  settings={"nb_mime_priority_overrides": gettext_outputs()})


def update(book: Book) -> int:
    """Extract, then update locales/ko/LC_MESSAGES/*.po as `sphinx-intl update -l ko` does."""
    from sphinx_intl.basic import update as intl_update

    from .notebook_i18n import write_templates

    code = extract(book)
    if code:
        return code
    write_templates(book.root, book.pot)  # the student notebooks' prose: _build/gettext/exercises/<id>.pot
    intl_update(str(book.root / "locales"), str(book.pot), (LANGUAGE,), jobs=1)
    templates = {p.relative_to(book.pot).with_suffix("") for p in book.pot.rglob("*.pot")}
    for path in book.catalogues.rglob("*.po"):
        # sphinx-intl keeps a catalogue whose page is gone: say so, never delete a translation
        if path.relative_to(book.catalogues).with_suffix("") not in templates:
            print(f"{path.relative_to(book.root)}: its page is no longer in the book (remove it if it is gone for good)")
    return 0


def build(book: Book, fresh: bool = False) -> int:
    """The Korean site: the same sources with language = ko, into _build/html/ko/, executing nothing."""
    start = time.perf_counter()
    # incremental as the English build is (rnn_course.languages writes every page when one was re-read)
    code = sphinx(book, "html", book.ko_build / "html", book.ko_build / ".doctrees", LANGUAGE, fresh=fresh)
    if code:
        return code
    # built beside the English site (myst-nb writes its jupyter_execute/ next to the output folder, which
    # must not be _build/html/), then published inside it, whole, so a reader never sees half of it
    staging = book.ko_html.with_name(book.ko_html.name + ".new")
    old = book.ko_html.with_name(book.ko_html.name + ".old")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    shutil.copytree(book.ko_build / "html", staging)
    if book.ko_html.exists():
        book.ko_html.rename(old)
    staging.rename(book.ko_html)
    shutil.rmtree(old, ignore_errors=True)
    print(f"i18n: the Korean site is in {book.ko_html} ({time.perf_counter() - start:.1f} s)")
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


def stats(book: Book) -> int:
    keys = ("messages", "words", "translated", "fuzzy", "untranslated")
    total = dict.fromkeys(keys, 0)
    print(f"{'catalogue':48} {'messages':>8} {'words':>6} {'done':>5} {'fuzzy':>5} {'todo':>5}")
    for path in sorted(book.catalogues.rglob("*.po")):
        s = catalogue_stats(path)
        for key in keys:
            total[key] += s[key]
        print(f"{path.relative_to(book.catalogues).as_posix():48} {s['messages']:8} {s['words']:6} "
              f"{s['translated']:5} {s['fuzzy']:5} {s['untranslated']:5}")
    print(f"{'total':48} {total['messages']:8} {total['words']:6} {total['translated']:5} "
          f"{total['fuzzy']:5} {total['untranslated']:5}")
    return 0


def conf(book: Book) -> int:
    config = generated_config(book, LANGUAGE)
    print("# The Sphinx configuration of the Korean build, as Jupyter Book generates it from _config.yml")
    for key in sorted(config):
        print(f"{key} = {config[key]!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_course i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["extract", "update", "build", "stats", "conf"],
                        help="extract the messages, update the catalogues, build the Korean site, "
                             "count the catalogues' messages, or print the Korean build's configuration")
    parser.add_argument("--book", type=Path, default=ROOT, help="the course's folder (default: this course)")
    parser.add_argument("--fresh", action="store_true", help="build: read every page again")
    args = parser.parse_args(argv)
    book = Book(args.book.resolve())
    os.chdir(book.root)
    if args.command == "build":
        return build(book, fresh=args.fresh)
    return {"extract": extract, "update": update, "stats": stats, "conf": conf}[args.command](book)


if __name__ == "__main__":
    sys.exit(main())
