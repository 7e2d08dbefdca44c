"""The nbgrader exchange loop, with nbgrader's own commands and `make grade` in the middle.

An instructor releases a01 into the exchange, two students list and fetch it, solve it (one right,
one with the recurrent kernel transposed, submitted twice), submit; the instructor collects,
grades with the course's grader, and releases the feedback; each student fetches theirs. Each
student's side is a folder with the `nbgrader_config.py` the README tells students to have (the
course id and the exchange), as on one JupyterHub machine where every user runs nbgrader.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from cases import for_assignment
from conftest import ROOT, tool_env
from submissions import make_submission, released_course

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("exchange")]

A = "a01_rnn_from_scratch"
COURSE_ID = "rnn-course"


def run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("exchange")
    (base / "course").mkdir()
    course = released_course(base / "course", A)
    exchange = base / "exchange"
    env = dict(tool_env(), RNN_COURSE_EXCHANGE=str(exchange), PYTHONPATH=str(ROOT))
    nbgrader = [sys.executable, "-m", "nbgrader"]

    run([*nbgrader, "release_assignment", A], course, env)

    students = {}

    def as_student(student: str) -> dict:
        """A student's environment: their own home, where nbgrader keeps the cache of what they submitted
        (fetch_feedback looks there; on JupyterHub every user has one)."""
        home = base / student
        return dict(env, HOME=str(home), JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"))
    for student in ("alice", "bob"):
        home = base / student
        home.mkdir()
        (home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\nc.Exchange.root = {str(exchange)!r}\n")
        students[student] = home
        listed = run([*nbgrader, "list"], home, as_student(student))
        assert A in listed.stdout + listed.stderr, "nbgrader list shows the released assignment"
        run([*nbgrader, "fetch_assignment", A], home, as_student(student))

    source = course / "exercises" / A / f"{A}.ipynb"
    transposed = next(c for c in for_assignment(A).WRONG if c.name == "recurrent kernel transposed")

    def submit(student: str, overrides: dict | None, solve: bool = True) -> None:
        fetched = students[student] / A / f"{A}.ipynb"
        nb = make_submission(course / "release" / A / f"{A}.ipynb", source, overrides, solve=solve)
        nbformat.write(nb, fetched)
        # the OS user here is the test's; a student on JupyterHub is their own user (or --student)
        run([*nbgrader, "submit", A, "--student", student], students[student], as_student(student))

    submit("alice", None)
    submit("bob", None, solve=False)   # a first, blank submission
    time.sleep(1.1)                    # nbgrader's timestamps have microseconds; keep the two apart anyway
    submit("bob", transposed.overrides)  # the one collected: the latest

    run([*nbgrader, "collect", A], course, env)
    graded = subprocess.run([sys.executable, "-m", "grading", "grade", A, "--course", str(course), "--workers", "2"],
                            cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    run([*nbgrader, "release_feedback", A], course, env)
    for student, home in students.items():
        run([*nbgrader, "fetch_feedback", A, "--student", student], home, as_student(student))
    return course, students, graded, transposed


def test_collect_keeps_the_timestamp_and_grade_records_it(term):
    course, _, graded, _ = term
    assert graded.returncode == 0, graded.stdout + graded.stderr[-4000:]
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for student in ("alice", "bob"):
            stamp = (course / "submitted" / student / A / "timestamp.txt").read_text().strip()
            recorded = gb.find_submission(A, student).timestamp  # nbgrader stores UTC without a zone
            assert recorded.replace(tzinfo=None) == parse_utc(stamp).replace(tzinfo=None), (student, recorded, stamp)
            for folder in ("autograded", "feedback"):
                assert (course / folder / student / A / "timestamp.txt").read_text().strip() == stamp


def test_each_student_fetches_their_own_feedback(term):
    _, students, _, transposed = term
    pages = {}
    for student, home in students.items():
        found = sorted((home / A / "feedback").glob(f"*/{A}.html"))
        assert len(found) == 1, f"{student} fetched {len(found)} feedback pages (their one submission collected): {found}"
        page = found[-1].read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in page and "rnn_reference/checks" not in page
        pages[student] = html.unescape(re.sub(r"<[^>]+>", "", page))  # the text a student reads
    totals = {student: re.search(r"Score: ([\d.]+) / ([\d.]+)", text).groups() for student, text in pages.items()}
    assert totals["alice"] == ("10.0", "10.0") and float(totals["bob"][0]) < 10, totals
    assert f"Likely mistake: the {transposed.hint}" in pages["bob"] and "Likely mistake" not in pages["alice"]


def test_the_latest_submission_is_the_one_graded(term):
    course, _, _, _ = term
    nb = nbformat.read(course / "submitted" / "bob" / A / f"{A}.ipynb", as_version=4)
    assert "recurrent_kernel.T" in "".join(c.source for c in nb.cells), "collect took bob's blank first submission"
    assert sorted(os.listdir(course / "submitted")) == ["alice", "bob"]
