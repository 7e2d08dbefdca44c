"""The Korean edition (issue 15): _build/html/ko, the same sources built with language = ko.

What both editions must do (offline, no outside request, links, math) is checked by tests/test_site.py
for each edition; here is what only the Korean one needs: a Korean page for every English page, the
links between the two editions, `lang`, Korean search in Chromium, a build that executes nothing, and
catalogues that are complete, current and use the glossary's terms.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import pytest
from babel.messages.pofile import read_po

from _browser import Visit
from conftest import ROOT, VENV_BIN, tool_env
from test_site import (COURSE, EDITIONS, HTML, _search_results, browser, built, redirect_target,  # noqa: F401 -- fixtures
                       site_pages, soup, toc_parts)

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]
CATALOGUES = ROOT / "locales" / "ko" / "LC_MESSAGES"
# (query, the page it must find): the glossary's terms for the ideas test_site.py searches in English;
# then single words with a particle the pages never attach to them, found only because the query's
# particle comes off (Sphinx's default search finds neither; a query of two words would not show it:
# searchtools.js lets a page match on the words of 3 letters or more alone)
SEARCHES = [("은닉 상태", "ko/chapters/01_recurrent_cell.html"), ("망각 게이트", "ko/chapters/06_lstm.html"),
            ("상태에서", "ko/chapters/01_recurrent_cell.html"), ("게이트에서는", "ko/chapters/06_lstm.html")]


def catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def catalogues() -> list[Path]:
    return sorted(CATALOGUES.rglob("*.po"))


def messages(path: Path) -> list:
    return [m for m in catalogue(path) if m.id]


# ---------------------------------------------------------------- the built site

def test_every_english_page_has_a_korean_page(built):
    english = site_pages("en")
    korean = set(site_pages("ko"))
    assert len(english) > 20
    missing = [page for page in english if EDITIONS["ko"] + page not in korean]
    assert not missing, f"English pages with no Korean page: {missing}"


def test_every_page_links_to_the_same_page_in_the_other_edition(built):
    for edition, other, text in (("en", "ko", "한국어"), ("ko", "en", "English")):
        for page in site_pages(edition):
            if redirect_target(page):
                continue
            link = soup(page).select_one("a.rnn-course-language")
            assert link is not None, f"{page} has no link to the {other} edition"
            target = urljoin(page, link["href"])
            expected = EDITIONS[other] + page[len(EDITIONS[edition]):]
            assert target == expected, f"{page} links {target}, not the same page of the {other} edition"
            assert (HTML / target).is_file(), f"{page} links {target}, which is not built"
            assert link.get_text(strip=True) == text, f"{page}: the link reads {link.get_text()!r}"
            assert link["lang"] == other and link["hreflang"] == other, f"{page}: {link}"


def test_each_edition_says_its_language(built):
    for edition in EDITIONS:
        for page in site_pages(edition):
            if redirect_target(page):
                continue
            lang = soup(page).html.get("lang")
            assert lang == edition, f"{page} is <html lang={lang!r}>"


def test_korean_pages_are_translated_where_the_catalogue_is(built):
    """A message translated in its catalogue shows translated on its page (the heading of
    chapters/01_recurrent_cell), and a {glue:text} inside a translated sentence still shows the value
    the notebook computed."""
    page_name = "chapters/01_recurrent_cell"
    entries = messages(CATALOGUES / f"{page_name}.po")
    translated = {m.id: m.string for m in entries if m.string and not m.fuzzy}
    assert translated, f"{page_name}.po has no translation to check"
    page = soup(f"ko/{page_name}.html")
    heading = page.select_one("article.bd-article h1").get_text()
    title = entries[0].id
    if title in translated:
        assert translated[title] in heading, f"ko/{page_name}: the heading is {heading!r}, not {translated[title]!r}"
    text = page.select_one("article.bd-article").get_text()
    assert "{glue" not in text and "No key" not in text, "a glued value in a translated sentence did not resolve"
    english = soup(f"{page_name}.html").select("span.pasted-text")
    korean = page.select("span.pasted-text")
    assert english and [s.get_text() for s in korean] == [s.get_text() for s in english], (
        f"ko/{page_name} shows other glued values than the English page")



def test_folded_code_cells_are_offered_in_korean(built):
    """myst-nb's "Show code cell source" buttons are configuration, not messages: the Korean build sets them."""
    for chapter in COURSE.chapters:
        page = soup(f"ko/{chapter.slug}.html").get_text()
        assert "Show code cell" not in page and "Hide code cell" not in page, f"ko/{chapter.slug}"
    assert "코드 셀 보기" in soup(f"ko/{COURSE.chapters[0].slug}.html").get_text()


HANGUL = re.compile("[\uac00-\ud7a3]")


