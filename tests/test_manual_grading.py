"""Manual grading: a03's written answers (4 points) wait for a person, and say so everywhere.

A class of two a03 submissions (the source solution, and a blank one, whose untouched answers nbgrader
scores 0 itself) is graded; grades.csv and the
run's summary say what waits, the feedback says "awaiting grading" (never 0) for those answers; then
`python -m grading manual list/set` grades them by hand and `python -m grading feedback` (make
feedback) regenerates the pages through the course's exporter, as stock `nbgrader generate_feedback`
does too with the course's nbgrader_config.py.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from conftest import ROOT, tool_env
from submissions import hidden_tests, make_submission, released_course, submit

from grading.__main__ import main as grading_main  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import main as grade_main  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("manual")]
A = "a03_parameter_counting"
LIMITS = Limits(cell_timeout=8, submission_timeout=90, memory_mb=3072)
WRITTEN = ["answer_1", "answer_2"]  # markdown answers, 2 points each, graded by a person
TIMESTAMP = "2026-03-01 12:00:00.000000 UTC"


def row(page: str, grade_id: str) -> str:
    """The score cell of `grade_id`'s row in the page's score table."""
    match = re.search(rf'<tr><td><a href="#{grade_id}"><code>{grade_id}</code></a></td><td>[^<]*</td>'
                      rf'<td class="points">([^<]*)</td></tr>', page)
    assert match, f"no score-table row for {grade_id}"
    return match[1]


def total(page: str) -> str:
    match = re.search(r'<tr class="total"><td colspan="2">Total</td><td class="points">([^<]*)</td>', page)
    assert match
    return match[1]


def page_of(course: Path, student: str) -> str:
    return (course / "feedback" / student / A / f"{A}.html").read_text(encoding="utf-8")


def assert_no_hidden_source(page: str) -> None:
    for code in hidden_tests(ROOT / "exercises" / A / f"{A}.ipynb").values():
        line = next(l.strip() for l in code.splitlines() if l.strip() and not l.strip().startswith("#"))
        assert line not in page and line.replace('"', "&quot;") not in page, line
    assert not re.search(r"<script[^>]*src=[\"']?https?://", page)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = released_course(tmp_path_factory.mktemp("manual"), A)
    source = course / "exercises" / A / f"{A}.ipynb"
    release = course / "release" / A / f"{A}.ipynb"
    submit(course, "solver", A, make_submission(release, source))
    submit(course, "blank", A, make_submission(release, source, solve=False))
    (course / "submitted" / "solver" / A / "timestamp.txt").write_text(TIMESTAMP)
    return course


def test_waiting_points_are_reported_then_graded_by_hand_and_feedback_regenerated(graded, capsys):
    course = graded
    assert grade_main(A, workers=2, force=False, scheduler=None, limits=LIMITS, root=course) == 0
    out = capsys.readouterr().out
    assert "1 submission has points waiting for manual grading" in out
    assert f"make feedback ASSIGNMENT={A}" in out

    with (course / "reports" / A / "grades.csv").open(newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["solver"]["points_to_grade"]) == 4
    assert rows["solver"]["awaiting_manual_grading"].split() == WRITTEN
    # an answer left as released is 0 by nbgrader's own rule (unchanged solution cell): nothing to grade
    assert float(rows["blank"]["points_to_grade"]) == 0 and rows["blank"]["awaiting_manual_grading"] == ""

    page = page_of(course, "solver")
    for gid in WRITTEN:
        assert row(page, gid) == "awaiting grading / 2"
    assert "Provisional total: 4 points are awaiting grading" in page
    provisional = float(total(page).split(" / ")[0])

    # the command line: what waits, and a score and a comment per answer
    assert grading_main(["manual", "list", A, "--course", str(course)]) == 0
    listed = capsys.readouterr().out
    for gid in WRITTEN:
        assert re.search(rf"^solver\s+{gid}\s+2$", listed, re.MULTILINE), listed
    assert "blank" not in listed
    assert grading_main(["manual", "set", A, "solver", "answer_1", "2.5", "--course", str(course)]) == 2
    assert "out of range: it must be between 0 and 2" in capsys.readouterr().err
    assert grading_main(["manual", "set", A, "solver", "no_such_cell", "1", "--course", str(course)]) == 2
    assert "no graded answer 'no_such_cell'" in capsys.readouterr().err
    assert grading_main(["manual", "set", A, "solver", "answer_1", "2", "--comment", "Clear and right.",
                         "--course", str(course)]) == 0
    assert grading_main(["manual", "set", A, "solver", "answer_2", "1.5", "--course", str(course)]) == 0
    capsys.readouterr()
    assert grading_main(["manual", "list", A, "--course", str(course)]) == 0
    listed = capsys.readouterr().out
    assert f"{A}: nothing waits for manual grading" in listed
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_grade("answer_1", A, A, "solver").manual_score == 2
        assert gb.find_comment("answer_1", A, A, "solver").manual_comment == "Clear and right."
        score = gb.find_submission(A, "solver").score

    # make feedback: the page now holds the scores and the comment, with nothing hidden leaked
    assert grading_main(["feedback", A, "--course", str(course)]) == 0
    page = page_of(course, "solver")
    assert row(page, "answer_1") == "2 / 2" and row(page, "answer_2") == "1.5 / 2"
    assert "Clear and right." in page and "awaiting grading" not in page
    assert float(total(page).split(" / ")[0]) == pytest.approx(provisional + 3.5) == pytest.approx(score)
    assert_no_hidden_source(page)
    assert (course / "feedback" / "solver" / A / "timestamp.txt").read_text() == TIMESTAMP
    assert row(page_of(course, "blank"), "answer_1") == "0 / 2"

    # an instructor's habit: stock `nbgrader generate_feedback` gives the course's page as well
    (course / "feedback" / "solver" / A / f"{A}.html").unlink()
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_feedback", A,
                           "--student", "solver", "--force"], cwd=course, env=tool_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    page = page_of(course, "solver")
    assert 'class="feedback-summary"' in page and row(page, "answer_1") == "2 / 2"
    assert "Clear and right." in page
    assert_no_hidden_source(page)


def test_a_course_without_a_gradebook_gets_a_clear_error_and_no_empty_gradebook(tmp_path, capsys):
    assert grading_main(["manual", "list", A, "--course", str(tmp_path)]) == 2
    assert f"no gradebook at {tmp_path / 'gradebook.db'}: run make grade first" in capsys.readouterr().err
    assert grading_main(["manual", "set", A, "s", "answer_1", "1", "--course", str(tmp_path)]) == 2
    assert grading_main(["feedback", A, "--course", str(tmp_path)]) == 2
    assert "no autograded submission" in capsys.readouterr().err
    assert not (tmp_path / "gradebook.db").exists()
