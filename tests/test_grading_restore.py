"""Restoring a submission's structure: an nbgrader preprocessor in nbgrader's own lists, no duplicates.

`grading.restore.RestoreStructure` runs first in nbgrader's sanitize step; the autograde list is
nbgrader's own (as the course configures it) with only `Execute` replaced by the sandboxed one, so an
instructor's nbgrader configuration (IgnorePattern, say) applies to `make grade` as to stock nbgrader.
"""

from __future__ import annotations

import copy
import csv
import shutil
import sys

import nbformat
import pytest

from conftest import ROOT
from submissions import grade_id, make_submission, submit

sys.path.insert(0, str(ROOT))
from grading import stock  # noqa: E402
from grading.course import load_config  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import grade_assignment  # noqa: E402
from grading.restore import restore_structure  # noqa: E402
from grading.worker import RESTORE_STRUCTURE, SANDBOXED_EXECUTE, autograde_preprocessors  # noqa: E402


def graded(gid: str, source: str, **meta) -> dict:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": gid, "grade": True, "solution": False, "locked": True,
                                 "points": 1, "schema_version": 3, **meta}
    return cell


def release_notebook():
    nb = nbformat.v4.new_notebook()
    answer = graded("answer", "raise NotImplementedError()", grade=False, solution=True, locked=False)
    del answer.metadata["nbgrader"]["points"]
    scratch = nbformat.v4.new_code_cell("# Scratch space")
    nb.cells = [answer, graded("test_a", "assert answer()"), scratch, graded("test_b", "assert answer(2)")]
    return nb


def sources(nb) -> list[str]:
    return [c["source"] for c in nb["cells"]]


def test_an_ungraded_released_cell_appears_once_where_the_student_left_it():
    release = release_notebook()
    student = copy.deepcopy(release)
    student.cells[0].source = "def answer(x=1): return True"
    student.cells[2].source = "# Scratch space\nprint('my work')"
    restored, notes = restore_structure(student, release)
    assert sources(restored) == ["def answer(x=1): return True", "assert answer()",
                                 "# Scratch space\nprint('my work')", "assert answer(2)"]
    assert notes == []


def test_a_deleted_scratch_cell_stays_deleted_and_a_deleted_test_comes_back():
    release = release_notebook()
    student = copy.deepcopy(release)
    student.cells = [student.cells[0], student.cells[3]]  # scratch and test_a deleted
    restored, notes = restore_structure(student, release)
    assert sources(restored) == ["raise NotImplementedError()", "assert answer()", "assert answer(2)"]
    assert notes == ["deleted cell test_a was restored from the released notebook"]


def test_copies_of_a_cell_get_ids_of_their_own_and_no_grading_metadata():
    release = release_notebook()
    student = copy.deepcopy(release)
    student.cells.insert(1, copy.deepcopy(student.cells[1]))   # test_a twice
    student.cells.append(copy.deepcopy(student.cells[3]))      # the scratch cell twice
    student.cells = list(reversed(student.cells))
    restored, notes = restore_structure(student, release)
    ids = [c["id"] for c in restored["cells"]]
    assert len(ids) == len(set(ids)) == len(student.cells)
    assert [grade_id(c) for c in restored["cells"] if grade_id(c)] == ["answer", "test_a", "test_b"]
    assert "a copy of graded cell test_a was treated as an ordinary cell" in notes
    assert "graded cells were out of order and were put back in the released order" in notes
    nbformat.validate(nbformat.from_dict(restored))  # raises on a duplicate id


def test_an_edited_locked_cell_is_noted():
    release = release_notebook()
    student = copy.deepcopy(release)
    student.cells[1].source = "pass  # the test is gone"
    student.cells[0].source = "def answer(x=1): return True"  # an answer is the student's to edit
    _, notes = restore_structure(student, release)
    assert notes == ["locked cell test_a was edited; its released source is restored"]