def test_korean_images_describe_themselves_in_korean(built):
    """Every <img> of the Korean site with an alt text has Hangul in it: the figures drawn by code cells
    too, whose alt text (cell metadata mystnb: image: alt) is a message like a caption (the gettext
    extraction ranks a cell's outputs as the html builder does, rnn_course.i18n.gettext_outputs).
    The theme's own images (its logo) are not the course's to translate."""
    english, seen = [], 0
    for page in site_pages("ko"):
        if redirect_target(page):
            continue
        for img in soup(page).find_all("img"):
            alt = (img.get("alt") or "").strip()
            if not alt or "logo__image" in img.get("class", []) or img.find_parent(class_="navbar-brand"):
                continue
            seen += 1
            if not HANGUL.search(alt):
                english.append(f"{page}: <img alt={alt[:70]!r}>")
    assert seen >= 20, f"only {seen} images with an alt text in the Korean site: are the figures gone?"
    assert not english, f"{len(english)} image(s) of the Korean site described in English (make locales, " \
        "then translate their alt texts):\n" + "\n".join(english)


def test_the_korean_build_executes_nothing(book_build):
    """make book's Korean build reads every notebook from the English build's execution cache."""
    code, log = book_build
    assert code == 0, log[-3000:]
    assert "rnn_course i18n build" in log, "make book no longer builds the Korean edition"
    korean = (ROOT / "_build" / "ko" / "build.log").read_text(encoding="utf-8")
    assert "Executing notebook" not in korean, "the Korean build executed a notebook"
    assert f"Using jupyter-cache at: {ROOT / '_build' / '.jupyter_cache'}" in korean, (
        "the Korean build does not read the English build's execution cache")


# ---------------------------------------------------------------- search

def test_korean_search_finds_the_pages_that_teach_a_term(browser):  # noqa: F811 -- test_site's fixture
    for query, expected in SEARCHES:
        visit = Visit(f"search: {query}")
        found = _search_results(browser, query, visit, landing="ko/intro.html")
        assert not visit.problems(), f"searching {query!r}: {visit.problems()}"
        assert expected in found, f"a search for {query!r} does not find {expected}: {found}"
        assert all(page.startswith("ko/") for page in found), f"the Korean search found English pages: {found}"
    nothing = Visit("search: nonsense")
    assert _search_results(browser, "읎읎읎없는말", nothing, landing="ko/intro.html") == []


def test_the_search_index_and_the_query_stem_alike():
    """The Korean stemmer in JavaScript (what a query goes through) gives what the Python one (the index)
    gives, word for word; and a particle comes off."""
    from rnn_course.languages import JS_KOREAN_STEMMER, SearchKorean

    node = shutil.which("node")
    assert node, "node is needed to run the search's JavaScript (npm, which make install needs, brings it)"
    words = ["은닉", "상태", "상태는", "상태를", "상태의", "게이트가", "게이트에서는", "망각", "LSTM의", "gates",
             "hidden", "으로", "시점에", "가중치", "셀이", "running", "이"]
    script = JS_KOREAN_STEMMER + "\nconst s = new Stemmer();\n" + \
        f"console.log(JSON.stringify({words!r}.map(w => s.stemWord(w.toLowerCase()))));"
    result = subprocess.run([node, "-e", script], text=True, capture_output=True, check=True)
    python = SearchKorean({})
    assert json.loads(result.stdout) == [python.stem(w).lower() for w in words]
    assert python.stem("상태는") == python.stem("상태") == "상태"
    assert python.stem("게이트에서는") == "게이트"
    assert python.stem("LSTM의") == "lstm"


# ---------------------------------------------------------------- the catalogues

def test_every_page_has_a_catalogue():
    pages = {"intro", *(file for part in toc_parts() for file in part["files"])}
    names = {path.relative_to(CATALOGUES).with_suffix("").as_posix() for path in catalogues()}
    assert len(names) > 20, f"only {len(names)} catalogues in {CATALOGUES}"
    assert pages <= names, f"pages with no catalogue (make locales): {sorted(pages - names)}"


