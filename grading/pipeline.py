"""`make grade`: parallel, isolated, resumable autograding on top of nbgrader's gradebook.

The coordinator (this module) reads every submission under submitted/<student>/<assignment>/,
skips those already graded and unchanged (an append-only ledger records a fingerprint of each
graded submission and of the grader), and sends the rest as self-contained jobs to workers: a
local process pool by default, or a Dask cluster (`--scheduler tcp://host:8786`). Each worker
grades in a private temporary course with a sandboxed kernel (`worker.py`, `sandbox.py`) and
returns data. Only the coordinator writes the gradebook, autograded/, feedback/ and reports/,
one submission at a time as results arrive, so an interrupted run loses nothing already graded
and the next run picks up where it stopped.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from .course import ROOT, generate_assignment, require_assignment
from .limits import Limits, names as limit_names
from .sandbox import kill_sandbox
from .worker import Job, Result, fingerprint, grade_job, isolation_summary, read_folder, warm_up

GRADER_FILES = ["nbgrader_config.py"]  # and every module of grading/ (see grader_key)


@dataclass
class Summary:
    assignment: str
    graded: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    csv_path: Path | None = None
    plot_path: Path | None = None
    log_path: Path | None = None  # reports/<assignment>/grading.log: every outcome, and why each error
    results: dict[str, dict] = field(default_factory=dict)
    sandbox_uids: set[int] = field(default_factory=set)  # the uids this run's kernels ran as (root only)


# ------------------------------------------------------------------------------------------------
# What to grade
# ------------------------------------------------------------------------------------------------
def submissions(root: Path, assignment: str) -> list[str]:
    """Students with a folder submitted/<student>/<assignment>/, sorted."""
    base = root / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob(f"*/{assignment}") if p.is_dir() and not p.is_symlink())


def grader_key(root: Path, assignment: str, limits: Limits | None = None) -> str:
    """A hash of what decides a grade besides the submission: the source notebook, the checks, the
    grader's code and configuration, and the limits (a run with a changed limit re-grades everyone)."""
    digest = hashlib.sha256()
    limits = limits or Limits()
    digest.update(json.dumps(limits.as_dict(), sort_keys=True).encode() + b"\0")
    paths = [root / "exercises" / assignment / f"{assignment}.ipynb"]
    paths += [ROOT / name for name in GRADER_FILES]
    paths += sorted((ROOT / "grading").glob("*.py"))
    # the reference package, less the other assignments' check modules (no check imports another's):
    # adding or changing one assignment's checks does not re-grade the others
    package = ROOT / "solutions" / "rnn_reference"
    paths += sorted(p for p in package.rglob("*.py")
                    if not (p.parent.name == "checks" and p.name.startswith("a") and p.stem != assignment))
    for path in paths:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Ledger:
    """reports/<assignment>/ledger.jsonl: one line per finished submission, appended and fsynced."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.latest: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash: that submission is graded again
                self.latest[entry["student"]] = entry

    def append(self, entry: dict) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.latest[entry["student"]] = entry


class RunLog:
    """reports/<assignment>/grading.log: each run's settings, every submission's outcome, and below it
    what the worker returned of nbgrader's log: for a submission that could not be graded the
    traceback and the whole log, for a graded one nbgrader's warnings (appended, flushed line by line,
    so a stopped run keeps what it wrote)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("a", encoding="utf-8")

    def write(self, text: str) -> None:
        self.file.write(text if text.endswith("\n") else text + "\n")
        self.file.flush()

    def submission(self, result: Result) -> None:
        if result.status == "graded":
            line = f"{result.student}: graded {result.score:g}/{result.max_score:g} ({result.seconds:.1f} s)"
            lost = [f"{name} {g['auto_score']:g}/{g['max_score']:g}" for name, g in sorted(result.grades.items())
                    if g.get("auto_score") is not None and g.get("max_score") is not None
                    and g["auto_score"] < g["max_score"]]
            if lost:
                line += "; lost points: " + ", ".join(lost)
            if not result.feedback_html:
                line += "; no feedback page"
        else:
            line = f"{result.student}: error: {result.error} ({result.seconds:.1f} s)"
        if result.notes:
            line += "; repairs: " + "; ".join(result.notes)
        if result.log.strip():  # an error's traceback and log; a graded one's warnings
            line += "\n" + "\n".join("    | " + ln for ln in result.log.rstrip().splitlines())
        self.write(line)

    def close(self) -> None:
        self.file.close()


