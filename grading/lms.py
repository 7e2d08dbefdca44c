"""Grades for a learning management system: a Canvas gradebook CSV and a Moodle grade-import CSV.

Both come from the gradebook: an assignment's score is nbgrader's submission score (the autograder's
points, replaced by a grader's manual score where one was set, plus extra credit) minus its late
penalty, floored at 0, as nbgrader's own `nbgrader export` computes it. A cell is left empty (the LMS
leaves that grade alone) when the student did not submit, when the submission could not be graded,
or while any of its points wait for manual grading.

- Canvas (Grades > Import): "Student", "ID", "SIS User ID", "SIS Login ID", "Section", then one
  column per assignment, and a "Points Possible" row first. "ID" is the student's `lms_user_id` in
  the gradebook (Canvas's user id, when the instructor stored it), "SIS Login ID" the nbgrader
  student id (the JupyterHub login), "SIS User ID" and "Section" empty.
- Moodle (Grade administration > Import > CSV file): "Username", "Email address", "First name",
  "Last name", then one column per assignment; in "Identify user by" map "Username" (or "Email
  address") to the Moodle field that holds the same value, and each assignment column to a grade item.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from .ledger import Ledger

FORMATS = ("canvas", "moodle")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Username", "Email address", "First name", "Last name"]


def scores(root: Path, gb, assignment: str) -> dict[str, float | None]:
    """student id -> the score to report for `assignment` (None: leave the LMS grade empty).

    The sums nbgrader's `SubmittedAssignment.score`, `.late_submission_penalty` and `.needs_manual_grade`
    compute one submission at a time (a subquery each), here as two grouped queries for the class.
    """
    from nbgrader.api import Assignment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    ledger = Ledger(root / "reports" / assignment / "ledger.jsonl")
    of_assignment = ((SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id),
                     (Assignment, Assignment.id == SubmittedAssignment.assignment_id))
    penalties = dict(gb.db.query(SubmittedAssignment.student_id,
                                 func.coalesce(func.sum(SubmittedNotebook.late_submission_penalty), 0.0))
                     .join(*of_assignment[0]).join(*of_assignment[1])
                     .filter(Assignment.name == assignment).group_by(SubmittedAssignment.student_id))
    totals = (gb.db.query(SubmittedAssignment.student_id, func.coalesce(func.sum(Grade.score), 0.0),
                          func.max(Grade.needs_manual_grade))
              .join(*of_assignment[0]).join(*of_assignment[1]).join(Grade, Grade.notebook_id == SubmittedNotebook.id)
              .filter(Assignment.name == assignment).group_by(SubmittedAssignment.student_id))
    found: dict[str, float | None] = {student: None for student in penalties}  # a submission without grades
    for student, score, waits in totals:
        entry = ledger.latest.get(student)
        if waits or (entry is not None and entry.get("status") != "graded"):
            found[student] = None
        else:
            found[student] = max(0.0, (score or 0.0) - (penalties.get(student) or 0.0))
    return found


def export(root: Path, lms: str, assignments: Iterable[str] | None = None) -> Path:
    """Write reports/lms/<lms>_grades.csv for `assignments` (default: every assignment in the gradebook)."""
    from nbgrader.api import Gradebook, MissingEntry, Student

    from .deadlines import apply as apply_deadlines
    from .gradebook import db_url

    if lms not in FORMATS:
        raise ValueError(f"unknown LMS {lms!r}: expected one of {', '.join(FORMATS)}")
    if not (root / "gradebook.db").is_file():
        raise FileNotFoundError(f"no gradebook at {root / 'gradebook.db'}: grade an assignment first (make grade)")
    with Gradebook(db_url(root), "rnn-course") as gb:
        known = sorted(a.name for a in gb.assignments)
        names = list(assignments) if assignments else known
        for name in names:
            try:
                gb.find_assignment(name)
            except MissingEntry:
                raise ValueError(f"assignment {name!r} is not in the gradebook (it has: {', '.join(known) or 'none'})"
                                 ) from None
        for name in names:
            if name in _manifest_ids(root):
                apply_deadlines(root, gb, name)  # the penalties as course.yml's due dates and policy say now
        maxima = {name: gb.find_assignment(name).max_score for name in names}
        by_assignment = {name: scores(root, gb, name) for name in names}
        students = [tuple(value or "" for value in row) for row in gb.db.query(
            Student.id, Student.first_name, Student.last_name, Student.email, Student.lms_user_id)]
    folder = root / "reports" / "lms"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lms}_grades.csv"
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if lms == "canvas":
            writer.writerow(CANVAS_COLUMNS + names)
            writer.writerow(["Points Possible", "", "", "", ""] + [_number(maxima[n]) for n in names])
        else:
            writer.writerow(MOODLE_COLUMNS + names)
        for sid, first, last, email, lms_id in sorted(students):
            marks = [_number(by_assignment[n].get(sid)) for n in names]
            if lms == "canvas":
                display = f"{last}, {first}" if last and first else (last or first or sid)
                writer.writerow([display, lms_id, "", sid, ""] + marks)
            else:
                writer.writerow([sid, email, first, last] + marks)
    tmp.replace(path)
    return path


def _manifest_ids(root: Path) -> set[str]:
    from .course import manifest

    return {a.id for a in manifest(root).assignments}


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