def test_the_catalogues_hold_every_english_message():
    """An English sentence changed or added since `make locales` ran fails here (run make locales)."""
    result = subprocess.run([str(VENV_BIN / "python"), "-m", "rnn_course", "i18n", "extract"], cwd=ROOT,
                            env=tool_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout[-3000:]
    templates = ROOT / "_build" / "gettext"
    stale = []
    for pot in sorted(templates.rglob("*.pot")):
        name = pot.relative_to(templates).with_suffix(".po")
        po = CATALOGUES / name
        wanted = {m.id for m in catalogue(pot) if m.id}
        held = {m.id for m in messages(po)} if po.is_file() else set()
        if wanted - held:
            stale.append(f"{name}: {len(wanted - held)} English message(s) not in the catalogue, e.g. "
                         f"{sorted(wanted - held)[0][:80]!r}")
    assert not stale, "the catalogues are behind the English pages: run `make locales`, then translate\n" + \
        "\n".join(stale)


def test_every_message_is_translated():
    """Every message of every catalogue has a translation that is not fuzzy. An English sentence changed
    without its translation fails here, rather than showing English on a Korean page."""
    todo = []
    for path in catalogues():
        entries = messages(path)
        untranslated = [m for m in entries if not m.string]
        fuzzy = [m for m in entries if m.string and m.fuzzy]
        if untranslated or fuzzy:
            first = (untranslated or fuzzy)[0]
            todo.append(f"{path.relative_to(CATALOGUES)}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy "
                        f"of {len(entries)} (first: line {first.lineno}, {str(first.id)[:60]!r})")
    assert not todo, "messages still to translate (python -m rnn_course i18n stats):\n" + "\n".join(todo)


def glossary_terms() -> list[tuple[str, list[str]]]:
    """(English term, its Korean terms) from glossary.md's table, the one source of the course's terms.

    A row lists several terms separated by commas: paired in order when both sides have as many, else
    every English term takes any of the Korean ones ("parameter": 매개변수 or 파라미터). A parenthesis on
    the English side (an abbreviation, a gloss) is not part of the term."""
    terms = []
    for line in (ROOT / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("English", "") or set(cells[0]) <= set("-: "):
            continue
        english = [re.sub(r"\s*\([^)]*\)", "", term).strip() for term in cells[0].split(",")]
        korean = [term.strip() for term in cells[1].split(",")]
        if len(english) == len(korean):
            terms += [(e, [k]) for e, k in zip(english, korean)]
        else:
            terms += [(e, korean) for e in english]
    return terms


# what a msgid holds that is not prose: inline code, roles and their targets, math, link targets
NOT_PROSE = re.compile(r"\{[\w:-]+\}`[^`]*`|``.*?``|`[^`]*`|\$[^$]*\$|\]\([^)]*\)")


def terms_in(text: str, terms: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The glossary terms a message's prose uses (longest first; a term inside a longer one counts once)."""
    prose = NOT_PROSE.sub(" ", text)
    found = []
    for english, korean in sorted(terms, key=lambda t: -len(t[0])):
        pattern = re.compile(rf"(?<![\w-]){re.escape(english)}(?:s|es)?(?![\w-])", re.I)
        if pattern.search(prose):
            found.append((english, korean))
            prose = pattern.sub(" ", prose)
    return found


def test_glossary_terms_are_parsed():
    terms = dict(glossary_terms())
    assert terms["hidden state"] == ["은닉 상태"] and terms["forget gate"] == ["망각 게이트"]
    assert terms["parameter"] == ["매개변수", "파라미터"] and terms["many-to-one"] == ["다 대 일"]
    assert terms["recurrent neural network"] == ["순환 신경망"]
    assert [e for e, _ in terms_in("Truncated backpropagation through time keeps the hidden states `bias`",
                                   glossary_terms())] == ["truncated backpropagation through time", "hidden state"]


def test_translations_use_the_glossary_terms():
    """Where an English message uses a glossary term, its translation uses the glossary's Korean term.
    (glossary.po is the glossary itself: its English column stays English.)"""
    terms = glossary_terms()
    assert len(terms) > 40, "glossary.md's table was not read"
    wrong, checked = [], 0
    for path in catalogues():
        if path.name == "glossary.po":
            continue
        for m in messages(path):
            if not m.string or m.fuzzy:
                continue  # test_every_message_is_translated reports it
            for english, korean in terms_in(str(m.id), terms):
                checked += 1
                if not any(k in m.string for k in korean):
                    wrong.append(f"{path.relative_to(CATALOGUES)} line {m.lineno}: {english!r} is "
                                 f"{' or '.join(korean)} in the glossary, not in {str(m.string)[:70]!r}")
    assert not wrong, "translations that do not use the glossary's terms:\n" + "\n".join(wrong)
    assert checked, "no translated message uses a glossary term: is the check looking?"


def test_korean_assignment_pages_offer_the_korean_student_notebooks(built):
    """Each Korean assignment page serves the Korean student notebook `make release` writes
    (release/ko/<id>/<id>.ipynb) and the data beside it, not the English ones (rnn_course/book.py's
    KoreanDownloads; tests/test_notebooks_ko.py checks the notebooks themselves)."""
    from test_site import _local_target, part_files

    assignments = part_files("Assignments")
    assert assignments
    for file in assignments:
        aid = Path(file).name
        page = f"ko/{file}.html"
        downloads = [a["href"] for a in soup(page).select("a.download")]
        notebooks = [href for href in downloads if href.endswith(".ipynb")]
        assert len(notebooks) == 1, f"{page} should offer exactly one student notebook, found {notebooks}"
        for href in downloads:
            served, _ = _local_target(page, href)
            released = ROOT / "release" / "ko" / aid / served.name
            assert released.is_file() and served.read_bytes() == released.read_bytes(), (
                f"{page} does not serve {released}")
        served, _ = _local_target(page, notebooks[0])
        assert json.loads(served.read_text(encoding="utf-8"))["metadata"]["rnn_course"]["language"] == "ko"


def test_the_korean_site_has_a_korean_title(built):
    """The site's title (configuration, not a message) is Korean on Korean pages and English on English ones."""
    from rnn_course.i18n import KOREAN_TITLE

    for page in ("intro.html", f"{COURSE.chapters[0].slug}.html"):
        assert KOREAN_TITLE in soup(f"ko/{page}").title.get_text(), f"ko/{page}"
        assert KOREAN_TITLE not in soup(page).title.get_text(), page