def _utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


# ------------------------------------------------------------------------------------------------
# Writing results (coordinator only)
# ------------------------------------------------------------------------------------------------
def template_gradebook(root: Path, assignment: str) -> bytes:
    """A gradebook holding only this assignment's source cells: what a worker's private course needs.

    It starts with the schema version of the course's gradebook, so nbgrader does not run `alembic`
    to find it (a second interpreter) when it creates the tables.
    """
    with tempfile.TemporaryDirectory(prefix="rnn-template-") as tmp:
        course = Path(tmp)
        shutil.copy(root / "nbgrader_config.py", course)
        shutil.copytree(root / "exercises" / assignment, course / "exercises" / assignment)
        _copy_schema_version(root / "gradebook.db", course / "gradebook.db")
        generate_assignment(assignment, course)
        return (course / "gradebook.db").read_bytes()


def _copy_schema_version(source: Path, target: Path) -> None:
    import sqlite3

    if not source.is_file():
        return
    with closing(sqlite3.connect(source)) as db:
        try:
            versions = db.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError:
            return  # nbgrader will find the version itself
    with closing(sqlite3.connect(target)) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.executemany("INSERT INTO alembic_version (version_num) VALUES (?)", versions)
        db.commit()


def _db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def _save_auto_grades(gb, nb, result: Result) -> None:
    """nbgrader's SaveAutoGrades, writing through the coordinator's open gradebook.

    nbgrader has no public way to save grades through a gradebook already open: its `preprocess`
    opens one per notebook. This sets the four attributes `preprocess` sets and calls the public
    `preprocess_cell`; tests/test_grading_private_api.py checks it writes what stock
    `SaveAutoGrades.preprocess` writes, so a change in nbgrader fails there, loudly.
    """
    from nbgrader.preprocessors import SaveAutoGrades

    saver = SaveAutoGrades()
    saver.notebook_id, saver.assignment_id, saver.student_id = result.assignment, result.assignment, result.student
    saver.gradebook = gb
    for index, cell in enumerate(nb.cells):
        saver.preprocess_cell(cell, {}, index)


def record(root: Path, result: Result, gb) -> None:
    """Write one result into the gradebook `gb`, autograded/ and feedback/ (the coordinator's job).

    The submission's rows are committed once, together: a crash leaves all of them or none.
    """
    import nbformat

    with _one_commit(gb):
        gb.update_or_create_student(result.student)
        timestamp = _timestamp(root, result)
        submission = gb.update_or_create_submission(result.assignment, result.student,
                                                    **({"timestamp": timestamp} if timestamp else {}))
        if result.status != "graded":
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        else:
            _save_auto_grades(gb, nbformat.reads(result.notebook, as_version=4), result)
    out = root / "autograded" / result.student / result.assignment
    feedback = root / "feedback" / result.student / result.assignment
    for folder in (out, feedback):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    if result.status == "graded":
        (out / f"{result.assignment}.ipynb").write_text(result.notebook, encoding="utf-8")
        (feedback / f"{result.assignment}.html").write_text(result.feedback_html, encoding="utf-8")
    else:
        (feedback / f"{result.assignment}.html").write_text(_error_feedback(result), encoding="utf-8")
    gb.db.expunge_all()  # one session serves the whole run; keep its identity map from growing


