"""The website as a student meets it: offline, complete, navigable, checked in a real browser.

The static checks read _build/html (links, images, the table of contents, titles, downloads). The
browser checks load every page in Debian's headless Chromium from a local server with every other
request blocked (tests/_browser.py): a page fails on any request that leaves the local server, any
failed request, any console error, or math that MathJax did not typeset. They leave screenshots of
the landing page and a chapter in _build/screenshots/ and a per-page request count in
_build/screenshots/requests.txt.

The Korean edition (_build/html/ko/, issue 15) is held to the same checks: each test that takes the
`edition` fixture runs once per edition (tests/test_book_ko.py has what only the Korean one needs).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import jupytext
import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from _browser import Browser, Visit, browsing
from conftest import ROOT
from rnn_course.manifest import load

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
COURSE = load()  # course.yml: the chapters' and assignments' titles and numbers
ASSETS = ("_static/", "_sources/", "_downloads/", "_images/")
# each edition of the site and where it sits in _build/html (rnn_course/languages.py's EDITIONS)
EDITIONS = {"en": "", "ko": "ko/"}
# (query, the page it must find once that page is in the toc); every query must find something
SEARCHES = [("forget gate", "chapters/06_lstm.html"), ("hidden state", "chapters/01_recurrent_cell.html")]
# tags whose URL the browser fetches by itself when the page loads
RESOURCE_ATTRS = {"script": "src", "img": "src", "source": "src", "iframe": "src", "video": "src",
                  "audio": "src", "embed": "src", "object": "data"}
LINK_RELS_FETCHED = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "manifest",
                     "apple-touch-icon"}


# ---------------------------------------------------------------- what the site should contain

def toc_parts() -> list[dict]:
    """The _toc.yml parts as [{caption, numbered, files}] (files without suffix, in order)."""
    return [{"caption": part["caption"], "numbered": bool(part.get("numbered")),
             "files": [entry["file"] for entry in part["chapters"]]} for part in TOC["parts"]]


def part_files(caption: str) -> list[str]:
    return next((part["files"] for part in toc_parts() if part["caption"] == caption), [])


def site_pages(edition: str = "en") -> list[str]:
    """Every HTML page of one edition of the built site, relative to _build/html (not the theme's
    fragments, nor the other edition's pages)."""
    prefix = EDITIONS[edition]
    others = tuple(other for other in EDITIONS.values() if other and other != prefix)
    pages = []
    for path in (HTML / prefix).rglob("*.html"):
        page = path.relative_to(HTML).as_posix()
        if not page[len(prefix):].startswith(ASSETS) and not page.startswith(others):
            pages.append(page)
    return sorted(pages)


def exercise_ids() -> list[str]:
    return sorted(d.name for d in (ROOT / "exercises").iterdir() if (d / f"{d.name}.ipynb").is_file())


@functools.lru_cache(maxsize=None)
def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / page).read_text(encoding="utf-8"), "html.parser")


@functools.lru_cache(maxsize=None)
def ids_in(page: str) -> frozenset[str]:
    return frozenset(tag["id"] for tag in soup(page).find_all(id=True))


def redirect_target(page: str) -> str | None:
    """Where a meta-refresh page (index.html) sends the browser, relative to _build/html."""
    meta = soup(page).find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    if not meta:
        return None
    url = meta["content"].split("url=", 1)[1].strip()
    return urljoin(page, url)


def plain(text: str) -> str:
    """Text as typed in course.yml: Sphinx's smart quotes turn ' into ’."""
    return " ".join(text.replace("\N{RIGHT SINGLE QUOTATION MARK}", "'").split())


def article_h1(page: str) -> str:
    """The page's heading as a reader sees it ("1. The recurrent cell"), without the ¶ link."""
    h1 = soup(page).select_one("article.bd-article h1")
    assert h1 is not None, f"{page} has no heading"
    for link in h1.select("a.headerlink"):
        link.extract()
    return " ".join(h1.get_text().split())