def test_the_preprocessor_lists_are_nbgraders_own_with_execute_replaced():
    config = load_config(ROOT)
    sanitize, autograde = autograde_preprocessors(config)
    from nbgrader.converters import Autograde

    stock_sanitize = Autograde.class_traits()["sanitize_preprocessors"].default()
    stock_autograde = Autograde.class_traits()["autograde_preprocessors"].default()
    assert sanitize == [RESTORE_STRUCTURE, *stock_sanitize]
    assert autograde[0] == SANDBOXED_EXECUTE and autograde[1:] == stock_autograde[1:]
    assert any(getattr(p, "__name__", "") == "IgnorePattern" for p in autograde)

    # an instructor's own lists are kept; only Execute is replaced
    config.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute", "grading.feedback.HideHiddenTests"]
    config.Autograde.sanitize_preprocessors = ["nbgrader.preprocessors.OverwriteCells"]
    assert autograde_preprocessors(config) == ([RESTORE_STRUCTURE, "nbgrader.preprocessors.OverwriteCells"],
                                               [SANDBOXED_EXECUTE, "grading.feedback.HideHiddenTests"])
    assert autograde_preprocessors(config, restore=False)[0] == ["nbgrader.preprocessors.OverwriteCells"]
    config.Autograde.autograde_preprocessors = ["no.such.Preprocessor"]
    with pytest.raises(ValueError, match="'no.such.Preprocessor', which cannot be imported"):
        autograde_preprocessors(config)


A = "a03_parameter_counting"  # a released cell without a grade_id: the scratch space for Question 2
MARK = "scratch work kept"


@pytest.fixture(scope="module")
def scratch_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("restore")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with (course / "nbgrader_config.py").open("a") as f:  # an instructor's nbgrader configuration
        f.write("\nc.IgnorePattern.pattern = r'IGNORED-WARNING'\nc.IgnorePattern.enabled = True\n")
    shutil.copytree(ROOT / "exercises" / A, course / "exercises" / A)
    stock.release([A], root=course)
    source, release = course / "exercises" / A / f"{A}.ipynb", course / "release" / A / f"{A}.ipynb"
    nb = make_submission(release, source)
    scratch = [c for c in nb.cells if c.source.startswith("# Scratch space")]
    assert len(scratch) == 1 and grade_id(scratch[0]) is None
    scratch[0].source += f"\nimport sys\nprint('IGNORED-WARNING: noise', file=sys.stderr)\nprint({MARK!r})"
    submit(course, "scratch", A, nb)
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_lstm_params_small"]
    submit(course, "deleted", A, nb)
    summary = grade_assignment(A, root=course, workers=1, progress=False,
                               limits=Limits(cell_timeout=60, submission_timeout=300))
    assert summary.errors == 0, summary.results
    return course


def test_the_scratch_cell_is_graded_and_shown_once(scratch_course):
    nb = nbformat.read(scratch_course / "autograded" / "scratch" / A / f"{A}.ipynb", as_version=4)
    released = nbformat.read(scratch_course / "release" / A / f"{A}.ipynb", as_version=4)
    assert len(nb.cells) == len(released.cells)
    assert sum("# Scratch space" in c.source for c in nb.cells) == 1
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))
    html = (scratch_course / "feedback" / "scratch" / A / f"{A}.html").read_text()
    assert html.count("Scratch space for Question 2") == 1
    assert html.count(MARK) == 2  # its source line and its output, once each


def test_the_instructors_ignore_pattern_applies(scratch_course):
    nb = nbformat.read(scratch_course / "autograded" / "scratch" / A / f"{A}.ipynb", as_version=4)
    scratch = next(c for c in nb.cells if "# Scratch space" in c.source)
    texts = [o.get("text", "") for o in scratch.outputs]
    assert any(MARK in t for t in texts), scratch.outputs
    assert not any("IGNORED-WARNING" in t for t in texts), scratch.outputs


def test_repairs_are_noted_in_the_csv_and_the_log(scratch_course):
    with (scratch_course / "reports" / A / "grades.csv").open() as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    note = "deleted cell test_lstm_params_small was restored from the released notebook"
    assert rows["deleted"]["notes"] == note
    assert rows["scratch"]["notes"] == ""
    assert float(rows["deleted"]["score"]) == float(rows["scratch"]["score"])
    log = (scratch_course / "reports" / A / "grading.log").read_text()
    assert f"deleted: graded {float(rows['deleted']['score']):g}/20" in log and note in log
    # nbgrader's warnings reach the log, but not those the notes already say: one line per submission
    assert len(log.splitlines()) == 2 + 2 + 1, log