@contextmanager
def _one_commit(gb) -> Iterator[None]:
    """Inside: nbgrader's gradebook methods, which commit after every change, only flush; on leaving,
    one commit (one disk sync instead of one per cell), or a rollback if anything failed.

    SQLAlchemy has no public "defer commits" mode, and nbgrader commits by calling `gb.db.commit()`,
    so the session's `commit` is shadowed for the duration. tests/test_grading_private_api.py counts
    the commits a `record` makes (SQLAlchemy's public `after_commit` event) and fails if it is not one.
    """
    session = gb.db
    commit = session.commit
    session.commit = session.flush
    try:
        yield
    except BaseException:
        del session.commit
        session.rollback()
        raise
    del session.commit
    commit()


def _timestamp(root: Path, result: Result):
    from nbgrader.utils import parse_utc

    path = root / "submitted" / result.student / result.assignment / "timestamp.txt"
    try:
        return parse_utc(path.read_text().strip()) if path.is_file() else None
    except (ValueError, OSError):
        return None


def _error_feedback(result: Result) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(result.assignment)}"
            f"</title></head><body><h1>{html.escape(result.assignment)}: not graded</h1>"
            f"<p>Your submission could not be graded: <strong>{html.escape(result.error)}</strong>.</p>"
            f"<p>Score: 0. Fix the problem and submit again, or ask your instructor.</p></body></html>")


# ------------------------------------------------------------------------------------------------
# Reports
# ------------------------------------------------------------------------------------------------
def export(root: Path, assignment: str, ledger: Ledger, students: list[str], gb) -> tuple[Path, Path]:
    """reports/<assignment>/grades.csv (from the gradebook, with status and error) and a histogram PNG."""
    from nbgrader.api import MissingEntry

    folder = root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    max_score = gb.find_assignment(assignment).max_score
    for student in students:
        entry = ledger.latest.get(student, {})
        try:
            score = gb.find_submission(assignment, student).score
        except MissingEntry:
            score = None
        rows.append({"student_id": student, "score": score, "max_score": max_score,
                     "status": entry.get("status", "not graded"), "error": entry.get("error", ""),
                     "notes": "; ".join(entry.get("notes", [])),
                     "seconds": round(entry.get("seconds", 0.0), 2)})
    csv_path = folder / "grades.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student_id"])
        writer.writeheader()
        writer.writerows(rows)
    plot_path = folder / "grade_distribution.png"
    _plot(rows, max_score, assignment, plot_path)
    return csv_path, plot_path


def _plot(rows: list[dict], max_score: float, assignment: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = [r["score"] for r in rows if r["status"] == "graded" and r["score"] is not None]
    errors = sum(r["status"] == "error" for r in rows)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = max(1, int(max_score)) if max_score else 10
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{assignment}: {len(scores)} graded, {errors} not gradable")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------------
class _LocalPool:
    def __init__(self, workers: int):
        self.workers = workers
        # a worker process is replaced after 25 submissions, so a slow leak cannot accumulate;
        # each imports nbgrader when it starts, while the coordinator prepares the run
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                        max_tasks_per_child=25, initializer=warm_up)
        for _ in range(workers):  # start them now (the pool starts one per submitted task)
            self.pool.submit(int)

    def submit(self, fn, job):
        return self.pool.submit(fn, job)

    def wait(self, futures):
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return done

    def close(self, cancel: bool):
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class _DaskPool:
    def __init__(self, scheduler: str):
        from distributed import Client

        self.client = Client(scheduler)
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    def submit(self, fn, job):
        return self.client.submit(fn, job, pure=False)

    def wait(self, futures):
        from distributed import wait as dask_wait

        return dask_wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel: bool):
        self.client.close()


