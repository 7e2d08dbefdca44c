"""Same grade under load: a class graded by one worker, then again by one worker per core on a machine
kept busy, gets identical scores and identical feedback, for a numpy assignment and a Keras one.

Grading must not depend on timing: a check that raced a clock, a cell limit near a busy kernel's
running time, or a random seed taken from the time would show here as a different score or feedback
text for some student. The second run is forced (`force=True`) into a fresh copy of the course, with
more runnable processes than cores: a worker per core and a CPU-bound process beside them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from cases import for_assignment, trains, training_cell
from submissions import make_submission, released_course, submit

from grading.pipeline import grade_assignment
from rnn_course.manifest import load

pytestmark = pytest.mark.grading

BURN = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end:\n    pass\n"


def graded_class(base: Path, assignment: str, wrong: int) -> Path:
    """A course with the solution, the blank release and `wrong` wrong cases of `assignment`, not yet graded."""
    course = released_course(base, assignment)
    module = for_assignment(assignment)
    source = course / "exercises" / assignment / f"{assignment}.ipynb"
    release = course / "release" / assignment / f"{assignment}.ipynb"
    untrained = () if training_cell(module) is None else (training_cell(module),)
    submit(course, "solution", assignment, make_submission(release, source))
    submit(course, "blank", assignment, nbformat.read(release, as_version=4))
    for i, case in enumerate(c for c in module.WRONG if not trains(c, module)):
        if i == wrong:
            break
        submit(course, f"wrong{i}", assignment,
               make_submission(release, source, case.overrides, unsolved=untrained))
    return course


def outcome(course: Path, assignment: str) -> dict[str, tuple]:
    """Per student: the total, every cell's scores, and a digest of the feedback page."""
    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        for submission in gb.assignment_submissions(assignment):
            student = submission.student_id
            cells = tuple(sorted((g.name, g.auto_score) for nb in submission.notebooks for g in nb.grades))
            page = (course / "feedback" / student / assignment / f"{assignment}.html").read_bytes()
            result[student] = (submission.score, cells, hashlib.sha256(page).hexdigest())
    return result


@pytest.mark.parametrize("assignment", [pytest.param("a01_rnn_from_scratch", marks=pytest.mark.xdist_group("load-a01")),
                                        pytest.param("a09_sequence_tasks", marks=pytest.mark.xdist_group("load-a09"))])
def test_the_same_class_gets_the_same_grades_alone_and_under_load(assignment, tmp_path):
    (tmp_path / "alone").mkdir()
    wrong = 1 if load().assignment(assignment).uses_tensorflow else 2  # a Keras submission takes seconds
    quiet = graded_class(tmp_path / "alone", assignment, wrong)
    busy = tmp_path / "busy"
    shutil.copytree(quiet, busy)

    alone = grade_assignment(assignment, root=quiet, workers=1, progress=False)
    cores = max(2, os.cpu_count() or 2)
    # one CPU-bound process beside `cores` grading workers: more runnable processes than cores (in `make test`
    # the other test worker runs too), without starving the rest of the suite for the whole run
    burners = [subprocess.Popen([sys.executable, "-c", BURN])]
    try:
        loaded = grade_assignment(assignment, root=busy, workers=cores, force=True, progress=False)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()

    assert alone.errors == loaded.errors == 0 and alone.graded == loaded.graded == 2 + wrong
    first, second = outcome(quiet, assignment), outcome(busy, assignment)
    assert set(first) == set(second)
    different = {student: (first[student], second[student]) for student in first if first[student] != second[student]}
    assert not different, f"graded differently under load: {different}"
    scores = {student: total for student, (total, _, _) in first.items()}
    assert scores["solution"] > scores["blank"] == 0 and len(set(scores.values())) > 1  # a class, not one grade
