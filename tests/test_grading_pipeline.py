"""The grading pipeline: parallel, isolated, resumable; no bad submission loses anything.

One run grades a class in which most students did something harmful or broken. Every submission
must end with a score or a named error in the CSV and a log line, every submission file must be
byte-identical afterwards, the gradebook must hold exactly one result per submission, and the
good submissions must be graded normally. The class is graded twice: by root (kernels get a uid
of their own) and by a normal user (kernels get a user namespace), and every submission must end
the same way in both. Run as a normal user, the root run is skipped and says why.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from _unprivileged import GRADER_UID, as_user, chown_tree
from conftest import ROOT, tool_env
from submissions import grade_id, make_submission, released_course, submit

sys.path.insert(0, str(ROOT))
from grading.isolation import is_root  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import Summary, grade_assignment  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("pipeline")]
A = "a01_rnn_from_scratch"
LIMITS = Limits(cell_timeout=8, submission_timeout=90, memory_mb=3072)
CELL = "rnn_cell_step"  # the first solution cell: harmful code goes there
GOOD_CELL = ("def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):\n"
             "    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)\n")


def harmful(code: str) -> dict[str, str]:
    """A correct rnn_cell_step followed by `code`: what the sandbox contains must not cost its points."""
    return {CELL: GOOD_CELL + "\n" + code}


def new_course(tmp: Path) -> Path:
    return released_course(tmp, A)


def notebooks(course: Path):
    source = course / "exercises" / A / f"{A}.ipynb"
    release = course / "release" / A / f"{A}.ipynb"
    return source, release


def bad_class(course: Path) -> dict[str, str]:
    """Write every submission; return student -> what the run must report ('score' or an error text)."""
    source, release = notebooks(course)
    solved = make_submission(release, source)
    expect: dict[str, str] = {}

    def add(student, nb, expected):
        submit(course, student, A, nb)
        expect[student] = expected

    add("good", solved, "score")
    add("blank", nbformat.read(release, as_version=4), "score")
    add("infinite_loop", make_submission(release, source, harmful("while True:\n    pass")), "score")
    add("sleep_forever", make_submission(release, source, harmful("import time\ntime.sleep(10**9)")), "score")
    add("alloc_50gb", make_submission(release, source, harmful("import numpy\nbig = numpy.ones(50 * 2**30 // 8)")),
        "score")
    add("os_exit", make_submission(release, source, harmful("import os\nos._exit(0)")), "kernel died")
    add("sys_exit", make_submission(release, source, harmful("import sys\nsys.exit()")), "score")
    add("segfault", make_submission(release, source, harmful("import ctypes\nctypes.string_at(0)")), "kernel died")
    add("print_1gb", make_submission(release, source, harmful(
        "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)")), "score")
    add("gradebook_vandal", make_submission(release, source, harmful(
        "import sqlite3\n"
        f"for path in [{str(course / 'gradebook.db')!r}, '../../../gradebook.db']:\n"
        "    try:\n"
        "        db = sqlite3.connect(path); db.execute('DELETE FROM grade'); db.commit()\n"
        "    except Exception as err:\n"
        "        print('blocked', path, err)\n")), "score")
    victim = course / "submitted" / "good" / A / f"{A}.ipynb"
    add("neighbour_vandal", make_submission(release, source, harmful(
        f"for path in [{str(victim)!r}, '../../good/{A}/{A}.ipynb']:\n"
        "    try:\n"
        "        open(path, 'w').write('overwritten')\n"
        "    except Exception as err:\n"
        "        print('blocked', path, err)\n")), "score")
    add("monkeypatch", make_submission(release, source, {
        CELL: ("import numpy, numpy.testing\n"
               "numpy.testing.assert_allclose = lambda *a, **k: None\n"
               "numpy.allclose = lambda *a, **k: True\n"
               "def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):\n"
               "    return x_t @ kernel\n")}), "score")
    add("imports_reference", make_submission(release, source, {
        CELL: ("from rnn_reference import simple_rnn_cell as rnn_cell_step\n")}), "score")
    add("background_process", make_submission(release, source, harmful(
        "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)")), "score")

    # broken files
    folder = course / "submitted" / "invalid_json" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text('{"cells": [ this is not json')
    expect["invalid_json"] = "invalid notebook"
    folder = course / "submitted" / "empty_file" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text("")
    expect["empty_file"] = "empty notebook"
    folder = course / "submitted" / "renamed" / A
    folder.mkdir(parents=True)
    nbformat.write(solved, folder / "my_solution.ipynb")
    expect["renamed"] = "missing notebook"
    folder = course / "submitted" / "missing" / A
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("forgot the notebook")
    expect["missing"] = "missing notebook"

    # edited structure: graded cells deleted, duplicated, reordered, edited, metadata changed
    nb = copy.deepcopy(solved)
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_rnn_cell_step_hidden"]
    add("deleted_test_cell", nb, "score")
    nb = copy.deepcopy(solved)
    dup = [c for c in nb.cells if grade_id(c) == "test_rnn_cell_step_values"][0]
    nb.cells.insert(1, copy.deepcopy(dup))
    add("duplicated_test_cell", nb, "score")
    nb = copy.deepcopy(solved)
    nb.cells = list(reversed(nb.cells))
    add("reordered_cells", nb, "score")
    nb = copy.deepcopy(solved)
    for cell in nb.cells:
        if grade_id(cell) == "test_rnn_cell_step_values":
            cell.source = "pass  # the student replaced the test"
    wrong = make_submission(release, source, {CELL: GOOD_CELL.replace(" + bias", "")})
    for cell in wrong.cells:
        if grade_id(cell) == "test_rnn_cell_step_values":
            cell.source = "pass"
        if grade_id(cell) == "test_rnn_cell_step_shape":
            cell.metadata["nbgrader"]["points"] = 100
    add("edited_test_cells", wrong, "score")
    nb = copy.deepcopy(solved)
    for cell in nb.cells:
        if grade_id(cell) == "test_rnn_cell_step_hidden":
            cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                         "grade_id": "test_rnn_cell_step_hidden", "schema_version": 3}
    add("changed_metadata", nb, "score")
    return expect


def digest_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def sandbox_processes(uids: set[int]) -> list:
    """Live processes running as one of the sandbox uids of a run: its kernels and anything they
    started, such as the background_process student's `sleep 600`. (Other tests may be grading at
    the same time, with other uids.)"""
    return [proc for proc in psutil.process_iter(["uids"])
            if proc.info["uids"] and proc.info["uids"].real in uids]


GRADERS = ["root", "user"]
NATIVE = "root" if is_root() else "user"  # the grader this test process is


LIMIT_OPTIONS = ["--cell-timeout", str(LIMITS.cell_timeout), "--submission-timeout", str(LIMITS.submission_timeout),
                 "--memory-mb", str(LIMITS.memory_mb)]  # LIMITS on the command line (limits are in the fingerprint)


def grade_as_user(course: Path) -> Summary:
    """`python -m grading grade` run by an unprivileged uid (from root; see _unprivileged.py) on a course it owns."""
    (course / ".home").mkdir()
    chown_tree(course)
    command = [sys.executable, "-m", "grading", "grade", A, "--workers", "2", "--course", str(course), *LIMIT_OPTIONS]
    env = dict(tool_env(), HOME=str(course / ".home"), PYTHONPATH=str(ROOT))
    done = subprocess.run(as_user(command), cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    assert "isolation: user namespace" in done.stderr or "isolation: rlimits and watchdog only" in done.stderr
    counts = re.search(r"(\d+) graded, (\d+) not gradable", done.stdout)
    assert counts, done.stdout + done.stderr[-5000:]
    errors = int(counts[2])
    # `make grade` exits 1 when a submission could not be graded, and says how many
    assert done.returncode == (1 if errors else 0), done.stdout + done.stderr[-5000:]
    assert (f"{errors} submissions could not be graded" in done.stderr) == (errors > 1)
    return Summary(A, graded=int(counts[1]), errors=errors)


def grade_class(grader: str, tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str], Summary]:
    if grader == "root" and not is_root():
        pytest.skip("grading as root needs root (CI runs as root); this machine is graded by the 'user' run")
    by_other_uid = grader == "user" and is_root()
    # an unprivileged uid cannot enter pytest's own temporary folder (mode 0700)
    course = Path(tempfile.mkdtemp(prefix="rnn-pipeline-user-")) if by_other_uid else tmp_path_factory.mktemp(grader)
    course = new_course(course)
    expect = bad_class(course)
    before = digest_tree(course / "submitted")
    if by_other_uid:
        summary = grade_as_user(course)
    else:
        summary = grade_assignment(A, root=course, workers=2, limits=LIMITS, progress=False)
    return course, expect, before, summary


def running(proc) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Runs:
    """Each grader's run of the class, made once (by `graded_class` or the comparison, whichever asks
    first), with every submission's outcome as the run left it (later tests re-grade some)."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.runs: dict[str, tuple] = {}
        self.outcomes: dict[str, dict] = {}

    def get(self, grader: str) -> tuple:
        if grader not in self.runs:
            run = grade_class(grader, self.tmp_path_factory)
            self.runs[grader] = run
            self.outcomes[grader] = {student: (row["status"], row["score"], row["error"])
                                     for student, row in rows(run[0]).items()}
        return self.runs[grader]