def grade_assignment(assignment: str, *, root: Path = ROOT, workers: int | None = None, force: bool = False,
                     scheduler: str | None = None, limits: Limits | None = None, progress: bool = True,
                     job_fn: Callable[[Job], Result] = grade_job) -> Summary:
    """Grade every new or changed submission of `assignment`; return a Summary (see module doc)."""
    started = time.monotonic()
    root = Path(root)
    require_assignment(assignment, root)
    limits = limits or Limits()
    workers = workers or max(1, os.cpu_count() or 1)
    students = submissions(root, assignment)
    if not students:
        raise SystemExit(f"nothing to grade: no submitted/<student>/{assignment}/ folders in {root}")
    summary = Summary(assignment)
    ledger = Ledger(root / "reports" / assignment / "ledger.jsonl")
    key = grader_key(root, assignment, limits)
    todo, prints = [], {}
    for student in students:
        files = read_folder(root / "submitted" / student / assignment)
        prints[student] = hashlib.sha256((fingerprint(files) + key).encode()).hexdigest()
        previous = ledger.latest.get(student)
        if not force and previous and previous.get("fingerprint") == prints[student]:
            summary.skipped += 1
        else:
            todo.append(student)
    isolation = isolation_summary()
    print(f"{assignment}: {len(students)} submissions, {len(todo)} to grade, {summary.skipped} unchanged "
          f"(--force re-grades); {isolation}", file=sys.stderr)
    summary.log_path = root / "reports" / assignment / "grading.log"
    log = RunLog(summary.log_path)
    log.write(f"== {_utc_now()} grading {assignment}: {len(students)} submissions, {len(todo)} to grade, "
              f"{summary.skipped} unchanged{' (--force)' if force else ''}; "
              f"{scheduler or f'{workers} local workers'}; {isolation}\n"
              "== limits: " + ", ".join(f"{name}={getattr(limits, name)}" for name in limit_names()))
    pool = (_DaskPool(scheduler) if scheduler else _LocalPool(workers)) if todo else None
    try:
        _grade(root, assignment, students, todo, prints, ledger, limits, pool, job_fn, progress, summary, log)
    except BaseException:
        log.write(f"== {_utc_now()} the run failed:\n" + traceback.format_exc())
        raise
    finally:
        if pool is not None:
            pool.close(cancel=True)  # already closed unless preparing the run failed
        summary.seconds = time.monotonic() - started
        log.write(f"== {_utc_now()} {'interrupted' if summary.interrupted else 'finished'}: {summary.graded} graded, "
                  f"{summary.errors} not gradable, {summary.skipped} unchanged, in {summary.seconds:.1f} s")
        log.close()
    return summary


def _grade(root: Path, assignment: str, students: list[str], todo: list[str], prints: dict[str, str],
           ledger: Ledger, limits: Limits, pool, job_fn, progress: bool, summary: Summary, log: RunLog) -> None:
    generate_assignment(assignment, root)  # the gradebook knows the source cells
    if todo:
        template = template_gradebook(root, assignment)
        config = (root / "nbgrader_config.py").read_text()
        exercise_files = {name: data for name, data in read_folder(root / "exercises" / assignment).items()
                          if not name.endswith(".ipynb")}
        release = (root / "release" / assignment / f"{assignment}.ipynb").read_bytes()
        hide = [str(root / name) for name in ("exercises", "submitted", "autograded", "feedback", "release",
                                              "reports", "gradebook.db")]

        def jobs() -> Iterator[Job]:
            for student in todo:
                files = read_folder(root / "submitted" / student / assignment)
                yield Job(assignment, student, files, config, template, exercise_files,
                          limits=asdict(limits), hide=hide, release=release)

    from nbgrader.api import Gradebook

    with Gradebook(_db_url(root), "rnn-course") as gb:  # opened once: nbgrader checks its schema on open
        if todo:
            _run(jobs(), len(todo), pool, progress, job_fn, summary,
                 on_result=lambda r: _finish(root, ledger, r, prints[r.student], summary, gb, log))
        summary.csv_path, summary.plot_path = export(root, assignment, ledger, students, gb)


