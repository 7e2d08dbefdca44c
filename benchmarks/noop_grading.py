"""A run with nothing new to grade, next to a full run of the same class.

    .venv/bin/python benchmarks/noop_grading.py              # 8 submissions of a01, 2 workers
    .venv/bin/python benchmarks/noop_grading.py --students 40

Each run is `python -m grading grade` as `make grade` starts it (a new interpreter, so its imports
count), on a fresh temporary course: first the full run, then the same command again with every
submission unchanged (the median of --repeats). Prints both wall times and their ratio, and how
the no-op run's own time (the run log's "in N s") splits from the interpreter's start and imports.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from submissions import make_submission, released_course, submit  # noqa: E402

from grading.course import tool_env  # noqa: E402

A = "a01_rnn_from_scratch"


def grade(course: Path, workers: int) -> tuple[float, float, str]:
    """(wall seconds, the run's own seconds as it reports them, its summary line) of one `python -m grading grade`."""
    command = [sys.executable, "-m", "grading", "grade", A, "--workers", str(workers), "--course", str(course)]
    env = dict(tool_env(), PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = re.search(r"^.*graded, .* unchanged, in ([\d.]+) s$", done.stdout, re.M)
    if done.returncode != 0 or not summary:
        raise SystemExit(f"grading failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    return wall, float(summary[1]), summary[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="no-op runs; the median is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rnn-noop-") as tmp:
        course = released_course(Path(tmp), A)
        source, release = course / "exercises" / A / f"{A}.ipynb", course / "release" / A / f"{A}.ipynb"
        for i in range(args.students):
            submit(course, f"student{i:04d}", A, make_submission(release, source))
        full, _, full_line = grade(course, args.workers)
        noops = sorted(grade(course, args.workers) for _ in range(args.repeats))
        noop, noop_own, noop_line = noops[len(noops) // 2]
    print(f"{args.students} submissions of {A}, {args.workers} workers, {os.cpu_count()} cores")
    print(f"full run:                 {full:6.2f} s   ({full_line})")
    print(f"nothing new (median of {args.repeats}): {noop:6.2f} s   ({noop_line})")
    print(f"  of which the run itself {noop_own:6.2f} s; interpreter start and imports {noop - noop_own:5.2f} s")
    print(f"no-op / full: {noop / full:.3f}")


if __name__ == "__main__":
    main()