@pytest.fixture(scope="module")
def graded_runs(tmp_path_factory):
    runs = Runs(tmp_path_factory)
    yield runs
    for course, *_ in runs.runs.values():
        if not str(course).startswith(tempfile.gettempdir() + os.sep + "pytest-"):
            shutil.rmtree(course, ignore_errors=True)


@pytest.fixture(scope="module", params=GRADERS)
def graded_class(request, graded_runs):
    return graded_runs.get(request.param)


@pytest.fixture
def grader(request, graded_class) -> str:
    return request.node.callspec.params["graded_class"]


def rows(course: Path) -> dict[str, dict]:
    with (course / "reports" / A / "grades.csv").open() as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def test_every_submission_gets_a_score_or_a_named_error(graded_class):
    course, expect, _, summary = graded_class
    table = rows(course)
    assert set(table) == set(expect)
    for student, expected in expect.items():
        row = table[student]
        if expected == "score":
            assert row["status"] == "graded", f"{student}: {row}"
            assert row["score"] != "", f"{student}: no score"
        else:
            assert row["status"] == "error" and expected in row["error"], f"{student}: {row}"
    assert summary.graded + summary.errors == len(expect)


def test_good_submissions_are_graded_normally(graded_class):
    course, _, _, _ = graded_class
    table = rows(course)
    assert float(table["good"]["score"]) == 10.0
    assert float(table["blank"]["score"]) == 0.0
    # harm that the sandbox contained does not cost the correct code its points
    for student in ("gradebook_vandal", "neighbour_vandal", "background_process", "sys_exit", "infinite_loop",
                    "sleep_forever", "alloc_50gb", "print_1gb", "deleted_test_cell", "duplicated_test_cell",
                    "reordered_cells", "changed_metadata"):
        assert float(table[student]["score"]) == 10.0, f"{student}: {table[student]}"


