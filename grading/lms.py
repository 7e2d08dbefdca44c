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
    """student id -> the score to report for `assignment` (None: leave the LMS grade empty)."""
    from nbgrader.api import Assignment, SubmittedAssignment

    ledger = Ledger(root / "reports" / assignment / "ledger.jsonl")
    found: dict[str, float | None] = {}
    query = (gb.db.query(SubmittedAssignment.student_id, SubmittedAssignment.score,
                         SubmittedAssignment.late_submission_penalty, SubmittedAssignment.needs_manual_grade)
             .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
             .filter(Assignment.name == assignment))
    for student, score, penalty, waits in query.yield_per(1000):
        entry = ledger.latest.get(student)
        if waits or (entry is not None and entry.get("status") != "graded"):
            found[student] = None
        else:
            found[student] = max(0.0, (score or 0.0) - (penalty or 0.0))
    return found


def export(root: Path, lms: str, assignments: Iterable[str] | None = None) -> Path:
    """Write reports/lms/<lms>_grades.csv for `assignments` (default: every assignment in the gradebook)."""
    from nbgrader.api import Gradebook, MissingEntry

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
        maxima = {name: gb.find_assignment(name).max_score for name in names}
        by_assignment = {name: scores(root, gb, name) for name in names}
        students = [(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
                    for s in gb.students]
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


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
