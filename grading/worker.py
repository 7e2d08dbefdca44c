"""Grade one submission, isolated: a pure function from a job to a result, run in a worker process.

The job carries everything as data (the submission's files, the course configuration, a template
gradebook holding only this assignment's source cells, the exercise's data files), so the worker
may run on this machine or on a Dask worker elsewhere. It builds a private temporary course,
runs nbgrader's own autograde preprocessors there with `Execute` replaced by the sandboxed one,
generates the feedback, and returns scores, the autograded notebook and the feedback as data.
It never touches the real course: only the coordinating process writes the gradebook and files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .course import load_config, nbgrader_api
from .feedback import offline_html
from .limits import Limits
from .restore import RestoreStructure, repairs_in_log
from .isolation import sandbox_uid
from .watchdog import read_verdict


@dataclass
class Job:
    assignment: str
    student: str
    files: dict[str, bytes]            # the submission folder: relative path -> content
    config: str                        # nbgrader_config.py text
    template_gradebook: bytes          # gradebook.db with only this assignment (from generate_assignment)
    exercise_files: dict[str, bytes]   # exercises/<id>/ files other than notebooks (data the notebook reads)
    limits: dict = field(default_factory=lambda: asdict(Limits()))
    hide: list[str] = field(default_factory=list)  # paths the kernel must not see on this machine
    release: bytes = b""                           # the released notebook: the structure to restore
    # course files a translated submission needs, by path in the course: its release (release/ko/<id>/<id>.ipynb,
    # the structure RestoreStructure gives it back) and its catalogue (the feedback's prose)
    translations: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Result:
    assignment: str
    student: str
    status: str                        # "graded" or "error"
    error: str = ""                    # named error when status == "error"
    grades: dict[str, dict] = field(default_factory=dict)   # grade_id -> {auto_score, max_score}
    score: float = 0.0
    max_score: float = 0.0
    notebook: str = ""                 # the autograded notebook (JSON), for SaveAutoGrades and autograded/
    feedback_html: str = ""
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    notes: list[str] = field(default_factory=list)  # repairs made to the notebook's structure
    log: str = ""                      # an error: nbgrader's log and traceback; graded: its warnings
    sandbox_uid: int | None = None     # the uid this submission's kernel ran as (root only)


def fingerprint(files: dict[str, bytes]) -> str:
    """A hash of a submission folder's paths and contents."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def read_folder(folder: Path, skip=(".ipynb_checkpoints", "__pycache__")) -> dict[str, bytes]:
    """Every regular file below `folder` (symlinks and special files are not followed)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if any(part in skip for part in path.relative_to(folder).parts):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def _check_notebook(job: Job) -> str | None:
    """A named error for a submission that cannot be graded at all, else None."""
    name = f"{job.assignment}.ipynb"
    if name not in job.files:
        others = sorted(n for n in job.files if n.endswith(".ipynb"))
        return (f"missing notebook: {name} not submitted"
                + (f" (found {', '.join(others)}; was it renamed?)" if others else ""))
    content = job.files[name]
    if not content.strip():
        return f"empty notebook file: {name} has no content"
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"invalid notebook: {name} is not valid JSON ({err})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return f"invalid notebook: {name} has no list of cells"
    return None


def _write_course(job: Job, course: Path) -> None:
    (course / "nbgrader_config.py").write_text(job.config)
    db = course / "gradebook.db"
    db.write_bytes(job.template_gradebook)
    os.chmod(db, stat.S_IRUSR | stat.S_IWUSR)  # the sandboxed kernel cannot read it (hidden test source)
    exercise = course / "exercises" / job.assignment
    exercise.mkdir(parents=True)
    for name, content in job.exercise_files.items():
        (exercise / name).parent.mkdir(parents=True, exist_ok=True)
        (exercise / name).write_bytes(content)
    if job.release:  # the structure RestoreStructure gives the submission back
        release = course / "release" / job.assignment
        release.mkdir(parents=True)
        (release / f"{job.assignment}.ipynb").write_bytes(job.release)
    for name, content in job.translations.items():
        target = (course / name).resolve()
        if target.is_relative_to(course.resolve()) and name.startswith(("release/", "locales/")):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    submission = course / "submitted" / job.student / job.assignment
    submission.mkdir(parents=True)
    for name, content in job.files.items():
        target = (submission / name).resolve()
        if not str(target).startswith(str(submission.resolve()) + os.sep):
            continue  # a path that escapes the folder is not copied
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for folder, _, _ in os.walk(course):  # traversable by the sandbox uid, not listable
        os.chmod(folder, 0o711 if Path(folder) == course else 0o755)


SANDBOXED_EXECUTE = "grading.execute.SandboxedExecute"
RESTORE_STRUCTURE = "grading.restore.RestoreStructure"


def _configured(config, name: str) -> list:
    """Autograde's preprocessor list `name` as the course configures it, else nbgrader's default."""
    from nbgrader.converters import Autograde

    if name in config.Autograde:
        return list(config.Autograde[name])
    return list(Autograde.class_traits()[name].default())


def autograde_preprocessors(config, restore: bool = True) -> tuple[list, list]:
    """(sanitize, autograde) preprocessor lists: nbgrader's own, as configured, with two changes.

    In the sanitize list `RestoreStructure` goes first (when `restore`), so DeduplicateIds,
    OverwriteCells and CheckCellMetadata see the released structure; in the autograde list nbgrader's
    `Execute` (or a configured subclass of it) is replaced by `SandboxedExecute`. Everything else an
    instructor configured (IgnorePattern, a preprocessor of their own) runs as in stock nbgrader.
    """
    from nbgrader.preprocessors import Execute
    from traitlets.utils.importstring import import_item

    def is_execute(item) -> bool:
        if item == SANDBOXED_EXECUTE:
            return False
        try:
            cls = import_item(item) if isinstance(item, str) else item
        except ImportError as err:
            raise ValueError(f"Autograde.autograde_preprocessors names {item!r}, which cannot be imported: "
                             f"{err}") from None
        return isinstance(cls, type) and issubclass(cls, Execute) and cls.__name__ != "SandboxedExecute"

    sanitize = [p for p in _configured(config, "sanitize_preprocessors") if p != RESTORE_STRUCTURE]
    if restore:
        sanitize.insert(0, RESTORE_STRUCTURE)
    autograde = [SANDBOXED_EXECUTE if is_execute(p) else p for p in _configured(config, "autograde_preprocessors")]
    return sanitize, autograde


def _nbgrader_config(job: Job, course: Path):
    config = load_config(course)
    sanitize, autograde = autograde_preprocessors(config, restore=bool(job.release))
    config.Autograde.sanitize_preprocessors = sanitize
    config.Autograde.autograde_preprocessors = autograde
    limits = Limits(**job.limits)
    config.SandboxedExecute.limits = asdict(limits)
    config.SandboxedExecute.workdir = str(course / "sandbox")
    config.SandboxedExecute.verdict_file = str(course / "verdict.json")  # out of the kernel's reach
    config.SandboxedExecute.hide = [p for p in job.hide if os.path.exists(p)]
    config.SandboxedExecute.timeout = limits.cell_timeout
    config.SandboxedExecute.interrupt_on_timeout = True
    # the kernel is killed with its whole sandbox afterwards: no need for a polite shutdown
    config.SandboxedExecute.shutdown_kernel = "immediate"
    config.GenerateFeedback.exporter_class = FEEDBACK_EXPORTER
    return config


FEEDBACK_EXPORTER = "grading.feedback.CachedHTMLExporter"  # the course's page (grading/feedback.py)


def generate_feedback(api, course: Path, assignment: str, student: str) -> tuple[str | None, dict]:
    """nbgrader's generate_feedback for one submission of the course at `course`: (the page, or None when
    nbgrader wrote none, and nbgrader's outcome). `api`'s config names FEEDBACK_EXPORTER as
    GenerateFeedback's exporter; `make feedback` (grading/manual.py) regenerates pages with this too."""
    outcome = api.generate_feedback(assignment, student, force=True)
    html = course / "feedback" / student / assignment / f"{assignment}.html"
    if outcome["success"] and html.is_file():
        return offline_html(html.read_text(encoding="utf-8")), outcome
    return None, outcome