def _finish(root: Path, ledger: Ledger, result: Result, print_: str, summary: Summary, gb,
            log: RunLog | None = None) -> None:
    try:
        record(root, result, gb)
    except Exception as err:  # a result we cannot store is reported, not fatal to the run
        result.status, result.error = "error", f"could not record the result: {type(err).__name__}: {err}"
        result.log += ("\n" if result.log else "") + traceback.format_exc()
        try:
            gb.db.rollback()
            record(root, Result(result.assignment, result.student, "error", error=result.error), gb)
        except Exception:
            pass  # the ledger line below still names the error
    entry = {"student": result.student, "fingerprint": print_, "status": result.status, "error": result.error,
             "score": result.score, "max_score": result.max_score, "seconds": result.seconds,
             "peak_rss_mb": result.peak_rss_mb, "notes": result.notes, "graded_at": time.time()}
    ledger.append(entry)
    summary.results[result.student] = entry
    if result.sandbox_uid is not None:
        summary.sandbox_uids.add(result.sandbox_uid)
    if result.status == "graded":
        summary.graded += 1
    else:
        summary.errors += 1
    if log is not None:
        log.submission(result)
    print(f"{result.student}: {result.status}"
          + (f" {result.score:g}/{result.max_score:g}" if result.status == "graded" else f": {result.error}")
          + f" ({result.seconds:.1f} s)", file=sys.stderr)


def _run(jobs: Iterator[Job], total: int, pool, progress: bool, job_fn, summary: Summary,
         on_result: Callable[[Result], None]) -> None:
    from tqdm import tqdm

    workers = pool.workers
    bar = tqdm(total=total, unit="submission", disable=not progress, mininterval=1.0, file=sys.stderr,
               dynamic_ncols=True)
    in_flight: dict = {}
    cancelled = True
    try:
        pending = iter(jobs)
        exhausted = False
        while in_flight or not exhausted:
            while not exhausted and len(in_flight) < 2 * workers:  # bounded: memory stays flat
                try:
                    job = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                in_flight[pool.submit(job_fn, job)] = job.student
            if not in_flight:
                break
            for future in pool.wait(in_flight):
                student = in_flight.pop(future)
                try:
                    result = future.result()
                except BaseException as err:  # a worker that died: that submission gets a named error
                    result = Result(summary.assignment, student, "error",
                                    error=f"grading worker failed: {type(err).__name__}: {err}",
                                    log="".join(traceback.format_exception(err)))
                on_result(result)
                bar.update(1)
                bar.set_postfix(graded=summary.graded, failed=summary.errors,
                                left=total - summary.graded - summary.errors)
        cancelled = False
    except KeyboardInterrupt:
        summary.interrupted = True
        print(f"\ninterrupted: {summary.graded + summary.errors} submissions recorded; "
              "run the same command again to continue", file=sys.stderr)
    finally:
        bar.close()
        pool.close(cancel=cancelled)
        if cancelled:
            sweep_sandboxes()


def sweep_sandboxes() -> int:
    """Kill every sandboxed process left by workers that were stopped (root: the sandbox uid range)."""
    import psutil

    killed = 0
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info.get("uids")
        if uids is not None and 200_000 <= uids.real < 300_000:
            killed += kill_sandbox(None, uids.real)
    return killed


def main(assignment: str, *, workers: int | None, force: bool, scheduler: str | None, limits: Limits,
         root: Path = ROOT) -> int:
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a killed run stops like Ctrl-C: what is recorded stays
    summary = grade_assignment(assignment, root=root, workers=workers, force=force, scheduler=scheduler,
                               limits=limits)
    print(f"{assignment}: {summary.graded} graded, {summary.errors} not gradable (named in the CSV), "
          f"{summary.skipped} unchanged, in {summary.seconds:.1f} s")
    print(f"grades: {summary.csv_path}\ndistribution: {summary.plot_path}\nfeedback: {root / 'feedback'}\n"
          f"log (every outcome; the traceback of each submission that could not be graded): {summary.log_path}")
    return 130 if summary.interrupted else 0
