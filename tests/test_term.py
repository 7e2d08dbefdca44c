"""A whole term for a small class, through nbgrader's exchange, with nbgrader's own commands and the
course's tools between them, as an instructor on one JupyterHub machine runs it.

The instructor releases a01 (due by course.yml) and a03 (4 points of written answers graded by hand).
Three students list and fetch both; alice and bob submit a01 on time (bob twice: a blank first,
then with the recurrent kernel transposed), the due date passes, carol submits late. Everyone
submits a03. The instructor collects and grades both (`python -m grading grade`, what `make grade`
runs), releases a01's feedback and the students fetch it: carol's page shows her late penalty. a03's
feedback is held back while its written answers wait: the instructor grades them by hand (`manual
list`/`set`), regenerates the feedback (`feedback`, what `make feedback` runs) and releases it, and
everyone fetches it. Then a01's due date moves a day later (a server outage): `late` (`make late`)
recomputes the penalties without running any notebook, the feedback is regenerated and released
again, and carol fetches her new page. Reports and both LMS exports hold the final scores, manual
grades and penalties included. The instructor's course commands run in-process; nbgrader's commands
and the grading run are real commands.

Each student's side is a folder with the `nbgrader_config.py` the README tells students to have (the
course id and the exchange), with their own HOME, as every JupyterHub user has.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import html
import io
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

from _browser import browsing
from cases import for_assignment
from conftest import ROOT, tool_env
from submissions import make_submission, released_course

from grading.__main__ import main as grading_main  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("term")]

A01, A03 = "a01_rnn_from_scratch", "a03_parameter_counting"
COURSE_ID = "rnn-course"
STUDENTS = ("alice", "bob", "carol")
SCREENSHOT = Path("/tmp/feedback_term_late.png")  # carol's late a01 page, as she fetched it


def run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    return done


def course_tool(*args: str) -> str:
    """`python -m grading ARGS` (what make late / manual / feedback / report / export run), in this process:
    the instructor's commands are the course's own; only nbgrader's and `make grade` run as commands."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = grading_main(list(args))
    assert status == 0, f"python -m grading {' '.join(args)} exited {status}:\n{out.getvalue()}"
    return out.getvalue()


def each_student(work) -> dict:
    """`work(student)` for every student, two at a time (as students work at once; each nbgrader command
    is a new interpreter that spends most of its 2-3 s importing)."""
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(STUDENTS, pool.map(work, STUDENTS)))