def test_tampering_and_the_reference_do_not_earn_points(graded_class):
    course, _, _, _ = graded_class
    table = rows(course)
    assert float(table["monkeypatch"]["score"]) < 5.0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        grades = {g.name: g.score for nb in gb.find_submission(A, "imports_reference").notebooks for g in nb.grades}
    hidden = {name: score for name, score in grades.items() if name.endswith("_hidden")}
    assert hidden and all(score == 0 for score in hidden.values()), hidden
    text = (course / "feedback" / "monkeypatch" / A / f"{A}.html").read_text()
    assert "grading environment was modified" in text
    text = (course / "feedback" / "imports_reference" / A / f"{A}.html").read_text()
    assert "calls the reference package" in text


def test_edited_graded_cells_are_restored(graded_class):
    course, _, _, _ = graded_class
    table = rows(course)
    # the test cells the student replaced were restored from the source and still catch the bug
    assert float(table["edited_test_cells"]["score"]) < 10.0
    assert float(table["edited_test_cells"]["max_score"]) == 10.0
    assert "restored" in table["edited_test_cells"]["notes"] + table["changed_metadata"]["notes"]


def test_submissions_are_byte_identical_and_neighbours_untouched(graded_class):
    course, _, before, _ = graded_class
    assert digest_tree(course / "submitted") == before


