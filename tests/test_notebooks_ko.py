"""The student notebooks in Korean (issue 15): catalogues of their prose, release/ko/<id>/, grading, feedback.

The tests write their own catalogue (every message "translated" to a Korean marker plus the English), so
they do not depend on the translators' progress: rnn_course/notebook_i18n.py extracts and translates,
grading/stock.py's release_translated writes the Korean release, and a Korean submission graded by the
real pipeline must score exactly as the English one with the same answers, with a Korean feedback page.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from babel.messages.pofile import read_po, write_po

from conftest import ROOT, tool_env
from submissions import make_submission, released_course, submit

from grading import stock  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import main as grade_main  # noqa: E402
from rnn_course import notebook_i18n  # noqa: E402

pytestmark = pytest.mark.xdist_group("notebooks_ko")
A01, A03 = "a01_rnn_from_scratch", "a03_parameter_counting"
MARK = "【한】"  # what the tests' catalogue puts before every message
LIMITS = Limits(cell_timeout=8, submission_timeout=90, memory_mb=3072)


def korean(msgid: str) -> str:
    """The tests' translation: the marker in front (inside the first cell of a table row)."""
    return f"| {MARK}{msgid[1:].lstrip()}" if msgid.startswith("|") else MARK + msgid


def translate_catalogues(course: Path, assignments: list[str]) -> None:
    """Fill every message of the course's notebook catalogues with `korean(msgid)`."""
    for assignment in assignments:
        path = notebook_i18n.catalogue_path(course, assignment)
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if message.id:
                message.string = korean(message.id)
                message.flags.discard("fuzzy")
        with path.open("wb") as f:
            write_po(f, catalog)


def cells_but_markdown(nb) -> list[tuple]:
    """What must be identical between the English and the Korean release: every cell's id, type,
    nbgrader metadata and other metadata, and every source but a translatable markdown cell's."""
    return [(c.get("id"), c.cell_type, json.dumps(c.metadata, sort_keys=True),
             None if notebook_i18n.translatable(c) else c.source,
             json.dumps(c.get("outputs"), sort_keys=True)) for c in nb.cells]


# ------------------------------------------------------------------ extraction

@pytest.mark.parametrize("assignment", [a.name for a in sorted((ROOT / "exercises").iterdir()) if a.is_dir()])
def test_extraction_gives_the_prose_and_no_code(assignment):
    nb = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    ids = [m.id for m in notebook_i18n.template(ROOT, assignment) if m.id]
    assert len(ids) >= 5, f"{assignment}: only {len(ids)} messages"
    code_lines = {line.strip() for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
                  if len(line.strip()) > 12}
    for msgid in ids:
        assert "```" not in msgid and "BEGIN SOLUTION" not in msgid and "HIDDEN TESTS" not in msgid, msgid
        assert "NotImplementedError()\n" not in msgid and not msgid.startswith(("#", "$$")), msgid
        assert not any(line in code_lines for line in msgid.splitlines()), f"code in a message: {msgid!r}"
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            assert notebook_i18n.messages_of_cell(cell) == [], "a student's written answer is not translated"
        elif cell.cell_type == "markdown":
            assert notebook_i18n.messages_of_cell(cell), f"markdown cell {cell.get('id')} gave no message"
            # every block put back as it was gives the cell back byte for byte
            assert notebook_i18n.translate_markdown(cell.source, lambda m: m) == cell.source
        else:
            assert notebook_i18n.messages_of_cell(cell) == []
    catalogue = notebook_i18n.catalogue_path(ROOT, assignment)
    assert catalogue.is_file(), f"{catalogue} is missing: run make locales"
    with catalogue.open("rb") as f:
        held = {m.id for m in read_po(f) if m.id}
    assert set(ids) <= held, f"{catalogue.name} is behind the notebook: run make locales"