def sidebar(page: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The left sidebar of `page`: [(caption, [(href relative to the site, text), ...]), ...]."""
    nav = soup(page).select_one("nav.bd-docs-nav")
    assert nav is not None, f"{page} has no sidebar navigation"
    parts = []
    for caption in nav.select("p.caption"):
        entries = []
        listing = caption.find_next_sibling("ul")
        for link in listing.select(":scope > li.toctree-l1 > a"):
            href = urljoin(page, link["href"]).split("#")[0]
            entries.append((href, " ".join(link.get_text().split())))
        parts.append((" ".join(caption.get_text().split()), entries))
    return parts


@pytest.fixture(scope="module")
def built(book_build) -> Path:
    code, log = book_build
    assert code == 0, f"make book failed:\n{log[-4000:]}"
    return HTML


@pytest.fixture(scope="module", params=sorted(EDITIONS))
def edition(request, built) -> str:
    """Each edition of the site in turn: English (_build/html) and Korean (_build/html/ko)."""
    assert (HTML / EDITIONS[request.param] / "intro.html").is_file(), f"the {request.param} edition is not built"
    return request.param


# ---------------------------------------------------------------- static checks of _build/html

def test_every_toc_entry_is_a_page(edition):
    expected = {"index.html", "intro.html", "search.html", "genindex.html"}
    expected |= {f"{file}.html" for part in toc_parts() for file in part["files"]}
    prefix = EDITIONS[edition]
    assert set(site_pages(edition)) == {prefix + page for page in expected}, (
        "the built pages are not the toc's pages (an extra one may be left from an earlier build: "
        "rm -rf _build/html and rebuild)")


def test_sidebar_matches_the_toc_on_every_page(edition):
    prefix = EDITIONS[edition]
    expected = [[f"{prefix}{file}.html" for file in part["files"]] for part in toc_parts()]
    captions = [part["caption"] for part in toc_parts()]
    for page in site_pages(edition):
        if redirect_target(page):
            continue
        shown = [[href for href, _ in entries] for _, entries in sidebar(page)]
        assert shown == expected, f"the sidebar of {page} does not match _toc.yml"
        if edition == "en":  # the Korean edition shows the captions translated
            assert [caption for caption, _ in sidebar(page)] == captions, f"the sidebar of {page}: captions"


def test_titles_and_numbering_are_consistent(built):
    book_title = CONFIG["title"]
    sidebar_text = {href: text for _, entries in sidebar("intro.html") for href, text in entries}
    for part in toc_parts():
        for position, file in enumerate(part["files"], start=1):
            page = f"{file}.html"
            assert page in sidebar_text, f"{page} is not in the sidebar"
            text = sidebar_text[page]
            assert article_h1(page) == text, f"{page}: heading {article_h1(page)!r} but sidebar {text!r}"
            title = soup(page).title.get_text()
            assert title == f"{text} \N{EM DASH} {book_title}", f"{page}: <title> is {title!r}"
            name = Path(file).name
            if part["numbered"]:
                assert text.startswith(f"{position}. "), f"{page} is entry {position} but reads {text!r}"
                match = re.match(r"(\d+)_", name)
                assert match and int(match.group(1)) == position, (
                    f"{page} is numbered {position} in the book but its file says chapter "
                    f"{match.group(1) if match else '?'}: list the chapters in order, none missing")
            else:
                assert not re.match(r"\d+\. ", text), f"{page} is in an unnumbered part but reads {text!r}"
            if part["caption"] == "Chapters":
                chapter = COURSE.chapter(file)
                assert plain(text) == f"{chapter.number}. {chapter.title}", f"{page} reads {text!r}, course.yml: {chapter}"
            if part["caption"] == "Assignments":
                assignment = COURSE.assignment(name)
                assert plain(text) == f"Assignment {assignment.number}: {assignment.title}", (
                    f"{page} reads {text!r}, but it is assignment {assignment.number} in course.yml, "
                    f"titled {assignment.title!r}")
    assert article_h1("intro.html") and soup("intro.html").title


def _local_target(page: str, url: str) -> tuple[Path, str]:
    parts = urlsplit(urljoin(page, url))
    path = unquote(parts.path)
    if path.endswith("/") or path == "":
        path += "index.html"
    return HTML / path, parts.fragment


def test_internal_links_and_images_resolve(edition):
    broken, checked = [], 0
    for page in site_pages(edition):
        for tag in soup(page).find_all(["a", "img", "link", "script", "source", "iframe"]):
            url = tag.get("href") if tag.name in ("a", "link") else tag.get("src")
            if not url or url == "#" or urlsplit(url).scheme or url.startswith("//"):
                continue  # nothing, an external link, mailto:, data:, javascript:
            checked += 1
            if url.startswith("#"):
                if unquote(url[1:]) not in ids_in(page):
                    broken.append(f"{page}: anchor {url} not on the page")
                continue
            target, fragment = _local_target(page, url)
            if not target.is_file():
                broken.append(f"{page}: <{tag.name}> {url} -> missing {target.relative_to(HTML)}")
            elif tag.name == "img" and target.stat().st_size == 0:
                broken.append(f"{page}: image {url} is empty")
            elif fragment and target.suffix == ".html":
                if unquote(fragment) not in ids_in(target.relative_to(HTML).as_posix()):
                    broken.append(f"{page}: {url} -> no #{fragment} in {target.relative_to(HTML)}")
    assert checked > 100, f"only {checked} links checked: is the site built?"
    assert not broken, "broken internal links or images:\n" + "\n".join(broken)


def _stylesheets(edition: str) -> set[Path]:
    sheets = set()
    for page in site_pages(edition):
        for link in soup(page).find_all("link", href=True):
            if "stylesheet" in link.get("rel", []) and not urlsplit(link["href"]).scheme:
                sheets.add(_local_target(page, link["href"])[0])
    return sheets


def test_pages_and_styles_reference_nothing_outside_the_site(edition):
    """Scripts, styles, fonts, images and icons all come from the site itself (static view)."""
    outside = []
    for page in site_pages(edition):
        document = soup(page)
        for name, attr in RESOURCE_ATTRS.items():
            for tag in document.find_all(name, attrs={attr: True}):
                if urlsplit(tag[attr]).scheme in ("http", "https") or tag[attr].startswith("//"):
                    outside.append(f"{page}: <{name} {attr}={tag[attr]}>")
        for link in document.find_all("link", href=True):
            if set(link.get("rel", [])) & LINK_RELS_FETCHED and (
                    urlsplit(link["href"]).scheme in ("http", "https") or link["href"].startswith("//")):
                outside.append(f"{page}: <link rel={link.get('rel')} href={link['href']}>")
        for script in document.find_all("script", src=False):
            for url in re.findall(r"""https?://[^\s"'`)]+""", script.get_text()):
                outside.append(f"{page}: inline script names {url}")
    sheets = _stylesheets(edition)
    assert sheets, "no stylesheets found"
    for sheet in sorted(sheets):
        css = sheet.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"""url\(\s*['"]?([^'")]+)""", css) + re.findall(r"""@import\s+['"]([^'"]+)""", css):
            if urlsplit(url).scheme in ("http", "https") or url.startswith("//"):
                outside.append(f"{sheet.relative_to(HTML)}: {url}")
            elif not url.startswith(("data:", "#")) and not (sheet.parent / unquote(url.split("?")[0].split("#")[0])).is_file():
                outside.append(f"{sheet.relative_to(HTML)}: missing {url}")
    assert not outside, "the site needs something from outside (or missing):\n" + "\n".join(outside)


