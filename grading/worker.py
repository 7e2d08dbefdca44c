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
from .sandbox import is_root, sandbox_uid


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
    log: str = ""
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


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _as_type(cell: dict, cell_type: str) -> dict:
    """`cell` as a valid cell of `cell_type` (a student may have turned code into markdown)."""
    cell = dict(cell, cell_type=cell_type)
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return cell


def normalize(student: dict, release: dict) -> tuple[dict, list[str]]:
    """Restore the released structure around the student's answers; return the notebook and what was repaired.

    Graded and locked cells are matched by grade_id and put back in the released order with their
    released metadata and type; the first copy of a duplicated cell counts and later copies become
    ordinary cells; a deleted cell is restored from the release (a deleted answer is the stub again);
    cells the student added travel with the graded cell they followed. nbgrader's OverwriteCells
    then restores the source of locked cells, so tests cannot be edited away either.
    """
    release_cells = release.get("cells", [])
    known = {_grade_id(c): c for c in release_cells if _grade_id(c)}
    first: dict[str, dict] = {}
    attached: dict[str | None, list[dict]] = {}
    notes: list[str] = []
    previous = None
    for cell in student.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            notes.append("dropped a malformed cell")
            continue
        gid = _grade_id(cell)
        if gid in known and gid not in first:
            first[gid] = cell
            previous = gid
            continue
        if gid is not None:
            notes.append(f"a copy of graded cell {gid} was treated as an ordinary cell" if gid in known
                         else f"unknown graded cell {gid} was treated as an ordinary cell")
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k != "nbgrader"}
        attached.setdefault(previous, []).append(dict(cell, metadata=metadata))
    cells = list(attached.get(None, []))
    order = [_grade_id(c) for c in student.get("cells", []) if isinstance(c, dict) and _grade_id(c) in known]
    seen = list(dict.fromkeys(order))
    if seen != [g for g in (_grade_id(c) for c in release_cells) if g in first]:
        notes.append("graded cells were out of order and were put back in the released order")
    for released in release_cells:
        gid = _grade_id(released)
        if gid is None:
            cells.append(released)
            continue
        meta = released["metadata"]["nbgrader"]
        if gid in first:
            cell = _as_type(first[gid], released["cell_type"])
            if cell.get("metadata", {}).get("nbgrader") != meta:
                if cell.get("metadata", {}).get("nbgrader", {}).get("points") != meta.get("points") or \
                        cell.get("metadata", {}).get("nbgrader", {}).get("grade") != meta.get("grade"):
                    notes.append(f"the grading metadata of {gid} was changed and has been restored")
            cell = dict(cell, metadata=dict(cell.get("metadata", {}), nbgrader=meta))
        else:
            cell = released
            notes.append(f"deleted cell {gid} was restored from the released notebook")
        cells.append(cell)
        cells.extend(attached.get(gid, []))
    return dict(student, cells=cells, metadata=release.get("metadata", student.get("metadata", {}))), notes


def _write_course(job: Job, course: Path) -> list[str]:
    (course / "nbgrader_config.py").write_text(job.config)
    db = course / "gradebook.db"
    db.write_bytes(job.template_gradebook)
    os.chmod(db, stat.S_IRUSR | stat.S_IWUSR)  # the sandboxed kernel cannot read it (hidden test source)
    exercise = course / "exercises" / job.assignment
    exercise.mkdir(parents=True)
    for name, content in job.exercise_files.items():
        (exercise / name).parent.mkdir(parents=True, exist_ok=True)
        (exercise / name).write_bytes(content)
    submission = course / "submitted" / job.student / job.assignment
    submission.mkdir(parents=True)
    notes: list[str] = []
    files = dict(job.files)
    if job.release:
        name = f"{job.assignment}.ipynb"
        fixed, notes = normalize(json.loads(files[name]), json.loads(job.release))
        files[name] = json.dumps(fixed).encode()
    for name, content in files.items():
        target = (submission / name).resolve()
        if not str(target).startswith(str(submission.resolve()) + os.sep):
            continue  # a path that escapes the folder is not copied
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for folder, _, _ in os.walk(course):  # traversable by the sandbox uid, not listable
        os.chmod(folder, 0o711 if Path(folder) == course else 0o755)
    return notes


def _nbgrader_config(job: Job, course: Path):
    config = load_config(course)
    config.Autograde.autograde_preprocessors = [
        "grading.sandbox.SandboxedExecute",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    limits = Limits(**job.limits)
    config.SandboxedExecute.limits = asdict(limits)
    config.SandboxedExecute.workdir = str(course / "sandbox")
    config.SandboxedExecute.hide = [p for p in job.hide if os.path.exists(p)]
    config.SandboxedExecute.timeout = limits.cell_timeout
    config.SandboxedExecute.interrupt_on_timeout = True
    # the kernel is killed with its whole sandbox afterwards: no need for a polite shutdown
    config.SandboxedExecute.shutdown_kernel = "immediate"
    config.GenerateFeedback.exporter_class = "grading.feedback.CachedHTMLExporter"
    return config


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
        result.notes = _write_course(job, course)
        (course / "sandbox").mkdir(mode=0o755)
        from . import sandbox

        api = nbgrader_api(course, _nbgrader_config(job, course))

        sandbox.SandboxedExecute.last = None
        outcome = api.autograde(job.assignment, job.student, force=True, create=True)
        execute = sandbox.SandboxedExecute.last
        watchdog = execute.watchdog if execute is not None else None
        if watchdog is not None:
            result.peak_rss_mb = watchdog.peak_rss_mb
        result.log = outcome.get("log", "")[-20_000:]
        if watchdog is not None and watchdog.reason:
            result.error = watchdog.reason
            return result
        if not outcome["success"]:
            result.error = _name_failure(outcome)
            return result
        autograded = course / "autograded" / job.student / job.assignment / f"{job.assignment}.ipynb"
        result.notebook = autograded.read_text(encoding="utf-8")
        result.grades, result.score, result.max_score = _read_grades(course, job)
        feedback = api.generate_feedback(job.assignment, job.student, force=True)
        html = course / "feedback" / job.student / job.assignment / f"{job.assignment}.html"
        if feedback["success"] and html.is_file():
            result.feedback_html = offline_html(html.read_text(encoding="utf-8"))
        result.status = "graded"
        return result
    except Exception as err:  # the grader's own failure for this submission: named, never fatal
        result.error = f"grader error: {type(err).__name__}: {err}"
        result.log += traceback.format_exc()[-5000:]
        return result
    finally:
        result.seconds = time.monotonic() - started
        shutil.rmtree(course, ignore_errors=True)


def warm_up() -> None:
    """Run once in each worker process: import what grading needs before the first submission arrives."""
    from nbgrader.apps import NbGraderAPI  # noqa: F401
    from nbgrader.preprocessors import SaveAutoGrades  # noqa: F401

    from . import feedback, sandbox  # noqa: F401

    sandbox.SandboxedExecute  # noqa: B018 -- built on first use
    sandbox.fork_server()  # imports ipykernel once; kernels are forked from it


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


def isolation_summary() -> str:
    """One line saying which protections are active on this machine."""
    if is_root():
        return "isolation: own uid per worker, no network, rlimits, watchdog (running as root)"
    return "isolation: rlimits and watchdog only (not root: no uid or network separation)"