def test_blocks_are_messages_and_code_math_stay():
    source = ("## Part 1: the cell (3 points)\n\nWrite `f(x)`, the sum\n$x + y$ of two things.\n\n"
              "- first *item*\n  continued\n- `only_code()`\n\n```python\nx = 1  # a comment\n```\n\n$$\na+b\n$$\n\n"
              "| layer | weights |\n| --- | --- |\n| `Dense` | kernel and bias |\n")
    blocks = [b.text for b in notebook_i18n.blocks(source)]
    assert blocks == ["Part 1: the cell (3 points)", "Write `f(x)`, the sum\n$x + y$ of two things.",
                      "first *item*\ncontinued", "| layer | weights |", "| `Dense` | kernel and bias |"]
    out = notebook_i18n.translate_markdown(source, lambda m: "번역\n둘째 줄" if m.startswith("first") else m.upper())
    assert out.startswith("## PART 1: THE CELL (3 POINTS)\n\nWRITE `F(X)`")
    assert "- 번역\n  둘째 줄\n- `only_code()`\n\n```python\nx = 1  # a comment\n```\n\n$$\na+b\n$$\n" in out
    assert "| --- | --- |\n| `DENSE` | KERNEL AND BIAS |\n" in out


def test_update_new_changed_removed(tmp_path):
    """As the book's catalogues: a new message is empty, a changed one fuzzy with its old translation,
    a removed one obsolete."""
    course = tmp_path
    shutil.copytree(ROOT / "exercises" / A01, course / "exercises" / A01)
    notebook_i18n.update(course, [A01])
    translate_catalogues(course, [A01])
    path = course / "exercises" / A01 / f"{A01}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown")
    first, second = notebook_i18n.blocks(cell.source)[:2]
    lines = cell.source.split("\n")
    changed = second.text.replace("recurrent cell", "recurrent unit", 1)
    assert changed != second.text
    lines[second.start:second.end] = changed.split("\n") + ["", "A brand new sentence for the translators."]
    del lines[first.start:first.end]
    cell.source = "\n".join(lines)
    nbformat.write(nb, path)
    notebook_i18n.update(course, [A01])
    with notebook_i18n.catalogue_path(course, A01).open("rb") as f:
        catalog = read_po(f)
    new = catalog.get("A brand new sentence for the translators.")
    assert new is not None and new.string == "" and not new.fuzzy
    fuzzy = catalog.get(changed)
    assert fuzzy is not None and fuzzy.fuzzy and fuzzy.string == korean(second.text)
    assert first.text in catalog.obsolete and catalog.get(first.text) is None


