"""Deadlines: due dates and the late policy of course.yml, applied to the gradebook's scores.

A penalty is a function of three things the gradebook already holds (the submission's timestamp, the
assignment's due date plus any extension, the notebook's score) and of the policy in course.yml, so
`apply` recomputes every submission's penalty of an assignment without running a notebook: after
grading, after a manual grade, before feedback, reports and LMS exports are written, and by
`make late` after a due date or the policy changed. It writes nbgrader's own fields
(`Assignment.duedate`, `SubmittedNotebook.late_submission_penalty`), so nbgrader's score, formgrader,
`nbgrader export` and the feedback's total all subtract the same penalty.

nbgrader computes its penalty once, in autograde, and never again when the due date changes;
`CourseLatePolicy` is the course's policy as nbgrader's late-submission plugin, so that an
`nbgrader autograde` run by hand charges what `make grade` charges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin

from rnn_course.manifest import Assignment as ManifestAssignment


@dataclass(frozen=True)
class Lateness:
    """One submission's standing against its due date."""
    student: str
    submitted: dt.datetime | None   # naive UTC, as nbgrader stores it
    seconds_late: float
    penalty: float                  # points lost
    score: float                    # before the penalty


def _spec(root: Path, assignment: str) -> ManifestAssignment | None:
    """course.yml's entry for `assignment`; None for one it does not list (its gradebook values stay)."""
    from .course import manifest

    try:
        return manifest(root).assignment(assignment)
    except KeyError:
        return None


def _naive_utc(when: dt.datetime | None) -> dt.datetime | None:
    return None if when is None else when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def apply(root: Path, gb, assignment: str) -> list[Lateness]:
    """Set `assignment`'s due date from course.yml and recompute every submission's late penalty in the
    open gradebook `gb` (one commit); return each submission's Lateness, sorted by student."""
    spec = _spec(root, assignment)
    if spec is None:
        return []
    record = gb.find_assignment(assignment)
    due = _naive_utc(spec.due)
    if record.duedate != due:
        record.duedate = due
        gb.db.flush()
    found = []
    for submission in record.submissions:
        seconds = float(submission.total_seconds_late or 0.0)  # the due date plus the student's extension
        lost = score = 0.0
        for notebook in submission.notebooks:
            penalty = spec.late_policy.points_lost(seconds, float(notebook.max_score or 0), float(notebook.score or 0))
            notebook.late_submission_penalty = penalty if penalty > 0 else None
            lost += penalty
            score += float(notebook.score or 0)
        found.append(Lateness(submission.student.id, submission.timestamp, seconds, lost, score))
    gb.db.commit()
    return sorted(found, key=lambda late: late.student)


def apply_at(root: Path, assignment: str) -> list[Lateness]:
    """`apply` on the course's own gradebook (which must exist and hold `assignment`)."""
    from nbgrader.api import Gradebook

    from .gradebook import db_url

    with Gradebook(db_url(root), "rnn-course") as gb:
        return apply(root, gb, assignment)


def duration(seconds: float) -> str:
    """'2 days 3 h 5 min', '40 min', '12 s': how late, as a student reads it."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = ([f"{days} day{'s' if days != 1 else ''}"] if days else []) + ([f"{hours} h"] if hours else []) \
        + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) if parts else f"{secs} s"


def duration_ko(seconds: float) -> str:
    """'2일 3시간 5분', '40분', '12초': `duration` in Korean."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "일"), (hours, "시간"), (minutes, "분")) if n]
    return " ".join(parts) if parts else f"{secs}초"


def policy_ko(policy) -> str:
    """A LatePolicy's describe() in Korean: '마감 후 1일마다(1일 미만도 1일로 계산) 배점의 10% 감점, 최대 50%'."""
    if policy.penalty <= 0:
        return "지각 감점 없음"
    per, as_unit = {"day": ("1일", "1일로"), "hour": ("1시간", "1시간으로")}[policy.per]
    text = f"마감 후 {per}마다({per} 미만도 {as_unit} 계산) 배점의 {round(policy.penalty * 100, 4):g}% 감점"
    return text + (f", 최대 {round(policy.cap * 100, 4):g}%" if policy.cap < 1 else "")


