"""Per-submission grading time of each assignment, beside a01's (the numpy baseline) and its own floor.

    .venv/bin/python benchmarks/grading_per_assignment.py                  # a01, a02, a08, a09
    .venv/bin/python benchmarks/grading_per_assignment.py a04_lstm_gru --submissions 6

For each assignment, a temporary course with N submissions (the source solutions, and every fourth one
a catalogued wrong case) is graded by the course pipeline (`grade_assignment`, sandboxed, as `make
grade` does) with one worker, so that the per-submission times are not shared between two kernels.
It prints the median seconds per submission, its ratio to a01's, and its ratio to the assignment's
floor: starting a kernel and importing what its grading needs (numpy and the checks, and Keras for an
assignment that needs TensorFlow). That a numpy assignment's grading never loads TensorFlow is tested
(tests/test_checks_notebooks.py), not measured here.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the kernels it starts inherit it (make bench sets it too)
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
from cases import for_assignment, trains, training_cell  # noqa: E402
from grading_cost import kernel_floor  # noqa: E402
from submissions import make_submission, released_course, submit  # noqa: E402

from grading.pipeline import grade_assignment  # noqa: E402
from rnn_course.manifest import load  # noqa: E402

DEFAULT = ["a01_rnn_from_scratch", "a02_keras_outputs", "a08_bptt", "a09_sequence_tasks"]


def per_submission(assignment: str, n: int) -> tuple[float, int]:
    """Median seconds one submission of `assignment` takes inside a worker, and the number graded."""
    module = for_assignment(assignment)
    untrained = () if training_cell(module) is None else (training_cell(module),)
    wrong = [c for c in module.WRONG if not trains(c, module)]
    with tempfile.TemporaryDirectory(prefix=f"bench-{assignment}-") as tmp:
        course = released_course(Path(tmp), assignment)
        source = course / "exercises" / assignment / f"{assignment}.ipynb"
        release = course / "release" / assignment / f"{assignment}.ipynb"
        for i in range(n):
            case = wrong[i // 4 % len(wrong)] if i % 4 == 3 and wrong else None
            nb = make_submission(release, source, case.overrides if case else None,
                                 unsolved=untrained if case else ())
            submit(course, f"student{i:03d}", assignment, nb)
        summary = grade_assignment(assignment, root=course, workers=1, progress=False)
        seconds = sorted(r["seconds"] for r in summary.results.values())
    return seconds[len(seconds) // 2], summary.graded


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=DEFAULT)
    parser.add_argument("--submissions", type=int, default=8, help="submissions per assignment (default 8)")
    args = parser.parse_args(argv)
    ids = args.assignments if "a01_rnn_from_scratch" in args.assignments else ["a01_rnn_from_scratch", *args.assignments]
    course = load()
    rows = []
    for assignment in ids:
        keras = course.assignment(assignment).uses_tensorflow
        median, graded = per_submission(assignment, args.submissions)
        rows.append((assignment, "tensorflow" if keras else "numpy", median, kernel_floor(3, assignment, keras), graded))
    baseline = rows[0][2]
    print(f"{'assignment':28} {'needs':>10} {'s/submission':>12} {'vs a01':>7} {'floor s':>8} {'vs floor':>8}")
    for assignment, needs, median, floor, graded in rows:
        print(f"{assignment:28} {needs:>10} {median:12.2f} {median / baseline:6.2f}x {floor:8.2f} {median / floor:7.2f}x"
              f"   ({graded} graded)")


if __name__ == "__main__":
    main()
