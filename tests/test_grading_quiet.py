"""`make grade` and `make check` print what the instructor or student needs, not the kernel's start-up.

A forked grading kernel used to print ipykernel's terminal banner ("Ctrl-C will not work", how to
connect to it) over the progress bar for every submission, and `make check`'s kernel warned that it
was "running over TCP without encryption". Neither may appear; a kernel that dies or does not start
must still be reported, with its own message. A run with nothing new to grade skips nbgrader's
generate_assignment and the isolation probe, and still writes the reports.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, tool_env
from submissions import make_submission, released_course, submit

sys.path.insert(0, str(ROOT))
import grading.pipeline as pipeline  # noqa: E402
from grading.course import generate_assignment  # noqa: E402
from grading.limits import Limits  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("quiet")]
A = "a01_rnn_from_scratch"
LIMITS = Limits(cell_timeout=8, submission_timeout=90, memory_mb=3072)
LIMIT_OPTIONS = ["--cell-timeout", "8", "--submission-timeout", "90", "--memory-mb", "3072"]  # = LIMITS
# ipykernel's start-up lines: its terminal banner (kernelapp.log_connection_info) and its TCP warning
NOISE = ("Ctrl-C will not work", "To connect another client to this kernel", "running over TCP without encryption")
LAST_WORDS = "the kernel's last words before it ends itself"
REFUSES = "this kernel refuses to start"


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(tool_env(), PYTHONPATH=str(ROOT), **env), timeout=600)


def assert_quiet(done: subprocess.CompletedProcess) -> None:
    for line in NOISE:
        assert line not in done.stdout and line not in done.stderr, done.stdout + done.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return released_course(tmp_path_factory.mktemp("quiet"), A)


@pytest.fixture(scope="module")
def graded(course) -> subprocess.CompletedProcess:
    """`python -m grading grade` on a good submission, one whose kernel dies saying why, one whose kernel cannot start."""
    source, release = course / "exercises" / A / f"{A}.ipynb", course / "release" / A / f"{A}.ipynb"
    submit(course, "good", A, make_submission(release, source))
    dies = make_submission(release, source)
    dies.cells.append(nbformat.v4.new_code_cell(
        f"import os, sys\nprint({LAST_WORDS!r}, file=sys.__stderr__, flush=True)\nos._exit(3)"))
    submit(course, "dies", A, dies)
    # a file beside the notebook named as the module the kernel starts from: a kernel that fails to start
    folder = submit(course, "no_start", A, make_submission(release, source)).parent
    (folder / "ipykernel_launcher.py").write_text(f"raise RuntimeError({REFUSES!r})\n")
    return run("grade", A, "--workers", "2", "--course", str(course), *LIMIT_OPTIONS, cwd=course)


def test_grading_shows_progress_and_errors_not_kernel_start_up(graded):
    assert_quiet(graded)
    assert "good: graded 10/10" in graded.stderr
    assert "dies: error: kernel died" in graded.stderr and LAST_WORDS in graded.stderr  # its own message
    assert "no_start: error: kernel died" in graded.stderr and REFUSES in graded.stderr
    assert graded.returncode == 1, graded.stdout + graded.stderr  # two submissions could not be graded


def test_check_prints_the_tests_alone(course):
    done = run("check", str(course / "release" / A / f"{A}.ipynb"), cwd=course)
    assert_quiet(done)
    assert "[IPKernelApp]" not in done.stderr, done.stderr
    assert "0 passed, 4 failed (4 hidden tests run only when graded)" in done.stdout, done.stdout + done.stderr


def test_check_reports_a_kernel_that_does_not_start(course, tmp_path):
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text('c.IPKernelApp.kernel_class = "no_such_module_here.Kernel"\n')
    done = run("check", str(course / "release" / A / f"{A}.ipynb"), cwd=course, IPYTHONDIR=str(tmp_path / "ipython"))
    assert done.returncode == 1
    assert "no_such_module_here" in done.stderr, done.stderr  # the kernel's own message
    assert "the notebook's kernel stopped (Kernel died before replying to kernel_info)" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr  # one line from make check, not nbclient's traceback


def test_a_run_with_nothing_new_skips_nbgrader_and_still_writes_the_reports(course, graded, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("a run with nothing new to grade called it")

    reports = course / "reports" / A
    (reports / "grades.csv").unlink()
    (reports / "grade_distribution.png").unlink()
    monkeypatch.setattr(pipeline, "generate_assignment", must_not_run)
    monkeypatch.setattr(pipeline, "describe_isolation", must_not_run)
    summary = pipeline.grade_assignment(A, root=course, workers=1, limits=LIMITS, progress=False,
                                        job_fn=must_not_run)
    assert (summary.skipped, summary.graded, summary.errors) == (3, 0, 0)
    with (reports / "grades.csv").open() as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(rows["good"]["score"]) == 10.0 and rows["good"]["status"] == "graded"
    assert "kernel died" in rows["dies"]["error"] and "kernel died" in rows["no_start"]["error"]
    assert (reports / "grade_distribution.png").stat().st_size > 0

    # a gradebook that lost the assignment: nbgrader puts it back before the reports read it
    calls = []

    def counted(*args):
        calls.append(args)
        return generate_assignment(*args)

    monkeypatch.setattr(pipeline, "generate_assignment", counted)
    (course / "gradebook.db").rename(course / "gradebook.db.kept")
    try:
        pipeline.grade_assignment(A, root=course, workers=1, limits=LIMITS, progress=False, job_fn=must_not_run)
    finally:
        (course / "gradebook.db").unlink(missing_ok=True)
        (course / "gradebook.db.kept").rename(course / "gradebook.db")
    assert calls == [(A, course)]
