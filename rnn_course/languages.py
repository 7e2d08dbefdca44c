"""Sphinx extension: what the Korean edition translates, and how the two editions meet.

Registered in _config.yml's `sphinx.config.extensions` as `rnn_course.languages`; the Korean site is the
same book built with `language = ko` (rnn_course/i18n.py). It provides:

- `Untranslatable`: code, outputs and math stay out of the message catalogues. A display-math block is
  never a message (Sphinx extracts one by default), nor is anything a code cell printed, except a
  figure's caption and its image's alt text, which the cell's metadata gives and which are prose. Code
  cells are literal blocks, which Sphinx never extracts while `gettext_additional_targets` is empty.
  Inline math and code inside a sentence stay in its message; the translation keeps them exactly.
- `{glue:text}` in a translated sentence: Sphinx parses a translation as a document of its own, where
  myst-nb's role no longer sees the page's notebook, so there the role refers to the page's glued
  values by path (`/<page>.md::key`, myst-nb's own syntax for another page), which myst-nb resolves
  from what it stored when it read the page. Everywhere else it is myst-nb's role, unchanged.
- `TranslatedAfterwards`: what other extensions add after Sphinx has translated a page is translated
  too: the toc's part captions ("Chapters"), which sphinx-external-toc inserts later; and the hard
  line break that a message writes as `\\ ` (the assignment header's), which a translation keeps.
  When a translated build reads a page again whose title changed (its catalogue did), it writes
  every page, whose sidebars show the other pages' titles.
- The link to the same page in the other edition, at the top of every page (the template
  `templates/language-switch.html`, before the theme's buttons): "한국어" on an English page,
  "English" on a Korean one, each with its own `lang` and `hreflang`.
- `SearchKorean`, the search language for `ko`: Sphinx has no Korean splitter, and Korean attaches
  particles to nouns (은닉 상태는, 상태를), so the index and the query (the same rules in Python and
  in the JavaScript stemmer) strip a particle from a Hangul word; other words are stemmed as in
  English, so `LSTM` or `kernel` find the same pages as on the English site.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from docutils import nodes
from myst_nb.ext.glue.roles import PasteTextRole
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.locale import init as init_locale
from sphinx.search import SearchLanguage
from sphinx.search.en import SearchEnglish, js_porter_stemmer
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

TEMPLATES = Path(__file__).parent / "templates"
# each edition: the name a reader looks for (in its own language) and where its site sits in _build/html
EDITIONS = {"en": ("English", ""), "ko": ("한국어", "ko/")}
# what a code cell's output may hold that is prose written in the cell's metadata
PROSE_IN_OUTPUTS = (nodes.caption, nodes.image)


def language_of(config: Config) -> str:
    return (config.language or "en").split("_")[0]


# ---------------------------------------------------------------- what is a message

def in_cell_output(node: nodes.Node) -> bool:
    """Whether `node` sits in what a code cell printed (myst-nb's <div class="cell_output">)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.Element) and "cell_output" in parent.get("classes", ()):
            return True
        parent = parent.parent
    return False


class Untranslatable(SphinxTransform):
    """Mark display math and everything printed by a code cell (but captions and alt text) untranslatable."""

    # before Sphinx's Locale transform (20) replaces messages by their translation, and before its
    # ExtraTranslatableNodes (10) would mark literal blocks translatable if a target asked for them
    default_priority = 5

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.Element):
            if isinstance(node, nodes.math_block):
                node["translatable"] = False
            elif isinstance(node, nodes.TextElement) and not isinstance(node, PROSE_IN_OUTPUTS) \
                    and in_cell_output(node):
                node["translatable"] = False


# ---------------------------------------------------------------- translations that need help

class PasteTextInTranslation(PasteTextRole):
    """myst-nb's `{glue:text}`, which in a translated sentence looks the key up by the page's path."""

    def run(self):
        if "nb_renderer" not in self.document and "::" not in self.text:
            key, _, spec = self.text.partition(":")
            env = self.document.settings.env
            page = "/" + env.doc2path(env.docname, False).replace("\\", "/")
            self.text = f"{page}::{key}:{spec or 's'}"
        return super().run()


