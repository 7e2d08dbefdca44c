"""Student submissions of an assignment: built as notebooks for nbgrader, or run in-process.

A submission starts from the *released* notebook (what a student downloads) and fills each
solution cell: with the source solution (the reference answer), or with an override, a full
cell source keyed by the cell's grade_id (a wrong or differently-written solution).

`run_notebook` runs the same submission without nbgrader, in seconds: the source notebook's cells,
hidden tests included, executed in one namespace as the autograder's kernel does. It is the one
runner of the in-process tests (tests/test_checks_notebooks.py), for every assignment.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "raise NotImplementedError()"
ROOT = Path(__file__).resolve().parent.parent


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_text(source: str) -> str:
    """A source cell's code as a student who solved it would write it (markers removed)."""
    return "\n".join(line for line in source.splitlines() if BEGIN not in line and END not in line)


def source_solutions(source_nb: Path) -> dict[str, str]:
    """grade_id -> solved cell source, for every solution cell of the source notebook."""
    nb = nbformat.read(source_nb, as_version=4)
    return {grade_id(c): solution_text(c.source) for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def hidden_tests(source_nb: Path) -> dict[str, str]:
    """grade_id -> the code between BEGIN and END HIDDEN TESTS, for every test cell that has some."""
    found = {}
    for cell in nbformat.read(source_nb, as_version=4).cells:
        match = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
        if match:
            found[grade_id(cell)] = match.group(1)
    return found


def released_source(source: str) -> str:
    """A test cell's source as released: its hidden-test region removed."""
    return re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


def visible_tests(source_nb: Path) -> set[str]:
    """The grade_ids of the test cells `make check` runs on the release: code left outside hidden regions."""
    from grading.selfcheck import is_hidden_only

    return {grade_id(c) for c in nbformat.read(source_nb, as_version=4).cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution") and not is_hidden_only(released_source(c.source))}


def make_submission(release_nb: Path, source_nb: Path, overrides: dict[str, str] | None = None,
                    solve: bool = True, unsolved: Iterable[str] = ()):
    """The released notebook with its solution cells filled in (and `overrides` applied).

    The cells named in `unsolved` stay as released (a student who has not written them yet).
    """
    nb = nbformat.read(release_nb, as_version=4)
    answers = source_solutions(source_nb) if solve else {}
    for gid in unsolved:
        answers.pop(gid, None)
    answers.update(overrides or {})
    unknown = set(overrides or {}) - {grade_id(c) for c in nb.cells}
    if unknown:
        raise KeyError(f"overrides name cells the notebook does not have: {sorted(unknown)}")
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers:
            cell.source = answers[gid]
    return nb


def submit(course: Path, student: str, assignment: str, nb) -> Path:
    """Write `nb` as student's submission in course/submitted/<student>/<assignment>/."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return path


def graded_cells_before(source_nb: Path, stop: str | None) -> list[str]:
    """The grade_ids of the graded cells before the cell `stop` (all of them when stop is None)."""
    ids = []
    for cell in nbformat.read(source_nb, as_version=4).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if stop is not None and meta.get("grade_id") == stop:
            break
        if meta.get("grade"):
            ids.append(meta["grade_id"])
    return ids


# ------------------------------------------------------------------------------------------------
# Running a submission in-process
# ------------------------------------------------------------------------------------------------
MANUAL = "manually graded"
NOT_RUN = "not run: the run stopped before the training cell"


def source_notebook(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


@dataclass
class Run:
    """What running a submission gave: grade_id -> (points, error or None) of every graded cell."""
    results: dict[str, tuple[float, str | None]]
    namespace: dict = field(repr=False, default_factory=dict)

    def failures(self) -> dict[str, str]:
        """The autograded cells that failed, with their error (cells graded by hand or not run left out)."""
        return {gid: error for gid, (_, error) in self.results.items() if error not in (None, MANUAL, NOT_RUN)}

    def not_run(self) -> set[str]:
        return {gid for gid, (_, error) in self.results.items() if error == NOT_RUN}

    def score(self) -> float:
        return sum(points for points, error in self.results.values() if error is None)

    def autograded_max(self) -> float:
        return sum(points for points, error in self.results.values() if error != MANUAL)

    def manual_points(self) -> float:
        return sum(points for points, error in self.results.values() if error == MANUAL)


@contextlib.contextmanager
def _working_directory(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_notebook(assignment: str, overrides: dict[str, str] | None = None, *, blank: bool = False,
                 stop_at: str | None = None) -> Run:
    """Execute the source notebook of `assignment` with its solution cells filled in.

    Every code cell runs in one namespace, in the assignment's folder (where its data files are),
    hidden tests included. As in nbgrader, a graded cell fails when it raises or writes a warning
    (stderr output scores 0). `blank` leaves every solution cell as the released stub;
    `overrides` replaces cells by grade_id. With `stop_at` (a grade_id, the training cell of a06
    and a07), the run stops there: the graded cells from there on are NOT_RUN.
    """
    path = source_notebook(assignment)
    answers = source_solutions(path)
    if blank:
        answers = {gid: STUB for gid in answers}
    answers.update(overrides or {})
    namespace: dict = {"__name__": "__main__"}
    results: dict[str, tuple[float, str | None]] = {}
    stopped = False
    with _working_directory(path.parent):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            gid = meta.get("grade_id")
            stopped = stopped or (stop_at is not None and gid == stop_at)
            if cell.cell_type != "code":
                if meta.get("grade"):
                    results[gid] = (meta["points"], MANUAL)
                continue
            if stopped:
                if meta.get("grade"):
                    results[gid] = (meta["points"], NOT_RUN)
                continue
            source = answers.get(gid, cell.source) if meta.get("solution") else cell.source
            error = None
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    exec(compile(source, f"<cell {gid}>", "exec"), namespace)  # noqa: S102 -- our own notebooks
                except Exception as err:  # the cell's failure is the result
                    error = f"{type(err).__name__}: {err}"
            if error is None and caught:
                error = f"warning: {caught[0].message}"
            if meta.get("grade"):
                results[gid] = (meta["points"], error)
    if stop_at is not None and not stopped:
        raise KeyError(f"{assignment} has no cell {stop_at!r} to stop at")
    return Run(results, namespace)


def released_course(folder: Path, assignment: str) -> Path:
    """A course in `folder` with one assignment: the course's nbgrader configuration, the exercise, and
    its release, as an instructor has it before collecting submissions."""
    from conftest import ROOT
    from grading import stock

    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "exercises" / assignment, folder / "exercises" / assignment)
    stock.release([assignment], root=folder)
    return folder
