"""CONTRIBUTING.md's steps for adding an assignment are enough: a throwaway assignment made from them is graded end to end.

The test does exactly what the page says, in a temporary copy of the course: the source notebook in
exercises/<id>/, the check module in rnn_reference/checks/, the test cases, the page, and one entry
in course.yml. Then it releases the assignment, checks the visible tests with `make check`'s code,
and grades a class through `make grade`'s pipeline: the source solution scores full marks, the blank
release 0, each wrong case less with its hint, an alternative full marks, a reference-caller 0.

The check module has to live in the installed reference package (the grading kernel imports it
from there), so it is written into solutions/rnn_reference/checks/ under a name .gitignore keeps
out of the repository, and removed afterwards. The grader's fingerprint of the other assignments
does not cover it, so no other test sees a change.
"""

from __future__ import annotations

import importlib.util
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.api import Gradebook

from conftest import ROOT
from rnn_course.manifest import load
from submissions import make_submission, submit

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("contributing")]

COURSE = load()
NUMBER = len(COURSE.assignments) + 1
AID = f"a{NUMBER:02d}_contributing_example"  # the next number, as the page says
CHECKS = ROOT / "solutions" / "rnn_reference" / "checks"

# Step 1: the source notebook (cells as the page describes them)
SOLUTION = '''def last_hidden_state(h_seq):
    """The hidden state after the last step: h_seq (batch, timesteps, units) -> (batch, units)."""
    ### BEGIN SOLUTION
    return h_seq[:, -1, :]  # (batch, units)
    ### END SOLUTION'''
VISIBLE = '''"""last_hidden_state keeps the batch axis and returns the last step."""
h_seq = np.arange(12.0).reshape(2, 3, 2)   # batch=2, timesteps=3, units=2
out = np.asarray(last_hidden_state(h_seq))
assert out.shape == (2, 2), f"expected shape (2, 2), got {out.shape}: keep the batch axis, drop the time axis"
assert np.allclose(out, [[4, 5], [10, 11]]), f"expected the last step [[4, 5], [10, 11]], got {out.tolist()}"'''
HIDDEN = f'''"""last_hidden_state matches the reference on many random inputs (hidden test)."""
### BEGIN HIDDEN TESTS
from rnn_reference.checks.{AID} import check_last_hidden_state
check_last_hidden_state(last_hidden_state)
### END HIDDEN TESTS'''

# Step 2: the check module, on the shared harness
CHECK_MODULE = '''"""Hidden tests for the throwaway assignment of tests/test_contributing.py."""

from __future__ import annotations

from ._harness import call_student, compare, rng_for, uniform, verify_environment


def check_last_hidden_state(last_hidden_state) -> None:
    """last_hidden_state(h_seq) equals h_seq[:, -1, :] on random shapes."""
    verify_environment()
    for case_index in range(20):
        rng = rng_for("last_hidden_state", case_index)
        batch, timesteps, units = (int(v) for v in rng.integers(1, 6, size=3))
        timesteps += 1
        h_seq = uniform(rng, (batch, timesteps, units))
        got = call_student(last_hidden_state, "last_hidden_state", h_seq.copy())
        compare("last_hidden_state", got, [h_seq[:, -1, :]], case=f"h_seq shape {h_seq.shape}",
                mistakes={"the first step is returned instead of the last": lambda: h_seq[:, 0, :]})


__all__ = ["check_last_hidden_state"]
'''

# Step 3: the test cases
CASES_MODULE = f'''from cases import Case

MAX_SCORE = 10
WRONG = [Case("first step", {{"last_hidden_state": "def last_hidden_state(h_seq):\\n    return h_seq[:, 0, :]\\n"}},
              hint="the first step is returned instead of the last", visible="expected the last step")]
ALTERNATIVE = [Case("by index", {{"last_hidden_state":
                    "def last_hidden_state(h_seq):\\n    return h_seq[:, h_seq.shape[1] - 1]\\n"}})]
CHEAT = [Case("reference", {{"last_hidden_state":
              "from rnn_reference.utils import set_seed\\n"
              "def last_hidden_state(h_seq):\\n    set_seed(0)\\n    return h_seq[:, -1, :]\\n"}},
              hint="calls the reference package", zero=("test_last_hidden_state_hidden",))]
'''


