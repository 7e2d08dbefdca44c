"""The run's log file: every submission's outcome, and why a submission could not be graded.

`reports/<id>/grading.log` keeps each run's settings, one line per submission, and for an error the
traceback and nbgrader's log the worker returned (or the worker's own crash), so an instructor can
see why; a re-run with the same limits skips what is recorded, one with a changed limit re-grades.
"""

from __future__ import annotations

import shutil
import sys

import pytest

from submissions import released_course
from conftest import ROOT

sys.path.insert(0, str(ROOT))
from grading import pipeline  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.worker import Result  # noqa: E402

A = "a01_rnn_from_scratch"
# one worker, in file order: the re-run test reads the log the first test's run wrote
pytestmark = pytest.mark.xdist_group("grading_log")


def fake_job(job) -> Result:
    """Runs in a grading worker instead of grade_job: one submission crashes the worker's function,
    the other comes back as an error carrying nbgrader's log."""
    if job.student == "crash":
        raise RuntimeError("the grader broke on purpose")
    if job.student == "nofeedback":  # graded (the released notebook as it is), but no feedback page
        return Result(job.assignment, job.student, "graded", notebook=job.release.decode(), score=10,
                      max_score=10, log="nbgrader generate_feedback failed:\nTemplateNotFound: marker-9c1e")
    return Result(job.assignment, job.student, "error",
                  error=f"kernel died (cell_timeout={job.limits['cell_timeout']})",
                  log="[INFO] Sanitizing\n[ERROR] Traceback (most recent call last):\nZeroDivisionError: marker-7f3a",
                  notes=["deleted cell test_x was restored from the released notebook"])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("log")
    released_course(course, A)
    for student in ("crash", "named", "nofeedback"):
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        shutil.copy(course / "release" / A / f"{A}.ipynb", folder)
    return course


def grade(course, limits: Limits):
    return pipeline.grade_assignment(A, root=course, workers=1, limits=limits, progress=False, job_fn=fake_job)


def test_errors_keep_their_traceback_in_the_run_log(course):
    summary = grade(course, Limits())
    assert summary.errors == 2 and summary.graded == 1 and summary.log_path == course / "reports" / A / "grading.log"
    log = summary.log_path.read_text()
    assert "limits: cell_timeout=300, submission_timeout=900" in log
    # the worker's own crash: named in the CSV, its traceback in the log
    assert "crash: error: grading worker failed: RuntimeError: the grader broke on purpose" in log
    assert "    | Traceback (most recent call last):" in log and "in fake_job" in log
    # an error the worker returned: nbgrader's log, and the repairs made before it
    assert "named: error: kernel died (cell_timeout=300)" in log
    assert "    | ZeroDivisionError: marker-7f3a" in log
    assert "repairs: deleted cell test_x was restored from the released notebook" in log
    # graded, but the feedback failed: said, with nbgrader's error
    assert "nofeedback: graded 10/10 (0.0 s); no feedback page" in log
    assert "    | TemplateNotFound: marker-9c1e" in log
    assert "finished: 1 graded, 2 not gradable, 0 unchanged" in log


def test_a_rerun_appends_and_a_changed_limit_regrades(course):
    before = (course / "reports" / A / "grading.log").read_text()
    again = grade(course, Limits())
    assert again.skipped == 3 and again.errors == 0
    changed = grade(course, Limits(cell_timeout=99))
    assert changed.skipped == 0 and changed.errors == 2 and changed.graded == 1
    assert changed.results["named"]["error"] == "kernel died (cell_timeout=99)"
    log = changed.log_path.read_text()
    assert log.startswith(before)
    assert "0 to grade, 3 unchanged" in log and "limits: cell_timeout=99," in log


def test_the_summary_says_where_the_log_is(course, monkeypatch, capsys):
    log_path = course / "reports" / A / "grading.log"
    monkeypatch.setattr(pipeline, "grade_assignment",
                        lambda *a, **k: pipeline.Summary(A, errors=1, log_path=log_path))
    monkeypatch.setattr(pipeline.signal, "signal", lambda *a: None)
    assert pipeline.main(A, workers=1, force=False, scheduler=None, limits=Limits(), root=course) == 1  # one error
    captured = capsys.readouterr()
    assert str(log_path) in captured.out
    assert "1 submission could not be graded" in captured.err and str(log_path) in captured.err