def _read_grades(course: Path, job: Job) -> tuple[dict, float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(job.assignment, job.student)
        grades = {g.name: {"auto_score": g.auto_score, "max_score": g.max_score}
                  for nb in submission.notebooks for g in nb.grades}
        return grades, float(submission.score), float(submission.max_score)


def grade_job(job: Job) -> Result:
    """Grade one submission in a private temporary course; never raises, never writes the real course."""
    started = time.monotonic()
    result = Result(job.assignment, job.student, status="error", sandbox_uid=sandbox_uid())
    problem = _check_notebook(job)
    if problem:
        result.error, result.seconds = problem, time.monotonic() - started
        return result
    course = Path(tempfile.mkdtemp(prefix=f"rnn-grade-{job.student[:20]}-"))
    try:
        _write_course(job, course)
        (course / "sandbox").mkdir(mode=0o755)
        api = nbgrader_api(course, _nbgrader_config(job, course))

        outcome = api.autograde(job.assignment, job.student, force=True, create=True)
        result.notes = repairs_in_log(outcome.get("log") or "", job.student, job.assignment)
        verdict = read_verdict(course / "verdict.json")  # written by the kernel's watchdog
        result.peak_rss_mb = verdict.peak_rss_mb
        result.log = _outcome_log(outcome)
        if verdict.reason:
            result.error = verdict.reason
            return result
        if not outcome["success"]:
            result.error = _name_failure(outcome)
            return result
        autograded = course / "autograded" / job.student / job.assignment / f"{job.assignment}.ipynb"
        result.notebook = autograded.read_text(encoding="utf-8")
        result.grades, result.score, result.max_score = _read_grades(course, job)
        page, feedback = generate_feedback(api, course, job.assignment, job.student)
        if page is not None:
            result.feedback_html = page
            result.log = _warnings(result.log)  # graded: what nbgrader warned about is what the run log needs
        else:  # graded, but the student gets no page: the run log says why
            result.log = "nbgrader generate_feedback failed:\n" + _outcome_log(dict(feedback, success=False))
        result.status = "graded"
        return result
    except Exception as err:  # the grader's own failure for this submission: named, never fatal
        result.error = f"grader error: {type(err).__name__}: {err}"
        result.log += traceback.format_exc()[-LOG_CHARS:]
        return result
    finally:
        result.seconds = time.monotonic() - started
        shutil.rmtree(course, ignore_errors=True)


LOG_CHARS = 20_000  # of nbgrader's log and traceback kept per submission (the end: where it failed)


def _outcome_log(outcome: dict) -> str:
    """nbgrader's captured log and, when it failed, its traceback: what the run's log file shows."""
    text = outcome.get("log") or ""
    if not outcome.get("success") and outcome.get("error"):
        text += ("\n" if text else "") + outcome["error"]
    return text[-LOG_CHARS:]


# nbgrader warns that a locked cell's checksum "has changed" for every cell whose release differs from
# its source (every hidden-test cell, in every submission); an edit by the student is a repair note
CHECKSUM_WARNING = "[WARNING] Attribute 'checksum' for cell "


def _warnings(log: str) -> str:
    """The warning and error lines of an nbgrader log (each starts with its level, e.g. "[WARNING]"),
    without those the repair notes already say (RestoreStructure's own, OverwriteCells' checksums)."""
    return "\n".join(line for line in log.splitlines()
                     if line.startswith(("[WARNING]", "[ERROR]", "[CRITICAL]"))
                     and not line.startswith(CHECKSUM_WARNING) and RestoreStructure.LOG_MARK not in line)


def warm_up() -> None:
    """Run once in each worker process: import what grading needs before the first submission arrives."""
    from nbgrader.apps import NbGraderAPI  # noqa: F401
    from nbgrader.preprocessors import SaveAutoGrades  # noqa: F401

    from . import execute, feedback, forkserver, isolation  # noqa: F401

    isolation.mode()  # probes, once, what isolation this machine allows
    forkserver.fork_server()  # imports ipykernel once; kernels are forked from it


def _name_failure(outcome: dict) -> str:
    """A short, named reason from nbgrader's captured error and log."""
    text = (outcome.get("error") or "") + "\n" + (outcome.get("log") or "")
    if "DeadKernelError" in text or "Kernel died" in text:
        return "kernel died: the notebook ended the Python process (os._exit, a crash or a segfault)"
    if "CellTimeoutError" in text or "Timeout" in text:
        return "cell time limit exceeded"
    if "CheckCellMetadata" in text or "cell metadata" in text.lower() or "grade_id" in text:
        line = next((ln for ln in text.splitlines() if "ERROR" in ln or "Error" in ln), "")
        return f"graded cells were altered beyond repair: {line.strip()[:300]}"
    if "NotJSONError" in text or "Notebook does not appear to be JSON" in text or "ValidationError" in text:
        return "invalid notebook: nbformat could not read it"
    last = [ln for ln in (outcome.get("error") or "").splitlines() if ln.strip()]
    return "nbgrader could not grade it: " + (last[-1][:300] if last else "see the log")
