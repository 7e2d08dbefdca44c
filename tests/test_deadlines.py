"""Deadlines: course.yml's due dates and late policy, applied to the gradebook without running a notebook.

The policy's arithmetic is checked on its edges (a second late is a whole day begun, the cap, never
more than the score); `deadlines.apply` on a gradebook built through nbgrader's API (no kernel, no
notebook) sets nbgrader's due date and penalties, follows a changed due date or policy, honours an
extension, and agrees with nbgrader's own AssignLatePenalties run with the course's plugin; the
feedback's score table says how late and by which policy; grades.csv and the LMS export subtract it.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from nbgrader.api import Gradebook

from conftest import ROOT

from grading import deadlines, lms  # noqa: E402
from grading.feedback import summary_table  # noqa: E402
from rnn_course.manifest import LatePolicy, ManifestError, load, parse_due, parse_late_policy  # noqa: E402

A = "a01_rnn_from_scratch"
DUE = dt.datetime(2026, 9, 21, 14, 59)  # 23:59 in Seoul, as UTC (nbgrader stores naive UTC)
DAY = 86400


# --- the policy ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "score", "lost"), [
    (0, 20, 0), (-5, 20, 0),
    (1, 20, 2), (DAY, 20, 2), (DAY + 1, 20, 4),   # a day begun is a day
    (4 * DAY + 1, 20, 10), (30 * DAY, 20, 10),     # capped at 50% of the points
    (3 * DAY, 3.5, 3.5),                           # never more than the score
])
def test_ten_percent_a_day_capped_at_half(seconds, score, lost):
    policy = LatePolicy(penalty=0.10, per="day", cap=0.50)
    assert policy.points_lost(seconds, 20, score) == pytest.approx(lost)


def test_per_hour_and_none():
    assert LatePolicy(0.05, "hour", 1.0).points_lost(3600 * 2 + 1, 10, 10) == pytest.approx(1.5)
    assert LatePolicy().points_lost(10 * DAY, 10, 10) == 0
    assert LatePolicy().describe() == "no late penalty"
    assert LatePolicy(0.1, "day", 0.5).describe() == "10% of the points per day begun late, at most 50%"


def test_due_dates_need_an_offset_and_become_utc():
    assert parse_due("2026-09-21 23:59 +09:00", "x") == DUE.replace(tzinfo=dt.timezone.utc)
    assert parse_due("2026-09-21T14:59:00Z", "x") == DUE.replace(tzinfo=dt.timezone.utc)
    with pytest.raises(ManifestError, match="assignment demo.* has no UTC offset.*\\+09:00"):
        parse_due("2026-09-21 23:59", "assignment demo")
    with pytest.raises(ManifestError, match="is not a date and time"):
        parse_due("next friday", "assignment demo")


@pytest.mark.parametrize(("policy", "message"), [
    ({"penalty": "ten"}, "penalty must be a percentage"),
    ({"penalty": "150%"}, "penalty must be a percentage"),
    ({"penalty": "10%", "per": "week"}, "per must be one of hour, day"),
    ({"penalty": "10%", "grace": "1h"}, "unknown keys \\['grace'\\]"),
    ("strict", "must be `none` or a mapping"),
])
def test_a_bad_policy_is_named(policy, message):
    with pytest.raises(ManifestError, match=message):
        parse_late_policy(policy, "the course")


# --- a course with a gradebook ---------------------------------------------------------------------

def write_manifest(course: Path, due: str | None, policy) -> None:
    data = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
    data["late_policy"] = policy
    for entry in data["assignments"]:
        entry.pop("due", None)
        if entry["id"] == A and due:
            entry["due"] = due
    (course / "course.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


SUBMITTED = {  # student: (submitted at, UTC naive; autograded score of 10)
    "ontime": (DUE - dt.timedelta(hours=1), 10.0),
    "hourlate": (DUE + dt.timedelta(minutes=59), 9.0),
    "dayslate": (DUE + dt.timedelta(days=2, hours=3), 8.0),
    "verylate": (DUE + dt.timedelta(days=9), 1.0),
}


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> bytes:
    """A gradebook holding a01 and four graded submissions, made through nbgrader's API (no notebook,
    no kernel); made once, as creating a gradebook takes nbgrader seconds."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", "rnn-course") as gb:
        gb.add_assignment(A)
        gb.add_notebook(A, A)
        gb.add_grade_cell("tests", A, A, max_score=10, cell_type="code")
        for student, (when, score) in SUBMITTED.items():
            gb.add_student(student, first_name=student.title(), last_name="Kim")
            gb.add_submission(A, student, timestamp=when)
            grade = gb.find_grade("tests", A, A, student)
            grade.auto_score = score
            grade.needs_manual_grade = False
        gb.db.commit()
    return path.read_bytes()


