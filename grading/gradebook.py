"""Writing results into the course (the coordinator's job): the gradebook, autograded/ and feedback/.

Workers never touch the course. The coordinator builds the template gradebook a worker's private
course starts from, and records each result as it arrives: the submission's rows in one commit,
its autograded notebook and its feedback page.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from .course import generate_assignment
from .worker import Result

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


def db_url(root: Path) -> str:
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


# What `nbgrader collect` puts beside a submission: when it was submitted, and the secret that names the
# feedback file in the exchange. `nbgrader release_feedback` reads both from feedback/<student>/<id>/.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


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
    submitted = root / "submitted" / result.student / result.assignment
    for name in EXCHANGE_FILES:  # as nbgrader's autograde and generate_feedback carry them along
        source = submitted / name
        if source.is_file() and not source.is_symlink():
            for folder in (out, feedback):
                shutil.copyfile(source, folder / name)
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
