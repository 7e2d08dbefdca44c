"""`make grade`: parallel, isolated, resumable autograding on top of nbgrader's gradebook.

The coordinator (this module) reads every submission under submitted/<student>/<assignment>/,
skips those already graded and unchanged (an append-only ledger records a fingerprint of each
graded submission and of the grader), and sends the rest as self-contained jobs to workers: a
local process pool by default, or a Dask cluster (`--scheduler tcp://host:8786`). Each worker
grades in a private temporary course with a sandboxed kernel (`worker.py`, `execute.py`) and
returns data. Only the coordinator writes the gradebook, autograded/, feedback/ and reports/,
one submission at a time as results arrive, so an interrupted run loses nothing already graded
and the next run picks up where it stopped.

Its parts: `ledger.py` (the grader's fingerprint, the ledger, the run's log), `pools.py` (where jobs
run), `worker.py` (one submission, in a worker), `gradebook.py` (recording a result), `reports.py`
(grades.csv and the histogram).
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .course import ROOT, generate_assignment, require_assignment
from .deadlines import apply as apply_deadlines
from .gradebook import db_url, record, template_gradebook
from .ledger import Ledger, RunLog, grader_key, utc_now
from .limits import Limits, names as limit_names
from .pools import DaskPool, LocalPool
from .reports import export
from .watchdog import kill_sandbox
from .isolation import describe as describe_isolation
from .worker import Job, Result, fingerprint, grade_job, read_folder


@dataclass
class Summary:
    assignment: str
    graded: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    late: int = 0  # submissions after their due date (course.yml), penalised by its late policy
    csv_path: Path | None = None
    plot_path: Path | None = None
    log_path: Path | None = None  # reports/<assignment>/grading.log: every outcome, and why each error
    results: dict[str, dict] = field(default_factory=dict)
    sandbox_uids: set[int] = field(default_factory=set)  # the uids this run's kernels ran as (root only)


def submissions(root: Path, assignment: str) -> list[str]:
    """Students with a folder submitted/<student>/<assignment>/, sorted."""
    base = root / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob(f"*/{assignment}") if p.is_dir() and not p.is_symlink())


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
    # nothing to grade, no kernel: the isolation probe (a new interpreter) would describe nothing that runs
    isolation = describe_isolation(limits.network) if todo else "no kernel started"
    print(f"{assignment}: {len(students)} submissions, {len(todo)} to grade, {summary.skipped} unchanged "
          f"(--force re-grades); {isolation}", file=sys.stderr)
    summary.log_path = root / "reports" / assignment / "grading.log"
    log = RunLog(summary.log_path)
    log.write(f"== {utc_now()} grading {assignment}: {len(students)} submissions, {len(todo)} to grade, "
              f"{summary.skipped} unchanged{' (--force)' if force else ''}; "
              f"{scheduler or f'{workers} local workers'}; {isolation}\n"
              "== limits: " + ", ".join(f"{name}={getattr(limits, name)}" for name in limit_names()))
    pool = (DaskPool(scheduler) if scheduler else LocalPool(workers)) if todo else None
    try:
        _grade(root, assignment, students, todo, prints, ledger, limits, pool, job_fn, progress, summary, log)
    except BaseException:
        log.write(f"== {utc_now()} the run failed:\n" + traceback.format_exc())
        raise
    finally:
        if pool is not None:
            pool.close(cancel=True)  # already closed unless preparing the run failed
        summary.seconds = time.monotonic() - started
        log.write(f"== {utc_now()} {'interrupted' if summary.interrupted else 'finished'}: {summary.graded} graded, "
                  f"{summary.errors} not gradable, {summary.skipped} unchanged, in {summary.seconds:.1f} s")
        log.close()
    return summary


def translation_files(root: Path, assignment: str) -> dict[str, bytes]:
    """The Korean release and catalogue of `assignment` (when the course has them), for Job.translations."""
    from rnn_course.notebook_i18n import CATALOGUE_FOLDER, LANGUAGE

    names = [f"release/{LANGUAGE}/{assignment}/{assignment}.ipynb",
             f"locales/{LANGUAGE}/LC_MESSAGES/{CATALOGUE_FOLDER}/{assignment}.po"]
    return {name: (root / name).read_bytes() for name in names if (root / name).is_file()}


def _grade(root: Path, assignment: str, students: list[str], todo: list[str], prints: dict[str, str],
           ledger: Ledger, limits: Limits, pool, job_fn, progress: bool, summary: Summary, log: RunLog) -> None:
    # The gradebook knows the source cells. With nothing to grade they are those every ledger entry was
    # graded against (the source notebook is part of each fingerprint): nbgrader need not run again,
    # unless the gradebook has lost the assignment.
    if todo or not _in_gradebook(root, assignment):
        generate_assignment(assignment, root)
    if todo:
        template = template_gradebook(root, assignment)
        config = (root / "nbgrader_config.py").read_text()
        exercise_files = {name: data for name, data in read_folder(root / "exercises" / assignment).items()
                          if not name.endswith(".ipynb")}
        release = (root / "release" / assignment / f"{assignment}.ipynb").read_bytes()
        translations = translation_files(root, assignment)
        hide = [str(root / name) for name in ("exercises", "submitted", "autograded", "feedback", "release",
                                              "reports", "gradebook.db")]

        def jobs() -> Iterator[Job]:
            for student in todo:
                files = read_folder(root / "submitted" / student / assignment)
                yield Job(assignment, student, files, config, template, exercise_files,
                          limits=asdict(limits), hide=hide, release=release, translations=translations)

    from nbgrader.api import Gradebook

    with Gradebook(db_url(root), "rnn-course") as gb:  # opened once: nbgrader checks its schema on open
        if todo:
            _run(jobs(), len(todo), pool, progress, job_fn, summary,
                 on_result=lambda r: _finish(root, ledger, r, prints[r.student], summary, gb, log))
        lateness = apply_deadlines(root, gb, assignment)  # course.yml's due date and late policy
        summary.late = sum(1 for late in lateness if late.seconds_late > 0)
        summary.csv_path, summary.plot_path = export(root, assignment, ledger, students, gb)
    # A worker wrote each page from its private gradebook, which knows no due date: the page of a late
    # submission graded now is written again from the course's gradebook, with its penalty.
    penalised = [late.student for late in lateness if late.penalty > 0 and late.student in todo
                 and (root / "autograded" / late.student / assignment / f"{assignment}.ipynb").is_file()]
    if penalised:
        from .manual import regenerate_feedback

        for student, problem in regenerate_feedback(root, assignment, penalised):
            log.write(f"== the feedback of {student} (late) was not rewritten with its penalty: {problem}")


def _in_gradebook(root: Path, assignment: str) -> bool:
    """True when the course's gradebook exists and holds `assignment` (without creating either)."""
    from nbgrader.api import Gradebook, MissingEntry

    if not (root / "gradebook.db").is_file():
        return False
    with Gradebook(db_url(root), "rnn-course") as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


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


def _waiting_for_manual_grading(csv_path: Path | None) -> int:
    """How many rows of grades.csv have points a person still has to grade."""
    import csv

    if csv_path is None or not csv_path.is_file():
        return 0
    with csv_path.open(newline="", encoding="utf-8") as f:
        return sum(1 for row in csv.DictReader(f) if float(row.get("points_to_grade") or 0) > 0)


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
    if summary.late:
        print(f"{summary.late} submission{'s were' if summary.late != 1 else ' was'} late: the penalties are in the "
              f"gradebook and the CSV (make late ASSIGNMENT={assignment} lists them)")
    waiting = _waiting_for_manual_grading(summary.csv_path)
    if waiting:
        print(f"{waiting} submission{'s have' if waiting != 1 else ' has'} points waiting for manual grading "
              f"(python -m grading manual list {assignment}); make feedback ASSIGNMENT={assignment} after grading")
    if summary.interrupted:
        return 130
    if summary.errors:  # a script or a CI job must see that some students have no grade yet
        print(f"{summary.errors} submission{'s' if summary.errors != 1 else ''} could not be graded; each error is "
              f"named in {summary.csv_path} and {summary.log_path} (exit status 1)", file=sys.stderr)
        return 1
    return 0