def lateness(gb, assignment: str, student: str) -> tuple[float, dt.datetime | None] | None:
    """(seconds late, due date) of a submission as the open gradebook `gb` holds them; None if it has none."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return None
    return submission.total_seconds_late, submission.duedate


def late_line(resources: dict, language: str = "en", late: tuple | None = None) -> str | None:
    """The feedback's words for a late submission: how late, the due date and the policy; None when the
    submission was on time or there is no gradebook in `resources` (an exporter run outside nbgrader).
    `language` "ko": the same in Korean (the feedback of a Korean student notebook). `late`: what
    `lateness` read, when the caller had the gradebook open already; else it is opened here."""
    ids = resources.get("nbgrader", {})
    if not all(ids.get(key) for key in ("db_url", "assignment", "student")):
        return None
    if late is None:
        from nbgrader.api import Gradebook

        with Gradebook(ids["db_url"]) as gb:
            late = lateness(gb, ids["assignment"], ids["student"])
    if late is None:
        return None
    seconds, due = late
    if not seconds or due is None:
        return None
    root = Path(ids["db_url"].removeprefix("sqlite:///")).parent
    try:
        spec = _spec(root, ids["assignment"])
    except (ValueError, OSError):  # a course.yml that does not read: the line without the policy
        spec = None
    policy = None
    if spec is not None:
        policy = policy_ko(spec.late_policy) if language == "ko" else spec.late_policy.describe()
    if language == "ko":
        text = f"마감 시각({due:%Y-%m-%d %H:%M} UTC)보다 {duration_ko(seconds)} 늦게 제출"
        return text + (f"; {policy}" if policy else "")
    text = f"submitted {duration(seconds)} after the due date ({due:%Y-%m-%d %H:%M} UTC)"
    return text + (f"; {policy}" if policy else "")


class CourseLatePolicy(LateSubmissionPlugin):
    """course.yml's late policy as nbgrader's late-submission plugin (nbgrader_config.py names it), for
    `nbgrader autograde` run by hand. Its parent is nbgrader's AssignLatePenalties preprocessor, which
    holds the ids and the open gradebook the plugin interface does not pass."""

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        parent = self.parent
        notebook = parent.gradebook.find_submission_notebook(parent.notebook_id, parent.assignment_id, student_id)
        root = Path(parent.db_url.removeprefix("sqlite:///")).parent
        spec = _spec(root, parent.assignment_id)
        if spec is None:
            return None
        return spec.late_policy.points_lost(total_seconds_late, float(notebook.max_score or 0), float(score or 0)) or None


def main(root: Path, assignment: str) -> int:
    """`make late ASSIGNMENT=<id>`: recompute the penalties, rewrite the reports, print who was late."""
    from nbgrader.api import Gradebook, MissingEntry

    from .course import require_assignment
    from .gradebook import db_url
    from .ledger import Ledger
    from .pipeline import submissions
    from .reports import export

    require_assignment(assignment, root)
    if not (root / "gradebook.db").is_file():
        raise SystemExit(f"no gradebook at {root / 'gradebook.db'}: run make grade ASSIGNMENT={assignment} first")
    spec = _spec(root, assignment)  # require_assignment found it
    with Gradebook(db_url(root), "rnn-course") as gb:
        try:
            rows = apply(root, gb, assignment)
        except MissingEntry:
            raise SystemExit(f"{assignment} is not in the gradebook: run make grade ASSIGNMENT={assignment} first") \
                from None
        ledger = Ledger(root / "reports" / assignment / "ledger.jsonl")
        csv_path, _ = export(root, assignment, ledger, submissions(root, assignment), gb)
    due = f"due {spec.due:%Y-%m-%d %H:%M} UTC" if spec.due else "no due date"
    print(f"{assignment}: {due}; {spec.late_policy.describe()}")
    late = [r for r in rows if r.seconds_late > 0]
    for r in late:
        print(f"  {r.student:<24} {duration(r.seconds_late):>18} late  -{r.penalty:g} of {r.score:g}")
    print(f"{len(late)} of {len(rows)} submissions late; penalties in the gradebook and {csv_path}; "
          f"make feedback ASSIGNMENT={assignment} shows them to the students")
    return 0