@pytest.fixture
def course(tmp_path: Path, gradebook: bytes) -> Path:
    """A course folder with that gradebook, and course.yml due 2026-09-21 23:59 +09:00 at 10% a day, cap 50%."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "gradebook.db").write_bytes(gradebook)
    write_manifest(tmp_path, "2026-09-21 23:59 +09:00", {"penalty": "10%", "per": "day", "cap": "50%"})
    return tmp_path


def penalties(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        return {s.student.id: s.late_submission_penalty for s in gb.assignment_submissions(A)}


def test_apply_sets_nbgraders_due_date_and_penalties(course):
    rows = {r.student: r for r in deadlines.apply_at(course, A)}
    assert rows["ontime"].seconds_late == 0 and rows["hourlate"].seconds_late == 59 * 60
    assert penalties(course) == {"ontime": 0, "hourlate": 1, "dayslate": 3, "verylate": 1}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        assert gb.find_assignment(A).duedate == DUE
        submission = gb.find_submission(A, "dayslate")
        assert submission.score - submission.late_submission_penalty == pytest.approx(5)  # as formgrader shows


def test_a_changed_due_date_or_policy_recomputes_every_penalty(course):
    deadlines.apply_at(course, A)
    write_manifest(course, "2026-09-23 23:59 +09:00", {"penalty": "10%", "per": "day", "cap": "50%"})
    assert penalties(course) == {"ontime": 0, "hourlate": 1, "dayslate": 3, "verylate": 1}  # not yet applied
    deadlines.apply_at(course, A)
    assert penalties(course) == {"ontime": 0, "hourlate": 0, "dayslate": 1, "verylate": 1}
    write_manifest(course, "2026-09-23 23:59 +09:00", {"penalty": "1%", "per": "hour"})
    deadlines.apply_at(course, A)
    assert penalties(course) == {"ontime": 0, "hourlate": 0, "dayslate": 0.3, "verylate": 1}
    write_manifest(course, "2026-09-23 23:59 +09:00", "none")
    deadlines.apply_at(course, A)
    assert penalties(course) == {"ontime": 0, "hourlate": 0, "dayslate": 0, "verylate": 0}
    write_manifest(course, None, {"penalty": "10%", "per": "day"})  # no due date: nothing is late
    assert {r.student: r.seconds_late for r in deadlines.apply_at(course, A)} == dict.fromkeys(SUBMITTED, 0)


def test_an_extension_in_the_gradebook_is_honoured(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        gb.find_submission(A, "dayslate").extension = dt.timedelta(days=3)
        gb.db.commit()
    deadlines.apply_at(course, A)
    assert penalties(course)["dayslate"] == 0


def test_nbgraders_own_late_preprocessor_charges_the_same(course):
    """`nbgrader autograde` run by hand calls AssignLatePenalties with the plugin nbgrader_config.py names."""
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config import Config

    from grading.course import load_config

    deadlines.apply_at(course, A)
    expected = penalties(course)
    assert any(expected.values())  # someone is charged, or the comparison below would prove little
    config = load_config(course)
    assert config.AssignLatePenalties.plugin_class == "grading.deadlines.CourseLatePolicy"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:  # start from no penalty
        for submission in gb.assignment_submissions(A):
            submission.notebooks[0].late_submission_penalty = None
        gb.db.commit()
    for student in SUBMITTED:
        pre = AssignLatePenalties(config=Config(config))
        pre.preprocess(nbformat.v4.new_notebook(), {"nbgrader": {
            "notebook": A, "assignment": A, "student": student, "db_url": f"sqlite:///{course / 'gradebook.db'}"}})
    assert penalties(course) == expected


def test_feedback_says_how_late_and_by_which_policy(course):
    import nbformat

    deadlines.apply_at(course, A)
    resources = {"nbgrader": {"db_url": f"sqlite:///{course / 'gradebook.db'}", "notebook": A, "assignment": A,
                              "student": "dayslate", "score": 5.0, "max_score": 10.0, "late_penalty": 3.0}}
    table = summary_table(nbformat.v4.new_notebook(), resources)
    assert '<tr class="late-penalty"><td colspan="2">Late submission penalty<br>' in table
    assert ("submitted 2 days 3 h after the due date (2026-09-21 14:59 UTC); "
            "10% of the points per day begun late, at most 50%") in table
    assert '<td class="points">-3</td>' in table and "5 / 10" in table
    resources["nbgrader"].update(student="ontime", score=10.0, late_penalty=0)
    assert "late-penalty" not in summary_table(nbformat.v4.new_notebook(), resources)


def test_reports_and_lms_exports_subtract_the_penalty(course):
    from grading.reports import export

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        deadlines.apply(course, gb, A)
        from grading.ledger import Ledger
        csv_path, _ = export(course, A, Ledger(course / "reports" / A / "ledger.jsonl"), sorted(SUBMITTED), gb,
                             class_report_too=False)
    rows = {r["student_id"]: r for r in csv.DictReader(csv_path.open(encoding="utf-8"))}
    assert rows["dayslate"]["submitted"] == "2026-09-23 17:59:00 UTC"
    assert float(rows["dayslate"]["hours_late"]) == 51.0
    assert (float(rows["dayslate"]["score"]), float(rows["dayslate"]["late_penalty"]),
            float(rows["dayslate"]["final_score"])) == (8, 3, 5)
    assert float(rows["ontime"]["final_score"]) == 10
    # a due date moved after grading: the export recomputes before it reads
    write_manifest(course, "2026-10-30 23:59 +09:00", {"penalty": "10%", "per": "day", "cap": "50%"})
    path = lms.export(course, "moodle", [A])
    marks = {r["Username"]: r[A] for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert marks == {"ontime": "10", "hourlate": "9", "dayslate": "8", "verylate": "1"}
    write_manifest(course, "2026-09-21 23:59 +09:00", {"penalty": "10%", "per": "day", "cap": "50%"})
    marks = {r["SIS Login ID"]: r[A] for r in csv.DictReader(lms.export(course, "canvas", [A]).open(encoding="utf-8"))
             if r["Student"] != "Points Possible"}
    assert marks == {"ontime": "10", "hourlate": "8", "dayslate": "5", "verylate": "0"}


def test_the_course_manifest_has_a_policy_and_it_reads():
    course = load()
    assert course.late_policy.penalty >= 0
    assert all(a.late_policy is not None for a in course.assignments)


def test_an_assignment_course_yml_does_not_list_keeps_its_gradebook_penalties(course):
    """A gradebook may hold an assignment the manifest no longer lists: nothing about it is changed."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        gb.find_submission_notebook(A, A, "ontime").late_submission_penalty = 4.0
        gb.db.commit()
    data = yaml.safe_load((course / "course.yml").read_text(encoding="utf-8"))
    data["assignments"] = [a for a in data["assignments"] if a["id"] != A]
    for number, entry in enumerate(data["assignments"], start=1):  # ids must stay in course order
        entry["id"] = f"a{number:02d}_{entry['id'].split('_', 1)[1]}"
    (course / "course.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert deadlines.apply_at(course, A) == []
    assert penalties(course)["ontime"] == 4.0