def test_gradebook_holds_exactly_one_result_per_submission(graded_class):
    course, expect, _, _ = graded_class
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        subs = gb.assignment_submissions(A)
        students = [s.student_id for s in subs]
        assert sorted(students) == sorted(expect)
        for submission in subs:
            for notebook in submission.notebooks:
                assert len(notebook.grades) == len({g.name for g in notebook.grades})
                assert all(g.auto_score is not None for g in notebook.grades), submission.student_id


def test_each_submission_has_a_log_line_and_feedback(graded_class):
    course, expect, _, _ = graded_class
    ledger = (course / "reports" / A / "ledger.jsonl").read_text().splitlines()
    assert len(ledger) == len(expect)
    for student in expect:
        assert (course / "feedback" / student / A / f"{A}.html").is_file()
    assert (course / "reports" / A / "grade_distribution.png").stat().st_size > 1000


def test_no_process_outlives_the_run(graded_class, grader):
    _, _, _, summary = graded_class
    if grader == "root":
        assert 1 <= len(summary.sandbox_uids) <= 2  # one per worker
        assert all(200_000 <= uid < 300_000 for uid in summary.sandbox_uids)
        assert sandbox_processes(summary.sandbox_uids) == []
    elif is_root():  # the user's kernels ran as the user: nothing of that uid may be left running
        assert summary.sandbox_uids == set()
        # (the grader's own pool workers exit after it, and this machine's pid 1 may leave them as
        # zombies: exit statuses nobody collects, which run nothing)
        _, alive = psutil.wait_procs(sandbox_processes({GRADER_UID}), timeout=5)
        assert [p for p in alive if running(p)] == []
    else:
        pytest.skip("run as a normal user, the run's processes share this test's uid and cannot be told apart; "
                    "tests/test_sandbox_isolation.py checks that a kernel's processes die with it")


def test_root_and_user_graders_end_every_submission_the_same_way(graded_runs):
    for name in GRADERS:
        graded_runs.get(name)  # skips without root: there is no root run to compare with
    assert graded_runs.outcomes["user"] == graded_runs.outcomes["root"]


@pytest.mark.parametrize("graded_class", [NATIVE], indirect=True)
def test_rerun_is_incremental_and_force_regrades(graded_class):
    course, expect, _, _ = graded_class
    again = grade_assignment(A, root=course, workers=2, limits=LIMITS, progress=False)
    assert again.skipped == len(expect) and again.graded == again.errors == 0
    nb = nbformat.read(course / "submitted" / "blank" / A / f"{A}.ipynb", as_version=4)
    source, release = notebooks(course)
    submit(course, "blank", A, make_submission(release, source))  # the student resubmits
    changed = grade_assignment(A, root=course, workers=2, limits=LIMITS, progress=False)
    assert changed.graded == 1 and changed.skipped == len(expect) - 1
    assert float(rows(course)["blank"]["score"]) == 10.0
    submit(course, "blank", A, nb)


