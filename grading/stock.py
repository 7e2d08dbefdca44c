"""Release and grade with stock nbgrader commands (sequential); the course's own pipeline builds on this."""

from __future__ import annotations

import csv
from pathlib import Path

from .course import ROOT, assignment_ids, generate_assignment, nbgrader, require_assignment


def release(assignments: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    """Generate the student notebook of each assignment into release/<id>/ (never solutions)."""
    written = []
    for assignment in assignments or assignment_ids(root):
        require_assignment(assignment, root)
        generate_assignment(assignment, root)  # nbgrader's converter, without a new interpreter each time
        written.append(root / "release" / assignment / f"{assignment}.ipynb")
    return written


def grade(assignment: str, root: Path = ROOT) -> Path:
    """Autograde every submission of `assignment`, write feedback, export grades to grades.csv."""
    require_assignment(assignment, root)
    submitted = sorted((root / "submitted").glob(f"*/{assignment}"))
    if not submitted:
        raise SystemExit(f"nothing to grade: no submitted/<student>/{assignment}/ folders")
    nbgrader("generate_assignment", assignment, "--force", root=root)  # the gradebook needs the source cells
    nbgrader("autograde", assignment, "--create", "--force", root=root)
    nbgrader("generate_feedback", assignment, "--force", root=root)
    out = root / "grades.csv"
    nbgrader("export", "--to", str(out), root=root)
    rows = list(csv.DictReader(out.open()))
    print(f"graded {len(submitted)} submission(s) of {assignment}; grades in {out}; feedback in feedback/")
    for row in rows:
        if row["assignment"] == assignment:
            print(f"  {row['student_id']}: {row['score']} / {row['max_score']}")
    return out