def test_mathjax_is_the_sites_own_copy(edition):
    path = CONFIG["sphinx"]["config"]["mathjax_path"]
    assert not urlsplit(path).scheme, f"mathjax_path is a URL: {path}"
    prefix = EDITIONS[edition]
    mathjax = HTML / prefix / "_static" / path
    assert mathjax.is_file() and mathjax.stat().st_size > 500_000, f"{mathjax} missing: run make install"
    assert "3." in re.search(r'VERSION\s*=\s*"([^"]+)"', mathjax.read_text(errors="replace")).group(1)
    assert any((mathjax.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    scripts = [tag["src"] for tag in soup(f"{prefix}chapters/01_recurrent_cell.html").find_all("script", src=True)]
    assert any("_static/" + path in src for src in scripts), f"the first chapter loads no local MathJax: {scripts}"


def test_chapter_pages_offer_the_notebook_and_no_button_that_leads_nowhere(built):
    """With no repository in _config.yml (the default): the .ipynb download, no launch button, no source link."""
    assert not CONFIG["repository"]["url"], "the default _config.yml names no repository until one is published"
    chapters = part_files("Chapters")
    assert chapters
    for file in chapters:
        page = f"{file}.html"
        document = soup(page)
        button = document.select_one("a.btn-download-notebook-button")
        assert button is not None, f"{page} offers no .ipynb download"
        notebook_path, _ = _local_target(page, button["href"])
        assert notebook_path.suffix == ".ipynb" and notebook_path.is_file(), f"{page}: {button['href']} missing"
        # the chapter's own code, as a notebook a student can run, opened by a cell that says how
        notebook = nbformat.read(notebook_path, as_version=4)
        chapter = jupytext.read(ROOT / f"{file}.md")
        code = [cell.source for cell in chapter.cells if cell.cell_type == "code"]
        assert code and [cell.source for cell in notebook.cells if cell.cell_type == "code"] == code, (
            f"{page}: the .ipynb download is not the chapter's code")
        first = notebook.cells[0]
        assert first.cell_type == "markdown" and "rnn_reference" in first.source and "make install" in first.source, (
            f"{page}: the downloaded notebook does not start by saying what it needs and how to get it")
        assert sum("rnn-course-setup" in c.get("metadata", {}).get("tags", []) for c in notebook.cells) == 1
        assert not document.select(".dropdown-launch-buttons a"), f"{page} shows launch buttons with no repository"
        assert document.select_one("a.btn-source-repository-button") is None, f"{page} links a source repository"
        assert "executablebooks/jupyter-book" not in str(document), f"{page} links Jupyter Book's own repository"


def _marked_lines(notebook: dict, begin: str, end: str) -> tuple[set[str], set[str]]:
    """(lines between the markers, lines outside them) over every cell of an nbgrader source."""
    inside, outside = set(), set()
    for cell in notebook["cells"]:
        within = False
        for line in "".join(cell["source"]).splitlines():
            stripped = line.strip()
            if begin in stripped:
                within = True
            elif end in stripped:
                within = False
            elif stripped:
                (inside if within else outside).add(stripped)
    return inside, outside


def test_assignment_pages_offer_the_released_student_notebooks(built):
    assignments = part_files("Assignments")
    assert assignments
    for file in assignments:
        aid = Path(file).name
        page = f"{file}.html"
        downloads = [a["href"] for a in soup(page).select("a.download") if a["href"].endswith(".ipynb")]
        assert len(downloads) == 1, f"{page} should offer exactly one student notebook, found {downloads}"
        served, _ = _local_target(page, downloads[0])
        released = ROOT / "release" / aid / f"{aid}.ipynb"
        assert served.name == released.name and served.read_bytes() == released.read_bytes(), (
            f"{page} does not serve the notebook `make release` generates ({released})")
        text = served.read_text(encoding="utf-8")
        assert "NotImplementedError" in text, f"{served.name} has no stubs: is it the solution?"
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{served.name} contains {marker!r}"
        source = json.loads((ROOT / "exercises" / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))
        served_lines = {line.strip() for cell in json.loads(text)["cells"]
                        for line in "".join(cell["source"]).splitlines()}
        for begin, end in (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")):
            secret, public = _marked_lines(source, begin, end)
            leaked = (secret - public) & served_lines
            assert not leaked, f"{served.name} leaks {begin.split()[1].lower()} lines: {sorted(leaked)[:5]}"


def test_no_page_or_download_carries_solutions_or_hidden_tests(built):
    carriers = [p for p in HTML.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".md", ".txt", ".js")
                and "_static" not in p.parts]
    assert len(carriers) > 10
    for path in carriers:
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
            assert marker not in text, f"{path.relative_to(HTML)} contains {marker!r}"


def test_every_exercise_has_a_page_in_the_toc():
    """Each exercises/<id>/<id>.ipynb has assignments/<id>.md in the toc, linking its release."""
    listed = [Path(file).name for file in part_files("Assignments")]
    exercises = exercise_ids()
    assert exercises, "no exercises found"
    assert sorted(listed) == exercises, (
        f"_toc.yml's Assignments part lists {listed}, but exercises/ has {exercises}: "
        "list every assignment that has an exercise (and none that has not)")
    assert exercises == COURSE.assignment_ids, f"exercises/ has {exercises}, course.yml {COURSE.assignment_ids}"
    for aid in exercises:
        page = (ROOT / "assignments" / f"{aid}.md").read_text(encoding="utf-8")
        assert re.search(rf"^```{{assignment-downloads}} {aid}$", page, re.M), (
            f"assignments/{aid}.md does not offer its release ({{assignment-downloads}} {aid})")


def test_course_map_draws_the_manifest():
    """The map in intro.md reads course.yml: no chapter or assignment title is typed into its code."""
    intro = jupytext.read(ROOT / "intro.md")
    code = "\n".join(cell.source for cell in intro.cells if cell.cell_type == "code")
    assert "from rnn_course.manifest import load" in code and "load()" in code, "the course map does not read course.yml"
    typed = [title for title in [c.title for c in COURSE.chapters] + [a.title for a in COURSE.assignments]
             if f'"{title}"' in code or f"'{title}'" in code]
    assert not typed, f"the course map types titles course.yml already gives: {typed}"


def test_pages_say_what_the_manifest_says(built):
    """Assignment headers, downloads and chapters' "Practise it" lines are course.yml's, as links."""
    for assignment in COURSE.assignments:
        page = f"{assignment.page}.html"
        header = soup(page).select_one("div.assignment-header p")
        assert header is not None, f"{page} has no {{assignment-header}}"
        text = plain(header.get_text())
        linked = [urljoin(page, a["href"]).split("#")[0] for a in header.select("a[href]")]
        assert linked == [f"{c.slug}.html" for c in assignment.practises], f"{page}: Practises links {linked}"
        for chapter in assignment.practises:
            assert f"chapter {chapter.number}, {chapter.title}" in text, f"{page}: {text!r}"
        assert text.startswith("Practises:") and "Needs:" in text, f"{page}: {text!r}"
        offered = [Path(unquote(a["href"])).name for a in soup(page).select("div.assignment-downloads a.download")]
        assert offered == [f"{assignment.id}.ipynb", *assignment.data], f"{page} offers {offered}"
    for chapter in COURSE.chapters:
        page = f"{chapter.slug}.html"
        block = soup(page).select_one("div.practise-it")
        assert block is not None, f"{page} does not say where to practise it"
        links = {urljoin(page, a["href"]).split("#")[0]: plain(a.get_text()) for a in block.select("a[href]")}
        for assignment in COURSE.practised_by(chapter.slug):
            assert links.get(f"{assignment.page}.html") == f"Assignment {assignment.number}: {assignment.title}", (
                f"{page} does not link {assignment.id} by its title: {links}")


def test_landing_page_shows_the_course_map_and_how_to_work(built):
    document = soup("intro.html")
    figure = document.select_one("figure#course-map img, #course-map img")
    assert figure is not None, "intro.html has no course map figure"
    assert figure["alt"].startswith("Course map")
    image, _ = _local_target("intro.html", figure["src"])
    assert image.is_file() and image.stat().st_size > 20_000, "the course map image is missing or empty"
    for section in ("the-course-map", "set-up", "do-an-assignment", "check-your-work"):
        assert document.find(id=section), f"intro.html has no section #{section}"
    assignment_links = {urljoin("intro.html", a["href"]) for a in document.select("article a[href]")}
    assert any(href.startswith("assignments/") for href in assignment_links)


# ---------------------------------------------------------------- in the browser

@pytest.fixture(scope="module")
def browser(built):
    with browsing(HTML) as chromium:
        yield chromium


def screenshots(edition: str) -> dict[str, Path]:
    """The pages each edition leaves a screenshot of: its landing page and its first chapter."""
    prefix, name = EDITIONS[edition], "" if edition == "en" else f"{edition}-"
    return {f"{prefix}intro.html": SHOTS / f"{name}landing.png",
            f"{prefix}{part_files('Chapters')[0]}.html": SHOTS / f"{name}chapter.png"}


@pytest.fixture(scope="module")
def visits(browser, edition) -> dict[str, Visit]:
    """Every page of an edition, loaded once; screenshots of its landing page and first chapter."""
    shots = screenshots(edition)
    for old in shots.values():
        old.unlink(missing_ok=True)
    result = {page: browser.visit(page, redirects_to=redirect_target(page), screenshot=shots.get(page),
                                  inspect=lambda tab: tab.evaluate(OVERFLOWING_MATH_JS))
              for page in site_pages(edition)}
    lines = [f"{'page':45s} {'requests':>8s} {'outside':>7s} {'failed':>6s} {'errors':>6s} {'math':>9s}"]
    for page, visit in result.items():
        math = f"{visit.math.get('rendered', 0)}/{visit.math.get('total', 0)}"
        lines.append(f"{page:45s} {len(visit.requests):8d} {len(visit.blocked):7d} {len(visit.failed):6d} "
                     f"{len(visit.console_errors):6d} {math:>9s}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"requests{'' if edition == 'en' else '-' + edition}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return result


# Display math wider than the article runs off the page's right edge (the reader sees it cut off):
# every typeset display equation must end inside the article's column.
OVERFLOWING_MATH_JS = """
() => {
  const article = document.querySelector("article.bd-article") || document.querySelector("main");
  if (!article) return [];
  const right = article.getBoundingClientRect().right;
  return [...document.querySelectorAll('mjx-container[display="true"]')]
    .filter(m => { const math = m.querySelector("mjx-math") || m; return math.getBoundingClientRect().right > right + 1; })
    .map(m => (m.textContent || "").trim().slice(0, 80));
}
"""


def test_no_display_equation_runs_off_the_page(visits):
    wide = {page: visit.inspection for page, visit in visits.items() if visit.inspection}
    assert not wide, f"display equations wider than the page's column (split them into lines): {wide}"


def test_every_page_loads_offline_without_errors(visits, edition):
    assert set(visits) == set(site_pages(edition))
    problems = [f"{page}: {problem}" for page, visit in visits.items() for problem in visit.problems()]
    assert not problems, "pages that would break offline or in the console:\n" + "\n".join(problems)
    for page, visit in visits.items():
        local = [url for url in visit.requests if "/_static/" in url]
        assert len(local) >= 5, f"{page} made only {len(visit.requests)} requests: were they recorded?"


def test_math_renders_on_every_page(visits, edition):
    unrendered = []
    for page, visit in visits.items():
        math = visit.math
        if not math:
            unrendered.append(f"{page}: not checked ({visit.load_error})")
            continue
        if math["total"]:
            if not math["scripted"] or not str(math["version"]).startswith("3."):
                unrendered.append(f"{page}: {math['total']} equations but MathJax 3 did not load ({math})")
            elif math["rendered"] != math["total"] or math["unrendered"]:
                unrendered.append(f"{page}: {math['rendered']}/{math['total']} typeset; not: {math['unrendered'][:3]}")
        if math["errors"]:
            unrendered.append(f"{page}: TeX errors {math['errors'][:3]}")
        if math["failed_fonts"]:
            unrendered.append(f"{page}: fonts failed to load {math['failed_fonts']}")
    assert not unrendered, "math that a student would see as raw TeX:\n" + "\n".join(unrendered)
    chapter = visits[f"{EDITIONS[edition]}{part_files('Chapters')[0]}.html"]
    assert chapter.math.get("total"), "the first chapter shows no math: is the math check looking?"
    fonts = [url for url in chapter.requests if "/_static/mathjax/output/chtml/fonts/" in url]
    assert fonts, "MathJax typeset the first chapter without loading its fonts from the site"


def _search_results(browser: Browser, query: str, visit: Visit, landing: str = "intro.html") -> list[str]:
    """Type `query` into the search box of the landing page, as a student does; the result pages."""
    page = browser.open(visit)
    try:
        page.goto(browser.site.url(landing), wait_until="load")
        page.keyboard.press("Control+K")
        box = page.locator("#pst-search-dialog input[name='q']")
        box.wait_for(state="visible")
        box.fill(query)
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search\.html\?q="))
        try:  # searchtools.js writes the summary ("Search finished, ..." in the page's language) when done
            page.wait_for_function("() => (document.querySelector('#search-results p.search-summary')"
                                   "?.textContent || '').trim().length > 0")
        except PlaywrightTimeout:
            raise AssertionError(f"searching {query!r} never finished: {visit.problems()}") from None
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    finally:
        page.close()
    return sorted({urlsplit(href).path.lstrip("/") for href in hrefs})


def test_search_finds_the_pages_that_teach_a_term(browser):
    pages = set(site_pages())
    for query, expected in SEARCHES:
        visit = Visit(f"search: {query}")
        found = _search_results(browser, query, visit)
        assert not visit.problems(), f"searching {query!r}: {visit.problems()}"
        assert found, f"a search for {query!r} finds nothing"
        if expected in pages:
            assert expected in found, f"a search for {query!r} does not find {expected}: {found}"
    nothing = Visit("search: nonsense")
    assert _search_results(browser, "zqxjvbnonsenseword", nothing) == []


def test_screenshots_are_saved(visits, edition):
    for shot in screenshots(edition).values():
        assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{shot} missing"
        assert shot.stat().st_size > 30_000, f"{shot} is suspiciously small: a blank page?"


def test_config_keeps_jupyter_books_extensions_except_thebe():
    """_config.yml replaces JB1's extension list to drop sphinx_thebe; it must not lose anything else."""
    from jupyter_book.config import get_default_sphinx_config

    expected = [name for name in get_default_sphinx_config()["extensions"] if name != "sphinx_thebe"]
    assert CONFIG["sphinx"]["config"]["extensions"] == expected + ["rnn_course.book", "rnn_course.notebooks",
                                                                  "rnn_course.languages"]