def _cell(kind: str, source: str, grade_id: str, *, solution=False, grade=False, points=None):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [
        _cell("markdown", "# A throwaway assignment\n\nWrite `last_hidden_state(h_seq)`.", "intro"),
        _cell("code", "import numpy as np", "imports"),
        _cell("code", SOLUTION, "last_hidden_state", solution=True),
        _cell("code", VISIBLE, "test_last_hidden_state_visible", grade=True, points=4),
        _cell("code", HIDDEN, "test_last_hidden_state_hidden", grade=True, points=6),
    ]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course with the throwaway assignment added by CONTRIBUTING.md's steps."""
    course = tmp_path_factory.mktemp("contributing")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    # Step 1: the source notebook in exercises/<id>/
    folder = course / "exercises" / AID
    folder.mkdir(parents=True)
    nbformat.write(_notebook(), folder / f"{AID}.ipynb")
    # Step 2: the check module (removed again below)
    from grading.ledger import grader_key

    keys = {a: grader_key(ROOT, a) for a in ("a01_rnn_from_scratch", AID)}
    check_path = CHECKS / f"{AID}.py"
    check_path.write_text(CHECK_MODULE, encoding="utf-8")
    # the new checks are part of the new assignment's grader fingerprint, and of no other's: a test
    # grading another assignment meanwhile is not made to re-grade
    assert grader_key(ROOT, AID) != keys[AID]
    assert grader_key(ROOT, "a01_rnn_from_scratch") == keys["a01_rnn_from_scratch"]
    # Step 3: the test cases
    cases_path = course / "tests" / "cases" / f"{AID}.py"
    cases_path.parent.mkdir(parents=True)
    cases_path.write_text(CASES_MODULE, encoding="utf-8")
    # Step 4: the page
    (course / "assignments").mkdir()
    (course / "assignments" / f"{AID}.md").write_text(
        f"# A throwaway\n\n```{{assignment-header}} {AID}\n```\n\n```{{assignment-downloads}} {AID}\n```\n",
        encoding="utf-8")
    # Step 5: one manifest entry
    manifest = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
    manifest["assignments"].append({"id": AID, "title": "A throwaway", "practises": ["chapters/08_reading_outputs"],
                                    "points": 10, "needs": "numpy", "data": []})
    (course / "course.yml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    try:
        yield course
    finally:
        check_path.unlink(missing_ok=True)


def _cases(course: Path):
    spec = importlib.util.spec_from_file_location(f"cases.{AID}", course / "tests" / "cases" / f"{AID}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_manifest_takes_the_new_entry(course):
    from grading.course import assignment_ids

    added = load(course / "course.yml").assignment(AID)
    assert added.number == NUMBER and added.practises[0].slug == "chapters/08_reading_outputs"
    assert assignment_ids(course) == [AID]  # the copy has only the new assignment's notebook


def test_the_new_assignment_is_released_checked_and_graded_end_to_end(course):
    from grading import stock
    from grading.pipeline import grade_assignment
    from grading.selfcheck import run_visible_tests

    stock.release([AID], root=course)
    release = course / "release" / AID / f"{AID}.ipynb"
    source = course / "exercises" / AID / f"{AID}.ipynb"
    assert "BEGIN SOLUTION" not in release.read_text() and "rnn_reference" not in release.read_text()

    statuses = {r.grade_id: r.status for r in run_visible_tests(source)}  # hidden tests run in the source
    assert statuses == {"test_last_hidden_state_visible": "passed", "test_last_hidden_state_hidden": "passed"}
    statuses = {r.grade_id: r.status for r in run_visible_tests(release)}
    assert statuses == {"test_last_hidden_state_visible": "failed", "test_last_hidden_state_hidden": "hidden"}

    cases = _cases(course)
    students = {"solution": make_submission(release, source), "blank": nbformat.read(release, as_version=4)}
    for kind, group in (("wrong", cases.WRONG), ("alt", cases.ALTERNATIVE), ("cheat", cases.CHEAT)):
        for i, case in enumerate(group):
            students[f"{kind}_{i}"] = make_submission(release, source, case.overrides)
    for student, nb in students.items():
        submit(course, student, AID, nb)
    summary = grade_assignment(AID, root=course, workers=2, progress=False)
    assert summary.errors == 0, summary.results

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="rnn-course") as gb:
        def score(student):
            submission = gb.find_submission(AID, student)
            return submission.score, submission.max_score, {g.name: g.score for nb in submission.notebooks
                                                            for g in nb.grades}
        assert score("solution")[:2] == (cases.MAX_SCORE, cases.MAX_SCORE)
        assert score("blank")[0] == 0
        assert score("alt_0")[0] == cases.MAX_SCORE
        assert score("wrong_0")[0] < cases.MAX_SCORE
        assert score("cheat_0")[2]["test_last_hidden_state_hidden"] == 0

    def feedback(student):
        return (course / "feedback" / student / AID / f"{AID}.html").read_text(encoding="utf-8")
    assert cases.WRONG[0].hint in feedback("wrong_0")
    assert cases.CHEAT[0].hint in feedback("cheat_0")
    assert "check_last_hidden_state(last_hidden_state)" not in feedback("wrong_0")


def test_the_check_module_is_kept_out_of_the_repository():
    ignored = (ROOT / ".gitignore").read_text()
    assert "*_contributing_example.py" in ignored
    assert "tests/test_contributing.py" in (ROOT / "CONTRIBUTING.md").read_text()
