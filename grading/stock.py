"""Release and grade with stock nbgrader commands (sequential); the course's own pipeline builds on this."""

from __future__ import annotations

import csv
from pathlib import Path

from .course import ROOT, assignment_ids, generate_assignment, nbgrader, require_assignment
from .limits import Limits


def release(assignments: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    """Generate the student notebook of each assignment into release/<id>/ (never solutions).

    Each release/<id>/ appears whole, in one rename (see `course.generate_assignment`), so a book
    build or another release running at the same time never reads a half-written folder.
    """
    written = []
    for assignment in assignments or assignment_ids(root):
        require_assignment(assignment, root)
        folder = generate_assignment(assignment, root)  # nbgrader's converter, in this process
        written.append(folder / f"{assignment}.ipynb")
    return written


def execute_options(limits: Limits) -> list[str]:
    """nbgrader command-line options that give stock nbgrader's Execute the grader's cell limit.

    Stock nbgrader runs an ordinary kernel: of the limits, only the cell time limit applies.
    (Given on the command line, they override nbgrader_config.py.)
    """
    return [f"--Execute.timeout={limits.cell_timeout}", "--Execute.interrupt_on_timeout=True"]


def autograde_and_feedback(assignment: str, root: Path = ROOT, limits: Limits | None = None) -> None:
    """Stock sequential `nbgrader autograde` then `generate_feedback` for every submission."""
    limits = limits or Limits()
    nbgrader("autograde", assignment, "--create", "--force", *execute_options(limits), root=root)
    nbgrader("generate_feedback", assignment, "--force", root=root)


def grade(assignment: str, root: Path = ROOT, limits: Limits | None = None) -> Path:
    """Autograde every submission of `assignment`, write feedback, export grades to grades.csv."""
    require_assignment(assignment, root)
    submitted = sorted((root / "submitted").glob(f"*/{assignment}"))
    if not submitted:
        raise SystemExit(f"nothing to grade: no submitted/<student>/{assignment}/ folders")
    generate_assignment(assignment, root)  # the gradebook needs the source cells
    autograde_and_feedback(assignment, root, limits)
    out = root / "grades.csv"
    nbgrader("export", "--to", str(out), root=root)
    rows = list(csv.DictReader(out.open()))
    print(f"graded {len(submitted)} submission(s) of {assignment}; grades in {out}; feedback in feedback/")
    for row in rows:
        if row["assignment"] == assignment:
            print(f"  {row['student_id']}: {row['score']} / {row['max_score']}")
    return out
