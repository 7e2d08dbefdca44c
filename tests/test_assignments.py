"""Every assignment round-trips through nbgrader: release, submit, autograde, feedback.

For each assignment of the course manifest, in a temporary copy of the course: the source
solutions submitted as a student score full marks, the untouched release scores 0, realistic wrong
solutions score less with their hints in the feedback (five of them, spread over the graded
functions, `cases.round_trip_wrong`; tests/test_checks_notebooks.py grades every one in-process),
a correct solution written differently
scores full marks, and a solution that uses the reference scores 0 on those tests. The release and
the feedback never contain solutions or hidden test code.

Training is what takes the time (a06, a07). A wrong case that leaves the training cell alone
(tests/cases/__init__.py, TRAINING) is submitted with that cell as released, not trained: it must
then lose points on a cell before the training cell, where its mistake is. The solution, the
alternative, the cheat and the wrong trainings are trained and graded in full.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from cases import for_assignment, round_trip_wrong, trains, training_cell
from conftest import ROOT, tool_env
from rnn_course.manifest import load
from submissions import graded_cells_before, make_submission, released_course, submit

sys.path.insert(0, str(ROOT))
from grading.pipeline import grade_assignment  # noqa: E402

pytestmark = pytest.mark.grading
ASSIGNMENTS = [a.id for a in load().assignments]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@pytest.fixture(scope="module", params=[pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS])
def graded(request, tmp_path_factory):
    """A temporary course in which every kind of submission of one assignment has been graded."""
    assignment = request.param
    course = tmp_path_factory.mktemp(assignment)
    released_course(course, assignment)
    source = course / "exercises" / assignment / f"{assignment}.ipynb"
    release = course / "release" / assignment / f"{assignment}.ipynb"
    students = {"solution": make_submission(release, source),
                "blank": nbformat.read(release, as_version=4)}
    cases = for_assignment(assignment)
    untrained = () if training_cell(cases) is None else (training_cell(cases),)
    for case in round_trip_wrong(cases):  # a wrong function needs no trained model to be named
        students[f"wrong_{slug(case.name)}"] = make_submission(
            release, source, case.overrides, unsolved=() if trains(case, cases) else untrained)
    for kind, kind_cases in (("alt", cases.ALTERNATIVE), ("cheat", cases.CHEAT)):
        for case in kind_cases:
            students[f"{kind}_{slug(case.name)}"] = make_submission(release, source, case.overrides)
    for student, nb in students.items():
        submit(course, student, assignment, nb)
    summary = grade_assignment(assignment, root=course, workers=2, progress=False)
    assert summary.errors == 0, summary.results
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="rnn-course") as gb:
        scores = {}
        for student in students:
            submission = gb.find_submission(assignment, student)
            # (score, max_score, graded by hand?): a written answer waits for a person and scores 0 until then
            cells = {g.name: (g.score, g.max_score, g.cell_type == "markdown")
                     for nb in submission.notebooks for g in nb.grades}
            scores[student] = (submission.score, submission.max_score, cells)
    return assignment, course, scores


def feedback(course: Path, student: str, assignment: str) -> str:
    return (course / "feedback" / student / assignment / f"{assignment}.html").read_text(encoding="utf-8")


def manual_points(cells: dict) -> float:
    """The points of the cells a person grades (written answers): autograding leaves them at 0."""
    return sum(max_score for _, max_score, by_hand in cells.values() if by_hand)


def test_points_are_a_round_number(graded):
    assignment, _, scores = graded
    assert scores["solution"][1] == for_assignment(assignment).MAX_SCORE
    assert for_assignment(assignment).MAX_SCORE % 10 == 0


def test_source_solutions_score_full_marks(graded):
    assignment, _, scores = graded
    score, max_score, cells = scores["solution"]
    assert manual_points(cells) == getattr(for_assignment(assignment), "MANUAL_POINTS", 0)
    failed = {name: s for name, s in cells.items() if not s[2] and s[0] != s[1]}
    assert score == max_score - manual_points(cells), f"reference solutions lost points on {failed}"


def test_blank_release_scores_zero(graded):
    _, _, scores = graded
    assert scores["blank"][0] == 0


def test_wrong_solutions_lose_points_and_get_the_hint(graded):
    assignment, course, scores = graded
    module = for_assignment(assignment)
    assert len(module.WRONG) >= 5, "every numeric assignment needs at least five realistic wrong solutions"
    before_training = graded_cells_before(course / "exercises" / assignment / f"{assignment}.ipynb",
                                          training_cell(module))
    for case in round_trip_wrong(module):  # every WRONG case in-process: tests/test_checks_notebooks.py
        student = f"wrong_{slug(case.name)}"
        score, max_score, cells = scores[student]
        assert score < max_score - manual_points(cells), f"{case.name!r} scored full marks"
        if not trains(case, module):  # not trained: the points must be lost where the mistake is
            lost = [name for name in before_training if not cells[name][2] and cells[name][0] < cells[name][1]]
            assert lost, f"{case.name!r} lost no points before the training cell"
        text = feedback(course, student, assignment)
        assert case.hint in text, f"{case.name!r}: feedback does not say {case.hint!r}"


def test_alternative_correct_solutions_score_full_marks(graded):
    assignment, _, scores = graded
    for case in for_assignment(assignment).ALTERNATIVE:
        score, max_score, cells = scores[f"alt_{slug(case.name)}"]
        assert score == max_score - manual_points(cells), f"{case.name!r} lost points: {cells}"


def test_using_the_reference_scores_zero(graded):
    assignment, course, scores = graded
    for case in for_assignment(assignment).CHEAT:
        student = f"cheat_{slug(case.name)}"
        _, _, cells = scores[student]
        for test in case.zero:
            assert cells[test][0] == 0, f"{case.name!r} earned points on {test}"
        assert case.hint in feedback(course, student, assignment)


def test_release_has_no_solutions_or_hidden_tests(graded):
    assignment, course, _ = graded
    release = course / "release" / assignment / f"{assignment}.ipynb"
    raw = release.read_text()
    # the cells' own text too: in the file's JSON a line with quotes is escaped and would never match
    released = "\n".join(cell.source for cell in nbformat.read(release, as_version=4).cells)
    source = nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    assert "BEGIN SOLUTION" not in raw and "HIDDEN TESTS" not in raw
    assert "rnn_reference" not in raw
    for cell in source.cells:
        for region in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S):
            for line in region.splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in raw and line.strip() not in released, \
                        f"solution or hidden test line leaked: {line!r}"


def test_feedback_hides_hidden_tests(graded):
    assignment, course, _ = graded
    source = nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    hidden_lines = [line.strip() for cell in source.cells
                    for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END", cell.source, re.S)
                    for line in region.splitlines() if line.strip()]
    assert hidden_lines
    for student in ("solution", "blank", *(f"wrong_{slug(c.name)}" for c in round_trip_wrong(for_assignment(assignment)))):
        text = feedback(course, student, assignment)
        shown = html.unescape(re.sub(r"<[^>]+>", "", text))  # the page's text: highlighted code is split by tags
        assert "HIDDEN TESTS" not in text
        for line in hidden_lines:
            assert line not in text and line not in shown, f"feedback for {student} shows hidden test code: {line!r}"
        assert "_harness.py" not in text and "rnn_reference/checks" not in text
        assert not re.search(r"""<(script|link)[^>]*(src|href)=["']?(https?:)?//""", text), \
            f"{student}: feedback loads a script or stylesheet from the internet"


