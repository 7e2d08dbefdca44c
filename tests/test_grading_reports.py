"""The class report and the LMS exports, on a small class of a01 graded once by the pipeline.

The oracle is the in-process runner (submissions.run_notebook): which tests each submission passes
and its points, computed without nbgrader. The class report's pass fractions, the mistakes it counts,
and the scores exported to Canvas and Moodle (with a due date and late policy in course.yml, and a
manual grade set in the gradebook, as an instructor would) must agree with it.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
import yaml
from nbgrader.api import Gradebook

from conftest import ROOT
from submissions import make_submission, released_course, run_notebook, submit
from cases.a01_rnn_from_scratch import WRONG

from grading.__main__ import main as cli  # noqa: E402
from grading.gradebook import db_url  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import grade_assignment  # noqa: E402
from grading.reports import ALL_TESTS, mistakes_in  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("reports")]
A = "a01_rnn_from_scratch"
LIMITS = Limits(cell_timeout=8, submission_timeout=90, memory_mb=3072)
CASES = {case.name: case for case in WRONG}
CLASS = {  # student -> the case submitted (None: the reference solution)
    "ada": None,
    "ben": "recurrent kernel transposed",
    "cy": "recurrent kernel transposed",
    "dee": "bias missing",
}
LATE = ("ada", 2.0)  # the late penalty course.yml's policy charges one submission
MANUAL = ("ben", "test_simple_rnn_forward_state_hidden", 1.0)  # a grader gives ben that test's point by hand
WAITING = ("cy", "test_rnn_cell_step_shape")  # a grade still waiting for a person: no score exported for cy


def overrides(student: str) -> dict[str, str]:
    return CASES[CLASS[student]].overrides if CLASS[student] else {}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded by `make grade`'s pipeline; then a late penalty and a manual grade; then the
    class report (`python -m grading report`) and both exports (`python -m grading export`)."""
    course = released_course(tmp_path_factory.mktemp("reports"), A)
    source = course / "exercises" / A / f"{A}.ipynb"
    release = course / "release" / A / f"{A}.ipynb"
    for student in CLASS:
        submit(course, student, A, make_submission(release, source, overrides(student)))
    summary = grade_assignment(A, root=course, workers=2, limits=LIMITS, progress=False)
    assert summary.graded == len(CLASS), summary
    folder = course / "reports" / A
    after_grade = (folder / "class_report.csv").read_text()  # what `make grade` wrote
    # course.yml: a01 due 2026-03-01 23:59 UTC, 10% a day; ada submitted a day and a half late (two days
    # begun: 2 of her 10 points), as nbgrader's collect would have recorded it
    manifest = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
    manifest["late_policy"] = {"penalty": "10%", "per": "day", "cap": "50%"}
    next(a for a in manifest["assignments"] if a["id"] == A)["due"] = "2026-03-01 23:59 +00:00"
    (course / "course.yml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    with Gradebook(db_url(course), "rnn-course") as gb:
        gb.find_submission(A, LATE[0]).timestamp = datetime.datetime(2026, 3, 3, 11, 59)
        student, cell, score = MANUAL
        gb.find_grade(cell, A, A, student).manual_score = score
        student, cell = WAITING
        gb.find_grade(cell, A, A, student).needs_manual_grade = True
        gb.db.commit()
    assert cli(["report", A, "--course", str(course)]) == 0
    for lms in ("canvas", "moodle"):
        assert cli(["export", lms, "--course", str(course)]) == 0
    runs = {student: run_notebook(A, overrides(student)) for student in CLASS}
    return course, after_grade, runs


def read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def passed(runs: dict, student: str, test: str) -> bool:
    return runs[student].results[test][1] is None or (student, test) == MANUAL[:2]


def test_make_grade_writes_the_class_report(graded):
    course, after_grade, runs = graded
    rows = list(csv.DictReader(after_grade.splitlines()))
    assert [r["grade_id"] for r in rows] == list(runs["ada"].results)  # every test, in notebook order
    for row in rows:
        expected = sum(runs[s].results[row["grade_id"]][1] is None for s in CLASS)
        assert (int(row["n_graded"]), int(row["n_passed"])) == (len(CLASS), expected), row


def test_pass_fraction_per_test_counts_manual_grades(graded):
    course, _, runs = graded
    rows = read(course / "reports" / A / "class_report.csv")
    assert len(rows) == len(runs["ada"].results)
    for row in rows:
        test = row["grade_id"]
        expected = sum(passed(runs, s, test) for s in CLASS)
        assert int(row["n_passed"]) == expected, row
        assert float(row["passed_fraction"]) == pytest.approx(expected / len(CLASS), abs=1e-3)
        assert float(row["points"]) == runs["ada"].results[test][0]


def test_mistakes_are_counted_once_per_student(graded):
    course, _, runs = graded
    mistakes = read(course / "reports" / A / "mistakes.csv")
    counts = {(m["grade_id"], m["mistake"]): int(m["students"]) for m in mistakes}
    assert len(counts) == len(mistakes)  # one row per test and mistake
    forward = [m for (test, m) in counts if test == "test_simple_rnn_forward_state_hidden"
               and CASES["recurrent kernel transposed"].hint in m]
    assert len(forward) == 1 and sum(n for (t, m), n in counts.items() if m == forward[0] and t != ALL_TESTS) == 6
    assert counts[ALL_TESTS, forward[0]] == 2  # three tests name it for ben and for cy: two students
    def named(case: str) -> dict[str, int]:
        return {test: n for (test, mistake), n in counts.items() if CASES[case].hint in mistake}

    transposed, bias = named("recurrent kernel transposed"), named("bias missing")
    assert transposed.get("test_rnn_cell_step_hidden") == 2, mistakes  # ben and cy
    assert bias.get("test_rnn_cell_step_hidden") == 1, mistakes  # dee
    # every count is at most the students who failed that test
    for (test, _), n in counts.items():
        if test == ALL_TESTS:
            continue
        assert n <= sum(runs[s].results[test][1] is not None for s in CLASS)
    report = {r["grade_id"]: r["top_mistakes"] for r in read(course / "reports" / A / "class_report.csv")}
    hidden = report["test_rnn_cell_step_hidden"]
    assert "transposed" in hidden and ": 2 students" in hidden
    assert report["test_rnn_cell_step_shape"] == ""


def test_mistakes_in_failure_messages():
    one = "`rnn_cell_step` returns wrong values. Likely mistake: the bias (0.3) is missing.\n  case: batch=3"
    assert mistakes_in(one) == ["the bias (0.3) is missing"]
    many = ("`rnn_step_backward` returns wrong dx, dh_prev. Likely mistakes:\n  - dx: the tanh slope uses h_prev\n"
            "  - dh_prev: the tanh slope uses h_prev\n  case: batch=2")
    assert mistakes_in(many) == ["the tanh slope uses h_prev"]  # named twice, one mistake
    assert mistakes_in("returns wrong values (largest difference 0.9); no common mistake matches") == []


def test_class_report_plot_is_a_png(graded):
    course, _, _ = graded
    data = (course / "reports" / A / "class_report.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def expected_scores(runs: dict) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for student, run in runs.items():
        score = run.score()
        if student == MANUAL[0]:
            score += MANUAL[2] - (run.results[MANUAL[1]][0] if run.results[MANUAL[1]][1] is None else 0.0)
        if student == LATE[0]:
            score = max(0.0, score - LATE[1])
        scores[student] = None if student == WAITING[0] else score
    return scores


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_canvas_csv(graded):
    course, _, runs = graded
    with (course / "reports" / "lms" / "canvas_grades.csv").open(newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert table[1][0] == "Points Possible" and float(table[1][5]) == 10
    got = {row[3]: number(row[5]) for row in table[2:]}
    assert got == expected_scores(runs)


def test_moodle_csv(graded):
    course, _, runs = graded
    rows = read(course / "reports" / "lms" / "moodle_grades.csv")
    assert list(rows[0]) == ["Username", "Email address", "First name", "Last name", A]
    assert {r["Username"]: number(r[A]) for r in rows} == expected_scores(runs)


def test_export_names_a_bad_assignment(graded, capsys):
    course, _, _ = graded
    assert cli(["export", "canvas", "--assignments", "no_such_assignment", "--course", str(course)]) == 2
    assert "no_such_assignment" in capsys.readouterr().err
