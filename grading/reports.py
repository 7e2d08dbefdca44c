"""The class's reports: reports/<id>/grades.csv (from the gradebook, with each status and error) and a histogram,
and the class report (`class_report`): per test, the fraction of the class that passed it and the named
mistakes the hidden tests found most often, as reports/<id>/class_report.csv, mistakes.csv and a plot."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .ledger import Ledger

def export(root: Path, assignment: str, ledger: Ledger, students: list[str], gb, *,
           class_report_too: bool = True) -> tuple[Path, Path]:
    """reports/<assignment>/grades.csv (from the gradebook, with status and error) and a histogram PNG;
    the class report too, unless it is newer than the ledger and the gradebook (nothing new was graded)."""
    from nbgrader.api import MissingEntry

    folder = root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    max_score = gb.find_assignment(assignment).max_score
    for student in students:
        entry = ledger.latest.get(student, {})
        waiting = []  # (grade_id, points) of the answers a person still has to grade
        submitted, late_by, penalty = "", 0.0, 0.0
        try:
            submission = gb.find_submission(assignment, student)
            score = submission.score
            waiting = [(g.name, g.max_score) for nb in submission.notebooks for g in nb.grades
                       if g.needs_manual_grade]
            submitted = f"{submission.timestamp:%Y-%m-%d %H:%M:%S} UTC" if submission.timestamp else ""
            late_by = float(submission.total_seconds_late or 0.0)
            penalty = float(submission.late_submission_penalty or 0.0)
        except MissingEntry:
            score = None
        rows.append({"student_id": student, "score": score, "max_score": max_score,
                     "submitted": submitted, "hours_late": round(late_by / 3600, 2), "late_penalty": penalty,
                     "final_score": None if score is None else max(0.0, score - penalty),
                     "points_to_grade": sum(points for _, points in waiting),
                     "awaiting_manual_grading": " ".join(name for name, _ in waiting),
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
    if class_report_too and not _class_report_current(root, assignment):
        try:
            class_report(root, assignment, ledger, students, gb)
        except Exception as err:  # the grades are recorded: a report that fails must not hide that
            print(f"the class report could not be written ({type(err).__name__}: {err}); "
                  f"make report ASSIGNMENT={assignment} retries it", file=sys.stderr)
    return csv_path, plot_path


def _plot(rows: list[dict], max_score: float, assignment: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = [r["final_score"] for r in rows if r["status"] == "graded" and r["final_score"] is not None]
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


# ------------------------------------------------------------------------------------------------
# The class report: which tests the class passed, which mistakes it made
# ------------------------------------------------------------------------------------------------
TOP_MISTAKES = 3  # named per test in class_report.csv
PLOT_MISTAKES = 12  # the most common mistakes in the plot
ALL_TESTS = "(any test)"  # mistakes.csv: the students who made a mistake in any test, each once
_ONE = re.compile(r"Likely mistake: (.+)")  # rnn_reference.checks._harness.compare (one line)
_MANY = re.compile(r"Likely mistakes:\n((?:  - .+(?:\n|$))+)")  # the a08 checks: one line per wrong output
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def mistakes_in(message: str) -> list[str]:
    """The mistakes a hidden test's failure message names ("... Likely mistake: <hint>." or
    "Likely mistakes:\\n  - <output>: <hint>" per wrong output), in order, each once."""
    found: list[str] = []
    for match in _ONE.finditer(message):
        found.append(match[1].strip().rstrip("."))
    for match in _MANY.finditer(message):
        for line in match[1].splitlines():
            item = line.strip()[2:].strip()  # "- dh_prev: the slope uses h_prev"
            output, sep, hint = item.partition(": ")
            found.append((hint if sep and " " not in output else item).rstrip("."))
    return list(dict.fromkeys(m for m in found if m))


def _cell_error(cell: dict) -> str:
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            texts.append(out.get("evalue") or _ANSI.sub("", "\n".join(out.get("traceback", []))))
    return "\n".join(texts)


def _notebook_mistakes(path: Path) -> Iterator[tuple[str, str]]:
    """(grade_id, mistake) for every mistake a graded cell of the autograded notebook `path` names."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell.get("cell_type") == "code":
            for mistake in mistakes_in(_cell_error(cell)):
                yield meta.get("grade_id", "?"), mistake