# ------------------------------------------------------------------ release

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with a01 and a03 released in English, their catalogues translated by the tests, and
    due dates in its course.yml (a03 is due in the past: its submissions are late)."""
    folder = tmp_path_factory.mktemp("notebooks_ko")
    shutil.copy(ROOT / "course.yml", folder / "course.yml")
    data = yaml.safe_load((folder / "course.yml").read_text(encoding="utf-8"))
    for entry in data["assignments"]:
        if entry["id"] == A03:
            entry["due"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1, hours=2)).isoformat()
    (folder / "course.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for assignment in (A01, A03):
        released_course(folder, assignment)
    notebook_i18n.update(folder, [A01, A03])
    translate_catalogues(folder, [A01, A03])
    written = stock.release_translated([A01, A03], root=folder)
    assert written == [folder / "release" / "ko" / a / f"{a}.ipynb" for a in (A01, A03)]
    return folder


@pytest.mark.parametrize("assignment", [A01, A03])
def test_korean_release_has_the_same_cells_and_korean_prose(course, assignment):
    english = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    ko = nbformat.read(course / "release" / "ko" / assignment / f"{assignment}.ipynb", as_version=4)
    assert cells_but_markdown(ko) == cells_but_markdown(english)
    assert ko.metadata.rnn_course.language == "ko"
    assert {k: v for k, v in ko.metadata.items() if k != "rnn_course"} == dict(english.metadata)
    translated = 0
    for en_cell, ko_cell in zip(english.cells, ko.cells):
        if notebook_i18n.translatable(en_cell):
            blocks = notebook_i18n.blocks(en_cell.source)
            assert ko_cell.source.count(MARK) == len(blocks), ko_cell.source
            translated += len(blocks)
        elif en_cell.cell_type == "markdown":
            assert ko_cell.source == en_cell.source  # a written answer: the student's, as released
    assert translated >= 15
    data = sorted(p.name for p in (course / "release" / assignment).iterdir())
    assert sorted(p.name for p in (course / "release" / "ko" / assignment).iterdir()) == data
    # nbgrader validates the Korean release as it does the English one
    nbformat.validate(ko)


def test_untranslated_or_fuzzy_fails_naming_catalogue_and_msgid(course, tmp_path):
    locales = tmp_path / "LC_MESSAGES"
    shutil.copytree(course / "locales" / "ko" / "LC_MESSAGES", locales)
    path = locales / "exercises" / f"{A01}.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    messages = [m for m in catalog if m.id]
    messages[1].string = ""
    messages[2].flags.add("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog)
    stale = course / "release" / "ko" / A01
    kept = tmp_path / "kept"
    shutil.copytree(stale, kept)
    try:
        with pytest.raises(SystemExit) as err:
            stock.release_translated([A01, A03], root=course, catalogues=locales)
        text = str(err.value)
        assert f"exercises/{A01}.po: untranslated: msgid {messages[1].id[:100]!r}" in text, text
        assert f"exercises/{A01}.po: fuzzy: msgid {messages[2].id[:100]!r}" in text, text
        assert "2 message(s)" in text
        assert not stale.exists(), "an incomplete translation left an out-of-date Korean release"
        assert (course / "release" / "ko" / A03 / f"{A03}.ipynb").is_file(), "a complete one is released"
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.copytree(kept, stale)


def test_make_release_is_strict_by_default(tmp_path):
    """`python -m grading release` (make release) fails on the course's catalogues while a message is
    untranslated (here the course's own a01 catalogue with one translation removed, as a new English
    sentence leaves it); with --korean off it releases English only."""
    env = tool_env()
    env["PYTHONPATH"] = f"{ROOT}{':' + env['PYTHONPATH'] if env.get('PYTHONPATH') else ''}"
    course = tmp_path / "course"
    shutil.copytree(ROOT / "exercises" / A01, course / "exercises" / A01)
    shutil.copytree(ROOT / "locales", course / "locales", ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    catalogue = notebook_i18n.catalogue_path(course, A01)
    with catalogue.open("rb") as f:
        entries = read_po(f, locale="ko")
    next(m for m in entries if m.id).string = ""
    with catalogue.open("wb") as f:
        write_po(f, entries, width=76)
    command = [sys.executable, "-m", "grading", "release", A01, "--course", str(course)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert f"locales/ko/LC_MESSAGES/exercises/{A01}.po: untranslated: msgid" in done.stderr + done.stdout
    assert (course / "release" / A01 / f"{A01}.ipynb").is_file() and not (course / "release" / "ko" / A01).exists()
    stale = course / "release" / "ko" / A01 / f"{A01}.ipynb"  # as an earlier complete release left it
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    done = subprocess.run(command + ["--korean", "off"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not stale.exists(), "--korean off left a Korean notebook that no longer matches the English one"


# ------------------------------------------------------------------ grading and feedback

STUDENTS = {  # student: (assignment, language, how the notebook is filled)
    "en_full": (A01, "en", "full"), "ko_full": (A01, "ko", "full"),
    "en_wrong": (A01, "en", "wrong"), "ko_wrong": (A01, "ko", "wrong"),
    "en_written": (A03, "en", "full"), "ko_written": (A03, "ko", "full"),
}
PAIRS = [("en_full", "ko_full"), ("en_wrong", "ko_wrong"), ("en_written", "ko_written")]


@pytest.fixture(scope="module")
def graded(course):
    from cases import a01_rnn_from_scratch as cases

    for student, (assignment, language, how) in STUDENTS.items():
        folder = course / "release" / (assignment if language == "en" else f"ko/{assignment}")
        source = course / "exercises" / assignment / f"{assignment}.ipynb"
        overrides = cases.WRONG[0].overrides if how == "wrong" else None
        submit(course, student, assignment, make_submission(folder / f"{assignment}.ipynb", source, overrides))
        when = dt.datetime.now(dt.timezone.utc) if assignment == A03 else dt.datetime(2026, 3, 1, 12)
        (course / "submitted" / student / assignment / "timestamp.txt").write_text(
            when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    for assignment in (A01, A03):
        assert grade_main(assignment, workers=2, force=False, scheduler=None, limits=LIMITS, root=course) == 0
    return course


def grades(course: Path, student: str) -> dict:
    from nbgrader.api import Gradebook

    assignment = STUDENTS[student][0]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        parts = {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade, g.max_score)
                 for nb in submission.notebooks for g in nb.grades}
        return {"parts": parts, "score": submission.score, "late_penalty": submission.late_submission_penalty}


def page(course: Path, student: str) -> str:
    assignment = STUDENTS[student][0]
    return (course / "feedback" / student / assignment / f"{assignment}.html").read_text(encoding="utf-8")


def autograded(course: Path, student: str):
    assignment = STUDENTS[student][0]
    return nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)


@pytest.mark.grading
@pytest.mark.parametrize("english,korean_student", PAIRS)
def test_korean_submission_scores_as_the_english_one(graded, english, korean_student):
    en, ko = grades(graded, english), grades(graded, korean_student)
    assert ko == en
    assert en["parts"], "no grades recorded"
    if english == "en_wrong":
        assert en["score"] < 10
    if english == "en_written":
        assert en["late_penalty"] > 0 and any(needs for _, _, needs, _ in en["parts"].values())
    # the hidden tests' messages are outputs: the same in both notebooks
    outputs = [[(o.get("output_type"), o.get("ename"), o.get("evalue"), o.get("text")) for o in c.get("outputs", [])]
               for c in autograded(graded, english).cells if c.cell_type == "code"]
    assert outputs == [[(o.get("output_type"), o.get("ename"), o.get("evalue"), o.get("text"))
                        for o in c.get("outputs", [])] for c in autograded(graded, korean_student).cells
                       if c.cell_type == "code"]
    # no repair noted for the Korean prose (RestoreStructure restored against the Korean release)
    with (graded / "reports" / STUDENTS[english][0] / "grades.csv").open(newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows[korean_student]["notes"] == rows[english]["notes"] == ""
    assert rows[korean_student]["final_score"] == rows[english]["final_score"]


@pytest.mark.grading
@pytest.mark.parametrize("english,korean_student", PAIRS)
def test_korean_feedback_is_korean_where_it_is_prose(graded, english, korean_student):
    en, ko = page(graded, english), page(graded, korean_student)
    assert MARK not in html.unescape(en) and "<th>Part</th><th>Kind</th>" in en
    for label in ("<th>부분</th><th>종류</th>", '<th class="points">점수</th>', '<td colspan="2">합계</td>',
                  "<td>테스트</td>", '<html lang="ko"'):
        assert label in ko, label
    for english_label in ("<th>Part</th>", "Total</td>", "<td>test</td>", "(Score:", "Score: ", "(Top)",
                          "Test cell</a>", "awaiting grading", "Late submission penalty", "<td>written answer</td>"):
        assert english_label not in ko, english_label
    # the prose of every locked markdown cell is Korean again, though OverwriteCells put the English back
    nb = autograded(graded, korean_student)
    messages = sum(len(notebook_i18n.blocks(c.source)) for c in nb.cells if notebook_i18n.translatable(c))
    assert MARK not in "".join(c.source for c in nb.cells if c.cell_type == "markdown"), \
        "the autograded notebook is expected to hold the English source (OverwriteCells)"
    assert messages >= 10 and html.unescape(ko).count(MARK) >= messages  # headings come as &#...; entities
    if english == "en_wrong":  # a hidden test's message is an output: as the check wrote it
        assert "the bias is missing" in en and "the bias is missing" in ko
    if english == "en_written":
        assert "<td>서술형 답안</td>" in ko and "채점 대기 중 / 2" in ko
        assert "잠정 합계: 4점은 강사의 채점을" in ko
        assert "지각 제출 감점" in ko and re.search(r"마감 시각\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)보다 1일 \d+시간", ko)
        assert "마감 후 1일마다(1일 미만도 1일로 계산) 배점의 10% 감점, 최대 50%" in ko
        assert "awaiting grading / 2" in en and "Late submission penalty" in en


@pytest.mark.grading
def test_make_feedback_keeps_the_korean_page(graded):
    """`make feedback` (after manual grading) regenerates pages from autograded/ through the exporter:
    the Korean page stays Korean."""
    from grading.__main__ import main as grading_main

    assert grading_main(["manual", "set", A03, "ko_written", "answer_1", "2", "--comment", "좋습니다.",
                         "--course", str(graded)]) == 0
    assert grading_main(["feedback", A03, "--course", str(graded)]) == 0
    ko = page(graded, "ko_written")
    assert "<th>부분</th>" in ko and MARK in ko and "<b>의견:</b>" in ko and "좋습니다." in ko
    assert "Part</th>" not in page(graded, "ko_written") and "<th>Part</th>" in page(graded, "en_written")


# ------------------------------------------------------------------ the Korean assignment page

def test_korean_assignment_page_links_the_korean_notebook(tmp_path):
    """rnn_course.book's KoreanDownloads: in a build with language = ko, the download links of an
    assignment page point into release/ko/<id>/; without a Korean release the page says it links English."""
    src = tmp_path / "src"
    (src / "assignments").mkdir(parents=True)
    for folder in ("release/demo_one", "release/ko/demo_one", "release/demo_two"):
        (src / folder).mkdir(parents=True)
    for name in ("release/demo_one/demo_one.ipynb", "release/ko/demo_one/demo_one.ipynb", "release/demo_one/data.txt",
                 "release/ko/demo_one/data.txt", "release/demo_two/demo_two.ipynb"):
        (src / name).write_text("{}")
    (src / "conf.py").write_text("extensions = ['myst_parser', 'rnn_course.book']\n")
    (src / "index.md").write_text("# Index\n\n```{toctree}\nassignments/demo_one\nassignments/demo_two\n```\n")
    (src / "assignments" / "demo_one.md").write_text(
        "# A\n\n{download}`the notebook <../release/demo_one/demo_one.ipynb>` and {download}`data <../release/demo_one/data.txt>`.\n")
    (src / "assignments" / "demo_two.md").write_text("# B\n\n{download}`the notebook <../release/demo_two/demo_two.ipynb>`.\n")
    env = tool_env()
    env["PYTHONPATH"] = f"{ROOT}{':' + env['PYTHONPATH'] if env.get('PYTHONPATH') else ''}"
    for language in ("en", "ko"):
        out = tmp_path / language
        done = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-D", f"language={language}",
                               str(src), str(out)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    ko_page = (tmp_path / "ko" / "assignments" / "demo_one.html").read_text(encoding="utf-8")
    en_page = (tmp_path / "en" / "assignments" / "demo_one.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*_downloads[^"]*)"', ko_page)
    assert len(links) == 2
    hashes = {Path(link).parent.name for link in links}
    assert hashes.isdisjoint({Path(link).parent.name for link in re.findall(r'href="([^"]*_downloads[^"]*)"', en_page)}), \
        "the Korean page links the same files as the English one"
    missing = (tmp_path / "ko" / "assignments" / "demo_two.html").read_text(encoding="utf-8")
    assert "영어 노트북을 연결합니다" in missing
    assert "영어 노트북을" not in (tmp_path / "en" / "assignments" / "demo_two.html").read_text(encoding="utf-8")


def test_make_locales_updates_the_notebook_catalogues(tmp_path, monkeypatch, capsys):
    """`python -m rnn_course i18n update` (make locales) updates locales/ko/LC_MESSAGES/exercises/ with the
    book's catalogues (the Sphinx extraction of the book's pages is left out here: tests/test_book_ko.py)."""
    from rnn_course import i18n

    course = tmp_path
    shutil.copy(ROOT / "course.yml", course)
    shutil.copytree(ROOT / "exercises" / A01, course / "exercises" / A01)
    shutil.copytree(ROOT / "locales", course / "locales", ignore=shutil.ignore_patterns("*.mo"))
    path = course / "exercises" / A01 / f"{A01}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if notebook_i18n.translatable(c))
    cell.source += "\n\nA sentence the catalogue has not seen."
    nbformat.write(nb, path)
    monkeypatch.setattr(i18n, "extract", lambda book: 0)
    assert i18n.update(i18n.Book(course)) == 0
    with notebook_i18n.catalogue_path(course, A01).open("rb") as f:
        message = read_po(f).get("A sentence the catalogue has not seen.")
    assert message is not None and message.string == ""
    assert f"exercises/{A01}.po: its page is no longer in the book" not in capsys.readouterr().out
