"""Grading cost: stock sequential nbgrader vs the course pipeline on the same submissions.

    .venv/bin/python benchmarks/grading_cost.py                  # 40 submissions of a1, 2 workers
    .venv/bin/python benchmarks/grading_cost.py --simulate 1000  # the coordinator alone at scale

Prints wall times and their ratio, the per-submission cost next to its floor (start a kernel and
import what the assignment needs), and the peak memory of the whole process tree. The simulated
run replaces the kernel work with a canned result so that 1,000 submissions exercise the real
coordinator (ledger, gradebook, files) in minutes; it prints the coordinator's memory along the
way and checks that the gradebook holds exactly one scored submission per student.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from submissions import make_submission, submit  # noqa: E402

from grading import stock  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import grade_assignment  # noqa: E402
from grading.worker import Result  # noqa: E402

A = "a01_rnn_from_scratch"
WRONG = {"rnn_cell_step": "def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):\n"
                          "    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)\n"}


class PeakMemory(threading.Thread):
    """Samples the resident memory of this process and all its descendants."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    def run(self):
        me = psutil.Process()
        while self.running:
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def stop(self) -> float:
        self.running = False
        return self.peak / 2**20


def course_with(n: int, tmp: Path) -> Path:
    shutil.copy(ROOT / "nbgrader_config.py", tmp)
    shutil.copytree(ROOT / "exercises" / A, tmp / "exercises" / A)
    stock.release([A], root=tmp)
    source = tmp / "exercises" / A / f"{A}.ipynb"
    release = tmp / "release" / A / f"{A}.ipynb"
    for i in range(n):
        nb = make_submission(release, source, WRONG if i % 4 == 3 else None)
        submit(tmp, f"student{i:04d}", A, nb)
    return tmp


def kernel_floor(repeats: int = 5, assignment: str = A, keras: bool = False) -> float:
    """Seconds to start a kernel, import numpy, the assignment's checks (and Keras), and shut it down."""
    from jupyter_client.manager import start_new_kernel

    code = f"import numpy\nimport rnn_reference.checks.{assignment}" + ("\nimport keras" if keras else "")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        kc.execute_interactive(code, timeout=120)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def compare(n: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        stock_course, ours = course_with(n, Path(a)), course_with(n, Path(b))
        monitor = PeakMemory()
        monitor.start()
        start = time.perf_counter()
        stock.autograde_and_feedback(A, stock_course, Limits())  # the same cell limit as the pipeline's
        stock_seconds = time.perf_counter() - start
        stock_peak = monitor.stop()

        monitor = PeakMemory()
        monitor.start()
        start = time.perf_counter()
        summary = grade_assignment(A, root=ours, workers=workers, progress=False)
        ours_seconds = time.perf_counter() - start
        ours_peak = monitor.stop()
        per_submission = sorted(r["seconds"] for r in summary.results.values())
    floor = kernel_floor()
    median = per_submission[len(per_submission) // 2]
    print(f"{n} submissions of {A}, {workers} workers, {psutil.cpu_count()} cores")
    print(f"stock nbgrader autograde + feedback (sequential): {stock_seconds:7.1f} s   peak memory {stock_peak:6.0f} MB")
    print(f"make grade (parallel, sandboxed):                 {ours_seconds:7.1f} s   peak memory {ours_peak:6.0f} MB")
    print(f"speed-up: {stock_seconds / ours_seconds:.2f}x")
    print(f"per submission inside a worker: median {median:.2f} s "
          f"(floor: kernel start + imports {floor:.2f} s, ratio {median / floor:.2f})")
    print(f"graded {summary.graded}, errors {summary.errors}")


def canned_job(job):
    """Stands in for grade_job in the workers: the real graded notebook of one submission, re-labelled.

    The notebook comes from the file named by $RNN_BENCH_CANNED (spawned workers inherit the
    environment), so the coordinator's whole write path (SaveAutoGrades, files, ledger) is real.
    """
    import json
    import os

    data = json.loads(Path(os.environ["RNN_BENCH_CANNED"]).read_text())
    return Result(job.assignment, job.student, "graded", score=data["score"], max_score=data["max_score"],
                  notebook=data["notebook"], feedback_html="<html>simulated</html>", seconds=0.0)


def simulate(n: int, workers: int) -> None:
    import json
    import os

    from nbgrader.api import Gradebook

    from grading import pipeline

    with tempfile.TemporaryDirectory() as tmp:
        course = course_with(1, Path(tmp))
        real = grade_assignment(A, root=course, workers=1, progress=False)
        assert real.graded == 1
        one = next(iter((course / "submitted").iterdir()))
        notebook = (course / "autograded" / one.name / A / f"{A}.ipynb").read_text()
        canned = Path(tmp) / "canned.json"
        canned.write_text(json.dumps({"notebook": notebook, "score": 10.0, "max_score": 10.0}))
        os.environ["RNN_BENCH_CANNED"] = str(canned)
        for i in range(1, n):
            shutil.copytree(one, course / "submitted" / f"student{i:04d}")
        me = psutil.Process()
        samples = []
        original = pipeline._finish

        def finish(root, ledger, result, print_, summary, gb, *rest):
            original(root, ledger, result, print_, summary, gb, *rest)
            done = summary.graded + summary.errors
            if done % max(1, n // 10) == 0:
                samples.append((done, me.memory_info().rss / 2**20))

        pipeline._finish = finish
        start = time.perf_counter()
        summary = pipeline.grade_assignment(A, root=course, workers=workers, force=True, progress=False,
                                            job_fn=canned_job)
        seconds = time.perf_counter() - start
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
            subs = gb.assignment_submissions(A)
            consistent = (len(subs) == n and len({s.student_id for s in subs}) == n
                          and all(g.auto_score is not None for s in subs for nb in s.notebooks for g in nb.grades))
            total = sum(s.score for s in subs)
    print(f"simulated {n} submissions through the real coordinator in {seconds:.1f} s "
          f"({n / seconds:.1f} per second), {summary.graded} recorded")
    print("coordinator memory (MB) after k submissions: " + ", ".join(f"{k}: {mb:.0f}" for k, mb in samples))
    print(f"gradebook consistent (one scored submission per student): {consistent}; total score {total:g} "
          f"(expected {10 * n})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--simulate", type=int, default=0, help="simulate N submissions (coordinator only)")
    args = parser.parse_args()
    if args.simulate:
        simulate(args.simulate, args.workers)
    else:
        compare(args.submissions, args.workers)
