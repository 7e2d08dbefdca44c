"""Build student submissions from an assignment's source and released notebooks.

A submission starts from the *released* notebook (what a student downloads) and fills each
solution cell: with the source solution (the reference answer), or with an override, a full
cell source keyed by the cell's grade_id (a wrong or differently-written solution).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


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


def make_submission(release_nb: Path, source_nb: Path, overrides: dict[str, str] | None = None,
                    solve: bool = True):
    """The released notebook with its solution cells filled in (and `overrides` applied)."""
    nb = nbformat.read(release_nb, as_version=4)
    answers = source_solutions(source_nb) if solve else {}
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
