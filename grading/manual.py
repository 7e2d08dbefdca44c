"""Manual grading without a browser, and feedback regenerated afterwards.

`python -m grading manual list <id>` lists the answers nbgrader's gradebook marks `needs_manual_grade`
(the written answers of a03, for one); `manual set <id> <student> <grade_id> <score> [--comment TEXT]`
records a person's score and comment as formgrader does (Grade.manual_score, Comment.manual_comment);
`python -m grading feedback <id>` (make feedback) regenerates each student's page from autograded/ and
the gradebook through nbgrader's generate_feedback with the course's exporter (grading/worker.py).
Both recompute the late penalties first (grading/deadlines.py): a penalty depends on the score.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from .course import ROOT, load_config, nbgrader_api
from .deadlines import apply as apply_deadlines
from .deadlines import apply_at as apply_deadlines_at
from .gradebook import db_url


class ManualGradingError(ValueError):
    """Bad input to `manual set`: the message names what is wrong."""


def _gradebook(root: Path):
    """The course's gradebook, which must exist (nbgrader's Gradebook would create an empty one)."""
    from nbgrader.api import Gradebook

    if not (root / "gradebook.db").is_file():
        raise ManualGradingError(f"no gradebook at {root / 'gradebook.db'}: run make grade first")
    return Gradebook(db_url(root))


def waiting(root: Path, assignment: str) -> list[tuple[str, str, float]]:
    """(student, grade_id, max points) of every grade of `assignment` that needs a person, sorted."""
    from nbgrader.api import MissingEntry

    with _gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise ManualGradingError(f"assignment {assignment!r} is not in the gradebook {root / 'gradebook.db'}") \
                from None
        return sorted((submission.student.id, grade.name, float(grade.max_score))
                      for submission in gb.assignment_submissions(assignment)
                      for notebook in submission.notebooks for grade in notebook.grades
                      if grade.needs_manual_grade)


def set_grade(root: Path, assignment: str, student: str, grade_id: str, score: float,
              comment: str | None = None) -> tuple[float, float]:
    """Record a person's `score` (and `comment`) for one answer; return (score, max points).

    As formgrader's API does: the grade's manual_score is set and it no longer needs manual grading;
    the comment of that cell, when given, is its manual_comment. The notebook is the assignment's own
    (the course has one notebook per assignment, named after it).
    """
    from nbgrader.api import MissingEntry

    with _gradebook(root) as gb:
        try:
            grade = gb.find_grade(grade_id, assignment, assignment, student)
        except MissingEntry:
            raise ManualGradingError(f"no graded answer {grade_id!r} in {student!r}'s submission of {assignment!r} "
                                     f"(python -m grading manual list {assignment} lists what waits)") from None
        max_score = float(grade.max_score)
        if not (math.isfinite(score) and 0 <= score <= max_score):
            raise ManualGradingError(f"score {score:g} for {grade_id} is out of range: it must be between 0 "
                                     f"and {max_score:g}")
        grade.manual_score = score
        grade.needs_manual_grade = False
        if comment is not None:
            try:
                gb.find_comment(grade_id, assignment, assignment, student).manual_comment = comment
            except MissingEntry:
                gb.db.rollback()
                raise ManualGradingError(f"{grade_id} takes no comment (it is not an answer cell)") from None
        gb.db.commit()
        apply_deadlines(root, gb, assignment)  # a late penalty is never more than the score, which changed
        return score, max_score


def regenerate_feedback(root: Path, assignment: str, students: list[str] | None = None) -> list[tuple[str, str]]:
    """Regenerate feedback/<student>/<id>/<id>.html of every autograded submission (or of `students`)
    from autograded/ and the gradebook, through the course's exporter; [(student, problem)] of each
    that failed. timestamp.txt and submission_secret.txt are copied from autograded/ by nbgrader."""
    from .worker import FEEDBACK_EXPORTER, generate_feedback

    autograded = root / "autograded"
    if students is None:
        students = sorted(p.parent.parent.name for p in autograded.glob(f"*/{assignment}/{assignment}.ipynb"))
    if not students:
        raise ManualGradingError(f"no autograded submission of {assignment!r} in {autograded}: run make grade first")
    apply_deadlines_at(root, assignment)  # the penalties as course.yml's due date and policy say now
    config = load_config(root)
    config.GenerateFeedback.exporter_class = FEEDBACK_EXPORTER
    api = nbgrader_api(root, config)
    failed = []
    for student in students:
        if not (autograded / student / assignment / f"{assignment}.ipynb").is_file():
            failed.append((student, "no autograded notebook (not graded, or its submission could not be)"))
            continue
        page, outcome = generate_feedback(api, root, assignment, student)
        if page is None:
            failed.append((student, (outcome.get("error") or outcome.get("log") or "no page written").strip()[-2000:]))
            continue
        (root / "feedback" / student / assignment / f"{assignment}.html").write_text(page, encoding="utf-8")
    return failed


def main_list(root: Path, assignment: str) -> int:
    rows = waiting(root, assignment)
    if not rows:
        print(f"{assignment}: nothing waits for manual grading")
        return 0
    print(f"{'student':<24} {'grade_id':<32} points")
    for student, grade_id, points in rows:
        print(f"{student:<24} {grade_id:<32} {points:g}")
    print(f"{len(rows)} answer{'s' if len(rows) != 1 else ''} of {len({r[0] for r in rows})} submission(s) wait; "
          f"python -m grading manual set {assignment} <student> <grade_id> <score> [--comment TEXT]")
    return 0


def main_feedback(root: Path, assignment: str, students: list[str] | None) -> int:
    failed = regenerate_feedback(root, assignment, students)
    for student, problem in failed:
        print(f"{student}: feedback not regenerated: {problem}", file=sys.stderr)
    print(f"{assignment}: feedback regenerated in {root / 'feedback'}"
          + (f"; {len(failed)} failed" if failed else ""))
    return 1 if failed else 0


__all__ = ["ManualGradingError", "ROOT", "regenerate_feedback", "set_grade", "waiting"]
