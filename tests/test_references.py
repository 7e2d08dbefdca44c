"""References to chapters and assignments name ones course.yml has, by slug, never by a typed number.

Every tracked Markdown, Python, notebook and YAML file is scanned line by line (a notebook as its
JSON text, so that a failure names the line of the .ipynb file):

- a chapter slug (``chapters/`` + two digits + ``_topic``) must be a chapter in course.yml;
- an assignment id (``a`` + two digits + ``_topic``) must be an assignment in course.yml, and an id
  from before the ids had two digits (``a`` + one digit + an assignment's topic) is stale;
- in a Markdown page, a ``{doc}`` target or a link to a ``.md`` file must be a page of the book;
- prose must not type a chapter's or an assignment's number ("chapter" or "assignment" followed by
  a number): the numbers are positions in course.yml, and a renumbered course must not lie.

ALLOWED lists what must stay, each with its reason. These tests read files only (no build).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT
from rnn_course.manifest import Course, load

COURSE = load()
SUFFIXES = (".md", ".py", ".ipynb", ".yml", ".yaml")
CHAPTER_SLUG = re.compile(r"\bchapters/(\d+_[A-Za-z0-9_]+)")
ASSIGNMENT_ID = re.compile(r"\ba(\d+)_([a-z][a-z0-9_]*)")
NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
TYPED_NUMBER = re.compile(rf"\b(?:chapters?|assignments?|ch\.)\s+(?:\d+|a\d+\b|(?:{NUMBER_WORDS})\b)", re.I)
DOC_ROLE = re.compile(r"(?<!`)\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")  # not `{doc}` quoted as code
MD_LINK = re.compile(r"\]\(([^)\s#]+\.md)(?:#[^)]*)?\)")

# (file, the text matched): why it must stay. Nothing else may name a missing chapter or assignment
# or type a chapter's or an assignment's number.
ALLOWED = {
    ("tests/test_manifest.py", "chapters/99_nowhere"): "a practised chapter the manifest must refuse",
    ("tests/test_manifest.py", "a05_keras_outputs"): "an id out of course order the manifest must refuse",
    ("tests/test_manifest.py", "a9_keras_outputs"): "a one-digit id the manifest must refuse",
    ("tests/test_manifest.py", "a1_rnn_from_scratch"): "the pre-rename id the grading CLI must reject by name",
    ("tests/test_book.py", "chapters/99_broken"): "the chapter of a throwaway book whose cell must fail the build",
}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}: {self.why}"


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted(name for name in listed.stdout.split("\0")
                  if name.endswith(SUFFIXES) and (ROOT / name).is_file()
                  and name != "tests/test_references.py")  # this file names bad references on purpose


def book_pages(course: Course) -> set[str]:
    """Every page of the book, as a path without .md relative to the repository."""
    return ({"intro"} | {c.slug for c in course.chapters} | set(course.reference)
            | {a.page for a in course.assignments})


def _page_target(path: str, target: str) -> str:
    """A {doc} or link target, relative to the page (or to the book's root with a leading /)."""
    base = Path("/") if target.startswith("/") else Path("/", path).parent
    resolved = (base / target.lstrip("/")).resolve().as_posix().lstrip("/")
    return resolved.removesuffix(".md")


def scan_line(path: str, line: str, course: Course) -> list[tuple[str, str]]:
    """(matched text, what is wrong) for every bad reference on one line of `path`."""
    chapters = {c.slug for c in course.chapters}
    ids = {a.id for a in course.assignments}
    topics = {a.id.split("_", 1)[1]: a.id for a in course.assignments}
    found = []
    for match in CHAPTER_SLUG.finditer(line):
        slug = f"chapters/{match.group(1)}"
        if slug not in chapters:
            found.append((slug, "no such chapter in course.yml"))
    for match in ASSIGNMENT_ID.finditer(line):
        digits, rest = match.groups()
        if len(digits) == 2:
            # an id may be followed by more of a name (a01_rnn_from_scratch_feedback.html)
            if not any(match.group(0) == aid or match.group(0).startswith(aid + "_") for aid in ids):
                found.append((match.group(0), "no such assignment in course.yml"))
        else:
            stale = next((aid for topic, aid in topics.items() if rest == topic or rest.startswith(topic + "_")),
                         None)
            if stale:
                found.append((match.group(0), f"an id from before the rename: the assignment is {stale}"))
    for match in TYPED_NUMBER.finditer(line):
        found.append((match.group(0), "a typed number: link by slug ({doc}`/chapters/06_lstm`) or name it"))
    if path.endswith(".md"):
        pages = book_pages(course)
        for target in [m.group(1) for m in DOC_ROLE.finditer(line)] + [m.group(1) for m in MD_LINK.finditer(line)]:
            page = _page_target(path, target.strip())
            if page not in pages and not (ROOT / f"{page}.md").is_file():
                found.append((target, "no such page in the book"))
    return found


def scan(paths: list[str], course: Course) -> list[Problem]:
    problems = []
    for path in paths:
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for matched, why in scan_line(path, line, course):
                if (path, matched) not in ALLOWED:
                    problems.append(Problem(path, number, matched, why))
    return problems


def test_every_reference_names_a_chapter_or_assignment_that_exists():
    files = tracked_files()
    assert len(files) > 50 and "chapters/06_lstm.md" in files, f"only {len(files)} files scanned"
    problems = scan(files, COURSE)
    assert not problems, ("references to chapters or assignments that course.yml does not have, or typed "
                          "numbers (see tests/test_references.py):\n" + "\n".join(map(str, problems)))


def test_every_allowed_exception_is_still_there():
    """An allow-list entry whose text is gone would let a new bad reference through unnoticed."""
    for (path, text), reason in ALLOWED.items():
        assert text in (ROOT / path).read_text(encoding="utf-8"), f"ALLOWED has {path}: {text!r} ({reason}), gone"


@pytest.mark.parametrize(("path", "line", "wrong"), [
    ("chapters/02_keras_shapes.md", "as in [the cell](../chapters/01_recurent_cell.md).", "chapters/01_recurent_cell"),
    ("intro.md", "see {doc}`chapters/12_attention`", "chapters/12_attention"),
    ("intro.md", "see {doc}`the glossary </glosary>`", "/glosary"),
    ("chapters/03_rnn_tasks.md", "in [this one](05_counting.md)", "05_counting.md"),
    ("solutions/rnn_reference/lstm.py", '"""Taught in chapters/6_lstm."""', None),
    ("assignments/a01_rnn_from_scratch.md", "Practise it in {doc}`/assignments/a08_attention`.", "a08_attention"),
    ("grading/x.py", "grade('a4_lstm_gru')", "a4_lstm_gru"),
    ("chapters/07_gru.md", "The LSTM of chapter 6 solves", "chapter 6"),
    ("chapters/07_gru.md", "(see Chapter 6's figure)", "Chapter 6"),
    ("intro.md", "Assignment 2 needs chapters 2 and 4", "Assignment 2"),
    ("data/README.md", "used by assignment a6", "assignment a6"),
    ("glossary.md", "| chapter eleven |", "chapter eleven"),
])
def test_the_scan_catches_a_bad_reference(path, line, wrong):
    """The scanner itself: each of these lines must be reported (so the test above can fail)."""
    found = scan_line(path, line, COURSE)
    assert found, f"{line!r} in {path} was not reported"
    if wrong:
        assert wrong in [text for text, _ in found], f"{line!r}: reported {found}, not {wrong!r}"


@pytest.mark.parametrize(("path", "line"), [
    ("chapters/07_gru.md", "The LSTM ({doc}`/chapters/06_lstm`) solves"),
    ("chapters/02_keras_shapes.md", "as in [the recurrent cell chapter](../chapters/01_recurrent_cell.md)."),
    ("intro.md", "for example {doc}`assignments/a01_rnn_from_scratch` and the [glossary](glossary.md)"),
    ("grading/x.py", "reports/a01_rnn_from_scratch/grades.csv and a3_cases = []"),
    ("chapters/05_counting_parameters.md", "This chapter counts 529,441 parameters in 3 layers"),
])
def test_the_scan_accepts_a_good_reference(path, line):
    assert scan_line(path, line, COURSE) == []


# ---------------------------------------------------------------- the pages read the manifest

@pytest.mark.parametrize("assignment", COURSE.assignments, ids=lambda a: a.id)
def test_assignment_page_takes_its_header_and_downloads_from_the_manifest(assignment):
    text = (ROOT / f"{assignment.page}.md").read_text(encoding="utf-8")
    heading = re.search(r"^# (.+)$", text, re.M)
    assert heading and heading.group(1).strip() == assignment.title, (
        f"{assignment.page}.md: heading {heading.group(1) if heading else None!r}, course.yml's title "
        f"{assignment.title!r} (the build prefixes 'Assignment {assignment.number}: ')")
    for directive in ("assignment-header", "assignment-downloads"):
        assert re.search(rf"^```{{{directive}}} {assignment.id}$", text, re.M), (
            f"{assignment.page}.md does not use {{{directive}}} {assignment.id}")
    assert "**Practises:**" not in text and "**Needs:**" not in text, (
        f"{assignment.page}.md types its own Practises/Needs line: {{assignment-header}} writes it")


@pytest.mark.parametrize("chapter", COURSE.chapters, ids=lambda c: c.slug)
def test_chapter_ends_with_where_to_practise_it(chapter):
    text = (ROOT / chapter.path).read_text(encoding="utf-8")
    assert text.count("```{practise-it}") == 1, f"{chapter.path} should end with one {{practise-it}}"