def page_catalogue(transform: SphinxTransform):
    """The translations of the page being read (None in an English build or without a catalogue)."""
    config, env = transform.config, transform.env
    if language_of(config) == "en":
        return None
    dirs = [str(Path(env.srcdir) / directory) for directory in config.locale_dirs]
    catalogue, found = init_locale(dirs, config.language, docname_to_domain(env.docname, config.gettext_compact))
    return catalogue if found else None


HARD_BREAK = re.compile(r"\\ ")


class TranslatedAfterwards(SphinxTransform):
    """Translate the toc captions sphinx-external-toc inserts after Sphinx's Locale transform, and turn a
    translation's `\\ ` back into the hard line break the English message had there."""

    default_priority = 110  # after sphinx-external-toc's InsertToctrees (100)

    def apply(self, **kwargs) -> None:
        catalogue = page_catalogue(self)
        if catalogue is None:
            return
        for toctree in self.document.findall(addnodes.toctree):
            caption = toctree.get("caption")
            if caption and catalogue.gettext(caption) != caption:
                toctree["rawcaption"] = caption
                toctree.apply_translated_message(caption, catalogue.gettext(caption))
        for text in list(self.document.findall(nodes.Text)):
            if "\\ " not in text or isinstance(text.parent, (nodes.literal, nodes.literal_block, nodes.raw,
                                                             nodes.math, nodes.math_block)):
                continue
            pieces = HARD_BREAK.split(str(text))
            replacement: list[nodes.Node] = [nodes.Text(pieces[0])]
            for piece in pieces[1:]:
                replacement += [nodes.raw("", "<br />\n", format="html"), nodes.raw("", "\\\\\n", format="latex"),
                                nodes.Text(piece)]
            text.parent.replace(text, replacement)


def note_pages_read(app: Sphinx, env, docnames: list[str]) -> None:
    """Before reading: the titles of the pages about to be read again, to see afterwards if one changed."""
    app.rnn_course_titles_before = {  # type: ignore[attr-defined]
        name: env.titles[name].astext() if name in env.titles else None for name in docnames}


def rewrite_every_page(app: Sphinx, env) -> list[str]:
    """In a translated build, when a page read again has a new title, or the root page (the toc's part
    captions) was read again, write every page: each page's sidebar shows those, and Sphinx would leave
    it stale on the pages it did not read. Otherwise Sphinx writes what it always writes."""
    before = getattr(app, "rnn_course_titles_before", {})
    if language_of(app.config) == "en" or not before:
        return []
    changed = [name for name, title in before.items()
               if name == app.config.root_doc or name not in env.titles or env.titles[name].astext() != title]
    return sorted(env.found_docs) if changed else []


# ---------------------------------------------------------------- the link to the other edition

def other_edition(language: str, pagename: str) -> dict | None:
    """The link from `pagename` of the `language` edition to the same page of the other one."""
    if language not in EDITIONS:
        return None
    other = "ko" if language == "en" else "en"
    up = "../" * (pagename.count("/") + (1 if EDITIONS[language][1] else 0))
    return {"href": f"{up}{EDITIONS[other][1]}{pagename}.html", "lang": other, "text": EDITIONS[other][0]}


def add_language_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    context["rnn_course_other_edition"] = other_edition(language_of(app.config), pagename)


def add_language_switch(app: Sphinx, config: Config) -> None:
    """The switch goes before the theme's own buttons at the top of the article, on every page."""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = config.html_theme_options
    end = list(options.get("article_header_end") or ["article-header-buttons.html"])
    if "language-switch.html" not in end:
        options["article_header_end"] = ["language-switch.html", *end]


# ---------------------------------------------------------------- Korean search

# Particles (조사) and the copula that attach to a noun, longest first so 에서는 goes before 는.
PARTICLES = sorted("""은 는 이 가 을 를 의 에 로 와 과 도 만 으로 에서 에게 께서 까지 부터 보다 처럼 만큼 마다
    이나 이며 이고 이다 이라 이란 이면 에는 에도 에서는 에서도 으로는 으로도 로는 로도 와는 과는 와도 과도
    에게서 으로서 으로써 로서 로써 까지는 부터는 보다는 이라는 이라고 라는 라고 입니다 이에요 예요""".split(),
                   key=lambda p: (-len(p), p))
HANGUL = re.compile("[\uac00-\ud7a3]")