def set_due(course: Path, assignment: str, due: dt.datetime) -> None:
    """Write `assignment`'s due date into the course's course.yml (as an instructor edits it)."""
    path = course / "course.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["assignments"]:
        if entry["id"] == assignment:
            entry["due"] = due.isoformat()
    data["late_policy"] = {"penalty": "10%", "per": "day", "cap": "50%"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def fetched(home: Path, assignment: str) -> str:
    found = sorted((home / assignment / "feedback").glob(f"*/{assignment}.html"))
    assert len(found) == 1, f"{home.name} has {len(found)} feedback pages of {assignment} (one submission collected)"
    return found[0].read_text(encoding="utf-8")


def penalties(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return {s.student.id: float(s.late_submission_penalty or 0) for s in gb.assignment_submissions(assignment)}


def grades_csv(course: Path, assignment: str) -> dict[str, dict]:
    with (course / "reports" / assignment / "grades.csv").open(encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - started - sum(timings.values()), 1)

    base = tmp_path_factory.mktemp("term")
    (base / "course").mkdir()
    course = released_course(base / "course", A01)
    released_course(course, A03)
    (course / "course.yml").write_text((ROOT / "course.yml").read_text(encoding="utf-8"), encoding="utf-8")
    set_due(course, A03, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7))
    exchange = base / "exchange"
    env = dict(tool_env(), RNN_COURSE_EXCHANGE=str(exchange), PYTHONPATH=str(ROOT))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    grading = [sys.executable, "-m", "grading"]
    for assignment in (A01, A03):
        run([*nbgrader, "release_assignment", assignment], course, env)

    homes: dict[str, Path] = {}

    def as_student(student: str) -> dict:
        """A student's environment: their own home, where nbgrader keeps the cache of what they submitted
        (fetch_feedback looks there; on JupyterHub every user has one)."""
        home = base / student
        return dict(env, HOME=str(home), JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"))

    def start(student: str) -> subprocess.CompletedProcess:
        home = homes[student] = base / student
        home.mkdir()
        (home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\nc.Exchange.root = {str(exchange)!r}\n")
        listing = run([*nbgrader, "list"], home, as_student(student))
        for assignment in (A01, A03):
            run([*nbgrader, "fetch_assignment", assignment], home, as_student(student))
        return listing

    listings = each_student(start)
    lap("release, list, fetch")

    transposed = next(c for c in for_assignment(A01).WRONG if c.name == "recurrent kernel transposed")

    def submit(student: str, assignment: str, overrides: dict | None = None, solve: bool = True) -> None:
        nb = make_submission(course / "release" / assignment / f"{assignment}.ipynb",
                             course / "exercises" / assignment / f"{assignment}.ipynb", overrides, solve=solve)
        nbformat.write(nb, homes[student] / assignment / f"{assignment}.ipynb")
        # the OS user here is the test's; a student on JupyterHub is their own user (or --student)
        run([*nbgrader, "submit", assignment, "--student", student], homes[student], as_student(student))

    submit("alice", A01)
    submit("bob", A01, solve=False)          # a first, blank submission
    time.sleep(1.1)                          # keep bob's two timestamps well apart
    submit("bob", A01, transposed.overrides)  # the one collected: the latest
    due = dt.datetime.now(dt.timezone.utc)
    set_due(course, A01, due)                # a01 is due now: what comes next is late
    time.sleep(0.05)
    submit("carol", A01)
    each_student(lambda student: submit(student, A03))
    lap("submit")

    graded = {}
    for assignment in (A01, A03):
        run([*nbgrader, "collect", assignment], course, env)
        graded[assignment] = subprocess.run([*grading, "grade", assignment, "--course", str(course), "--workers", "2"],
                                            cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    run([*nbgrader, "release_feedback", A01], course, env)  # a03's waits for its written answers' grades
    lap("collect, grade, release feedback")

    def fetch_first(student: str) -> str:
        run([*nbgrader, "fetch_feedback", A01, "--student", student], homes[student], as_student(student))
        return fetched(homes[student], A01)

    first = each_student(fetch_first)
    lap("fetch feedback")
    with browsing(homes["carol"] / A01 / "feedback") as chromium:
        stamp = next((homes["carol"] / A01 / "feedback").iterdir()).name
        chromium.visit(f"{stamp}/{A01}.html", screenshot=SCREENSHOT)
    lap("screenshot")

    waiting = course_tool("manual", "list", A03, "--course", str(course))
    marks = {"alice": (2, 2), "bob": (1.5, 0), "carol": (2, 1)}
    for student, scores in marks.items():
        for answer, score in zip(("answer_1", "answer_2"), scores):
            course_tool("manual", "set", A03, student, answer, str(score), "--comment",
                        f"{student}'s {answer}: graded by hand", "--course", str(course))
    course_tool("feedback", A03, "--course", str(course))
    run([*nbgrader, "release_feedback", A03], course, env)

    def fetch_a03(student: str) -> str:
        run([*nbgrader, "fetch_feedback", A03, "--student", student], homes[student], as_student(student))
        return fetched(homes[student], A03)

    manual = each_student(fetch_a03)
    lap("manual grading, a03 feedback released and fetched")

    ledger = (course / "reports" / A01 / "ledger.jsonl").read_bytes()
    autograded = {s: (course / "autograded" / s / A01 / f"{A01}.ipynb").stat().st_mtime_ns for s in STUDENTS}
    before_move = penalties(course, A01)
    set_due(course, A01, due + dt.timedelta(days=1))  # the server was down: a day more for everyone
    late = course_tool("late", A01, "--course", str(course))
    course_tool("feedback", A01, "--course", str(course))
    run([*nbgrader, "release_feedback", A01], course, env)
    run([*nbgrader, "fetch_feedback", A01, "--student", "carol"], homes["carol"], as_student("carol"))
    moved = fetched(homes["carol"], A01)
    lap("due date moved, feedback again")

    for assignment in (A01, A03):
        course_tool("report", assignment, "--course", str(course))
    exports = {lms: course_tool("export", lms, "--course", str(course)).strip() for lms in ("canvas", "moodle")}
    lap("reports, LMS exports")
    print("term timings (s):", timings)
    return dict(course=course, homes=homes, listings=listings, graded=graded, first=first, manual=manual, moved=moved,
                waiting=waiting, marks=marks, ledger=ledger, autograded=autograded, before_move=before_move,
                late=late, exports=exports, transposed=transposed)


def test_every_student_lists_and_fetches_what_was_released(term):
    for student, listing in term["listings"].items():
        assert A01 in listing.stdout + listing.stderr and A03 in listing.stdout + listing.stderr, student
    for student, home in term["homes"].items():
        assert (home / A01 / f"{A01}.ipynb").is_file() and (home / A03 / f"{A03}.ipynb").is_file()


def test_collect_keeps_the_timestamp_and_grade_records_it(term):
    course = term["course"]
    for assignment, done in term["graded"].items():
        assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "1 submission was late" in term["graded"][A01].stdout
    assert "3 submissions have points waiting for manual grading" in term["graded"][A03].stdout
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for student in STUDENTS:
            stamp = (course / "submitted" / student / A01 / "timestamp.txt").read_text().strip()
            recorded = gb.find_submission(A01, student).timestamp  # nbgrader stores UTC without a zone
            assert recorded.replace(tzinfo=None) == parse_utc(stamp).replace(tzinfo=None), (student, recorded, stamp)
            for folder in ("autograded", "feedback"):
                assert (course / folder / student / A01 / "timestamp.txt").read_text().strip() == stamp


def test_the_latest_submission_is_the_one_graded(term):
    course = term["course"]
    nb = nbformat.read(course / "submitted" / "bob" / A01 / f"{A01}.ipynb", as_version=4)
    assert "recurrent_kernel.T" in "".join(c.source for c in nb.cells), "collect took bob's blank first submission"
    assert sorted(os.listdir(course / "submitted")) == sorted(STUDENTS)


def test_the_late_submission_loses_its_penalty_and_its_page_says_why(term):
    assert term["before_move"] == {"alice": 0, "bob": 0, "carol": 1.0}  # 10% of 10 points, one day begun
    pages = {student: text_of(page) for student, page in term["first"].items()}
    assert "Late submission penalty" in pages["carol"] and "Late submission penalty" not in pages["alice"]
    assert re.search(r"submitted \d+ s after the due date \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\); 10% of the points "
                     r"per day begun late, at most 50% -1 Total 9 / 10", pages["carol"]), pages["carol"][:3000]
    assert "Total 10 / 10" in pages["alice"]
    assert f"Likely mistake: the {term['transposed'].hint}" in pages["bob"] and "Likely mistake" not in pages["alice"]
    for page in term["first"].values():
        assert "BEGIN HIDDEN TESTS" not in page and "rnn_reference/checks" not in page
    assert SCREENSHOT.stat().st_size > 10_000


def test_written_answers_wait_then_are_graded_by_hand_and_the_fetched_page_says_so(term):
    assert all(f"{s}" in term["waiting"] for s in STUDENTS) and "6 answers of 3 submission(s) wait" in term["waiting"]
    for student, (first, second) in term["marks"].items():
        page = text_of(term["manual"][student])
        assert "awaiting grading" not in page, student
        assert f"{student}'s answer_1: graded by hand" in page
        total = re.search(r"Total ([\d.]+) / 20", page)
        assert total and float(total[1]) == 16 + first + second, (student, total and total[0])


def test_a_moved_due_date_recomputes_penalties_without_running_a_notebook(term):
    course = term["course"]
    assert penalties(course, A01) == {"alice": 0, "bob": 0, "carol": 0}
    assert "0 of 3 submissions late" in term["late"]
    assert (course / "reports" / A01 / "ledger.jsonl").read_bytes() == term["ledger"], "a notebook was graded again"
    assert {s: (course / "autograded" / s / A01 / f"{A01}.ipynb").stat().st_mtime_ns for s in STUDENTS} \
        == term["autograded"]
    page = text_of(term["moved"])
    assert "Late submission penalty" not in page and "Total 10 / 10" in page


def test_reports_and_lms_exports_hold_the_final_scores(term):
    course = term["course"]
    a01, a03 = grades_csv(course, A01), grades_csv(course, A03)
    assert {s: float(r["late_penalty"]) for s, r in a01.items()} == dict.fromkeys(STUDENTS, 0.0)
    assert all(r["submitted"].endswith(" UTC") for r in a01.values())
    assert {s: float(r["final_score"]) for s, r in a03.items()} == \
        {s: 16 + sum(m) for s, m in term["marks"].items()}
    assert all(float(r["points_to_grade"]) == 0 for r in a03.values())
    with (course / "reports" / A01 / "mistakes.csv").open(encoding="utf-8") as f:
        mistakes = list(csv.DictReader(f))
    assert any(term["transposed"].hint.split(":")[0][:30] in " ".join(row.values()) for row in mistakes), mistakes
    for lms, path in term["exports"].items():
        with open(path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        login = "SIS Login ID" if lms == "canvas" else "Username"
        marks = {r[login]: r for r in rows if r.get("Student") != "Points Possible"}
        assert {s: float(marks[s][A03]) for s in STUDENTS} == {s: 16 + sum(m) for s, m in term["marks"].items()}
        assert float(marks["carol"][A01]) == 10 and float(marks["bob"][A01]) < 10