@pytest.mark.parametrize("graded_class", [NATIVE], indirect=True)
def test_a_result_is_recorded_whole_or_not_at_all(graded_class, tmp_path, monkeypatch):
    """A failure while one submission's grades are written leaves the gradebook as it was."""
    from nbgrader.preprocessors import SaveAutoGrades

    from grading.gradebook import record
    from grading.worker import Result

    graded, _, _, _ = graded_class
    course = new_course(tmp_path)

    def result(notebook_of: str) -> Result:
        text = (graded / "autograded" / notebook_of / A / f"{A}.ipynb").read_text()
        return Result(A, "student", "graded", notebook=text, feedback_html="<html></html>")

    def grades(gb) -> dict[str, float]:
        notebook = gb.find_submission(A, "student").notebooks[0]
        return {g.name: g.score for g in notebook.grades}

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        record(course, result("good"), gb)
        before = grades(gb)
        assert sum(before.values()) == 10.0
        original = SaveAutoGrades.preprocess_cell
        last = len(nbformat.reads(result("good").notebook, as_version=4).cells) - 1

        def fail_midway(self, cell, resources, index):
            if index == last:  # every graded cell before it has been written by now
                raise RuntimeError("disk full")
            return original(self, cell, resources, index)

        monkeypatch.setattr(SaveAutoGrades, "preprocess_cell", fail_midway)
        with pytest.raises(RuntimeError, match="disk full"):
            record(course, result("edited_test_cells"), gb)  # a wrong answer: lower scores to write
        monkeypatch.undo()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        assert grades(gb) == before  # not one cell of the failed write reached the disk
        record(course, result("edited_test_cells"), gb)
        assert sum(grades(gb).values()) == float(rows(graded)["edited_test_cells"]["score"]) < 10.0


def test_interrupted_run_loses_nothing(tmp_path):
    course = new_course(tmp_path)
    source, release = notebooks(course)
    for i in range(6):
        submit(course, f"s{i}", A, make_submission(release, source))
    command = [sys.executable, "-m", "grading", "grade", A, "--workers", "1", "--course", str(course), *LIMIT_OPTIONS]
    env = tool_env()
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    ledger = course / "reports" / A / "ledger.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and (not ledger.exists() or not ledger.read_text().strip()):
        time.sleep(0.5)
    assert ledger.exists(), proc.communicate(timeout=5)[0] if proc.poll() is not None else "no result in 240 s"
    os.killpg(proc.pid, signal.SIGKILL)  # a killed process: no chance to clean up
    proc.wait()
    done_before = {line.split('"student": "')[1].split('"')[0] for line in ledger.read_text().splitlines()}
    assert 1 <= len(done_before) < 6
    summary = grade_assignment(A, root=course, workers=2, limits=LIMITS, progress=False)
    assert summary.skipped == len(done_before)
    assert summary.graded == 6 - len(done_before)
    assert all(float(r["score"]) == 10.0 for r in rows(course).values())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "rnn-course") as gb:
        assert len(gb.assignment_submissions(A)) == 6


def test_runs_on_a_dask_cluster(tmp_path):
    from distributed import LocalCluster

    course = new_course(tmp_path)
    source, release = notebooks(course)
    submit(course, "good", A, make_submission(release, source))
    submit(course, "blank", A, nbformat.read(release, as_version=4))
    (course / "submitted" / "empty" / A).mkdir(parents=True)
    (course / "submitted" / "empty" / A / f"{A}.ipynb").write_text("")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = grade_assignment(A, root=course, scheduler=cluster.scheduler_address, limits=LIMITS,
                                   progress=False)
    table = rows(course)
    assert float(table["good"]["score"]) == 10.0 and float(table["blank"]["score"]) == 0.0
    assert table["empty"]["status"] == "error"
    assert summary.graded == 2 and summary.errors == 1