def test_source_notebook_passes_its_own_tests(graded, tmp_path):
    assignment, course, _ = graded
    result = subprocess.run([sys.executable, "-m", "grading", "check",
                             str(course / "exercises" / assignment / f"{assignment}.ipynb")],
                            cwd=ROOT, env=tool_env(), text=True, capture_output=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_fails_its_visible_tests(graded):
    assignment, course, _ = graded
    result = subprocess.run(["make", "check", f"NOTEBOOK={course / 'release' / assignment / f'{assignment}.ipynb'}"],
                            cwd=ROOT, env=tool_env(), text=True, capture_output=True)
    assert result.returncode != 0
    assert "FAIL" in result.stdout and " 0 passed" in result.stdout.replace("\n0 passed", "\n 0 passed")
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed and all("is not implemented yet" in line for line in failed), \
        f"make check on the blank release must name the function not implemented yet: {failed}"


@pytest.mark.xdist_group("a01_rnn_from_scratch")
def test_make_check_shows_what_the_catalogue_says():
    """The real `make check` path (a kernel, the release's visible tests) agrees with a01's visible/hidden_only claims,
    which tests/test_checks_notebooks.py holds in-process for every assignment."""
    from visible_catch import check_assignment

    outcomes, disagreements = check_assignment("a01_rnn_from_scratch", workers=1)
    assert outcomes and not disagreements
