"""The class's reports: reports/<id>/grades.csv (from the gradebook, with each status and error) and a histogram."""

from __future__ import annotations

import csv
from pathlib import Path

from .ledger import Ledger

def export(root: Path, assignment: str, ledger: Ledger, students: list[str], gb) -> tuple[Path, Path]:
    """reports/<assignment>/grades.csv (from the gradebook, with status and error) and a histogram PNG."""
    from nbgrader.api import MissingEntry

    folder = root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    max_score = gb.find_assignment(assignment).max_score
    for student in students:
        entry = ledger.latest.get(student, {})
        try:
            score = gb.find_submission(assignment, student).score
        except MissingEntry:
            score = None
        rows.append({"student_id": student, "score": score, "max_score": max_score,
                     "status": entry.get("status", "not graded"), "error": entry.get("error", ""),
                     "notes": "; ".join(entry.get("notes", [])),
                     "seconds": round(entry.get("seconds", 0.0), 2)})
    csv_path = folder / "grades.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student_id"])
        writer.writeheader()
        writer.writerows(rows)
    plot_path = folder / "grade_distribution.png"
    _plot(rows, max_score, assignment, plot_path)
    return csv_path, plot_path


def _plot(rows: list[dict], max_score: float, assignment: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = [r["score"] for r in rows if r["status"] == "graded" and r["score"] is not None]
    errors = sum(r["status"] == "error" for r in rows)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = max(1, int(max_score)) if max_score else 10
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{assignment}: {len(scores)} graded, {errors} not gradable")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