def _test_order(root: Path, assignment: str) -> list[str]:
    """The grade_ids of the source notebooks' autograded cells in notebook order (the report's rows)."""
    ids = []
    for path in sorted((root / "exercises" / assignment).glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        ids += [c["metadata"]["nbgrader"]["grade_id"] for c in nb.get("cells", [])
                if c.get("cell_type") == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    return ids


def _class_report_current(root: Path, assignment: str) -> bool:
    folder = root / "reports" / assignment
    made = [folder / name for name in ("class_report.csv", "mistakes.csv", "class_report.png")]
    inputs = [folder / "ledger.jsonl", root / "gradebook.db"]
    if not all(p.is_file() for p in made + inputs):
        return False
    return min(p.stat().st_mtime for p in made) > max(p.stat().st_mtime for p in inputs)


def class_report(root: Path, assignment: str, ledger: Ledger, students: list[str], gb) -> tuple[Path, Path, Path]:
    """reports/<assignment>/class_report.csv, mistakes.csv and class_report.png, for the graded students.

    Pass/fail per test comes from the gradebook (a test is passed when its score, the manual one when a
    grader set it, reaches its points); the mistakes from the failure messages in the autograded
    notebooks, read one student at a time, and each mistake counts once per student: per test (each
    test's row, and mistakes.csv), and across tests (mistakes.csv's "(any test)" rows, and the plot).
    """
    from nbgrader.api import Assignment, Grade, GradeCell, SubmittedAssignment, SubmittedNotebook

    graded = {s for s in students if ledger.latest.get(s, {}).get("status") == "graded"}
    points: dict[str, float] = {}
    n_graded: Counter = Counter()
    n_passed: Counter = Counter()
    query = (gb.db.query(SubmittedAssignment.student_id, GradeCell.name, GradeCell.max_score, Grade.auto_score,
                         Grade.manual_score, Grade.extra_credit)
             .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
             .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
             .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
             .join(GradeCell, GradeCell.id == Grade.cell_id)
             .filter(Assignment.name == assignment, GradeCell.cell_type == "code"))
    for student, name, max_score, auto, manual, extra in query.yield_per(1000):
        if student not in graded:
            continue
        points[name] = max_score or 0.0
        score = manual if manual is not None else auto
        n_graded[name] += 1
        n_passed[name] += score is not None and score + (extra or 0.0) >= (max_score or 0.0)

    per_test: Counter = Counter()  # (grade_id, mistake) -> students
    overall: Counter = Counter()  # mistake -> students, each student once whatever the tests
    for student in sorted(graded):
        folder = root / "autograded" / student / assignment
        pairs: set[tuple[str, str]] = set()
        for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
            try:
                pairs.update(_notebook_mistakes(path))
            except (OSError, ValueError, AttributeError):
                continue  # an unreadable autograded notebook names no mistake; its grades still count
        per_test.update(pairs)
        overall.update({mistake for _, mistake in pairs})

    order = [gid for gid in _test_order(root, assignment) if gid in points]
    order += sorted(set(points) - set(order))
    folder = root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for gid in order:
        top = sorted(((n, m) for (g, m), n in per_test.items() if g == gid), key=lambda t: (-t[0], t[1]))
        rows.append({"grade_id": gid, "points": f"{points[gid]:g}", "n_graded": n_graded[gid],
                     "n_passed": n_passed[gid],
                     "passed_fraction": f"{n_passed[gid] / n_graded[gid]:.3f}" if n_graded[gid] else "",
                     "top_mistakes": " | ".join(f"{m}: {n} student{'s' if n != 1 else ''}"
                                               for n, m in top[:TOP_MISTAKES])})
    csv_path = folder / "class_report.csv"
    _write_csv(csv_path, ["grade_id", "points", "n_graded", "n_passed", "passed_fraction", "top_mistakes"], rows)
    mistakes_path = folder / "mistakes.csv"
    _write_csv(mistakes_path, ["mistake", "grade_id", "students"],
               [{"mistake": m, "grade_id": ALL_TESTS, "students": n}
                for m, n in sorted(overall.items(), key=lambda t: (-t[1], t[0]))]
               + [{"mistake": m, "grade_id": g, "students": n}
                  for (g, m), n in sorted(per_test.items(), key=lambda t: (-t[1], t[0][1], t[0][0]))])
    plot_path = folder / "class_report.png"
    _plot_class(rows, overall.most_common(PLOT_MISTAKES), len(graded), assignment, plot_path)
    return csv_path, mistakes_path, plot_path


def _write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _plot_class(rows: list[dict], mistakes: list[tuple[str, int]], n_students: int, assignment: str,
                path: Path) -> None:
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = max(3.0, 0.45 * max(len(rows), len(mistakes), 1) + 1.5)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [1, 1.3]})
    names = [r["grade_id"] for r in rows][::-1]
    fractions = [float(r["passed_fraction"] or 0) for r in rows][::-1]
    left.barh(names, fractions, color="#4c72b0")
    left.set_xlim(0, 1)
    left.set_xlabel("fraction of the graded class that passed")
    left.set_title(f"{assignment}: {n_students} graded")
    if mistakes:
        labels = [textwrap.fill(textwrap.shorten(m, 96, placeholder="..."), 48) for m, _ in mistakes][::-1]
        counts = [n for _, n in mistakes][::-1]
        right.barh(labels, counts, color="#dd8452")
        right.xaxis.get_major_locator().set_params(integer=True)
        right.set_xlabel("students (each counted once)")
    else:
        right.text(0.5, 0.5, "no named mistakes", ha="center", va="center", transform=right.transAxes)
        right.set_yticks([])
    right.set_title("most common mistakes")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(root: Path, assignment: str) -> tuple[Path, ...]:
    """`python -m grading report <id>`: grades.csv, its histogram and the class report of what the gradebook
    holds now (after manual grading and a due-date change too)."""
    from nbgrader.api import Gradebook

    from .course import require_assignment
    from .deadlines import apply as apply_deadlines
    from .gradebook import db_url
    from .pipeline import submissions

    require_assignment(assignment, root)
    ledger_path = root / "reports" / assignment / "ledger.jsonl"
    if not (root / "gradebook.db").is_file() or not ledger_path.is_file():
        raise SystemExit(f"{assignment} has not been graded in {root}: run make grade ASSIGNMENT={assignment} first")
    with Gradebook(db_url(root), "rnn-course") as gb:
        apply_deadlines(root, gb, assignment)  # course.yml's due date and policy as they are now
        ledger, students = Ledger(ledger_path), submissions(root, assignment)
        grades = export(root, assignment, ledger, students, gb, class_report_too=False)
        return (*grades, *class_report(root, assignment, ledger, students, gb))