JS_KOREAN_STEMMER = js_porter_stemmer.replace("var Stemmer = function", "var PorterStemmer = function") + """
/**
 * Korean: strip one particle from a Hangul word (rnn_course/languages.py, SearchKorean.stem, the same rules);
 * any other word is stemmed as English.
 */
var Stemmer = function() {
  var porter = new PorterStemmer();
  var particles = %s;
  var hangul = /[\\uac00-\\ud7a3]/;
  this.stemWord = function(w) {
    if (hangul.test(w)) {
      for (var i = 0; i < particles.length; i++) {
        var p = particles[i];
        if (w.length > p.length && w.slice(-p.length) === p) { w = w.slice(0, -p.length); break; }
      }
      if (hangul.test(w)) return w;
    }
    return porter.stemWord(w);
  };
};
""" % json.dumps(PARTICLES, ensure_ascii=False)


class SearchKorean(SearchLanguage):
    """Korean search: a Hangul word loses its particle (상태는 → 상태), other words are stemmed as English."""

    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = JS_KOREAN_STEMMER
    stopwords = SearchEnglish.stopwords

    def init(self, options: dict[str, str]) -> None:
        pass

    def stem(self, word: str) -> str:
        return korean_stem(word)


PORTER = snowballstemmer.stemmer("porter")


@lru_cache(maxsize=None)
def korean_stem(word: str) -> str:
    """The index's stem of a word (remembered: an index asks for the same few thousand words tens of
    thousands of times): a Hangul word without its particle, any other word as English stems it."""
    if HANGUL.search(word):
        for particle in PARTICLES:
            if len(word) > len(particle) and word.endswith(particle):
                word = word[:-len(particle)]
                break
        if HANGUL.search(word):
            return word
    return PORTER.stemWord(word.lower())


# ---------------------------------------------------------------- parsing ~1,700 translations quickly

def parse_translations_quickly() -> None:
    """Make myst-parser cheaper per parse, which the Korean build does once per translated message.

    Sphinx parses every translation as a small document of its own (sphinx/transforms/i18n.py,
    publish_msgstr), through myst-parser, whose every parse (1) builds a default docutils document it
    then discards when it is given one (`options.get("document", make_document())` evaluates its
    default: docutils' get_default_settings, 1.5 ms each) and (2) builds a new MarkdownIt parser with
    all its plugins. Here (1) builds the unused default from settings computed once, and (2) keeps
    one parser per configuration (a parse sets `options["document"]` and the renderer's per-render
    state itself). With it the Korean build took 9.3-10.2 s instead of 14.0 s (benchmarks/book_ko.py),
    and wrote the same HTML, byte for byte: `RNN_COURSE_PLAIN_MYST=1 python -m rnn_course i18n --fresh
    build` builds without it, for `diff -r` against a build with it.
    """
    import copy
    import os

    import myst_parser.mdit_to_docutils.base as base
    import myst_parser.parsers.sphinx_ as sphinx_parser
    from docutils.frontend import get_default_settings
    from docutils.utils import new_document

    if getattr(base.make_document, "quick", False) or os.environ.get("RNN_COURSE_PLAIN_MYST") == "1":
        return
    defaults: dict = {}

    def make_document(source_path="notset", parser_cls=base.RSTParser):
        if parser_cls not in defaults:
            defaults[parser_cls] = get_default_settings(parser_cls)
        return new_document(source_path, settings=copy.copy(defaults[parser_cls]))

    make_document.quick = True
    base.make_document = make_document
    create = sphinx_parser.create_md_parser
    parsers: dict = {}

    def create_md_parser(config, renderer):
        key = (id(config), renderer)
        if key not in parsers or parsers[key][0] is not config:
            parsers[key] = (config, create(config, renderer))
        return parsers[key][1]

    sphinx_parser.create_md_parser = create_md_parser


def setup(app: Sphinx) -> dict:
    parse_translations_quickly()
    app.add_transform(Untranslatable)
    app.add_transform(TranslatedAfterwards)
    app.add_role_to_domain("glue", "text", PasteTextInTranslation(), override=True)
    app.add_search_language(SearchKorean)
    app.connect("config-inited", add_language_switch)
    app.connect("env-before-read-docs", note_pages_read)
    app.connect("env-get-updated", rewrite_every_page)
    app.connect("html-page-context", add_language_link)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
