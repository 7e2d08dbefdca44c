"""Release and grade with stock nbgrader commands (sequential); the course's own pipeline builds on this."""

from __future__ import annotations

import csv
import shutil
import tempfile
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


TRANSLATIONS = ("ko",)  # release/<language>/<id>/: the student notebooks translated from locales/<language>/


def release_translated(assignments: list[str] | None = None, root: Path = ROOT, strict: bool = True,
                       catalogues: Path | None = None) -> list[Path]:
    """The Korean student notebooks: release/ko/<id>/<id>.ipynb (and the same data files) for each
    assignment, from its English release/<id>/ and locales/ko/LC_MESSAGES/exercises/<id>.po.

    Strict (the default): an assignment with a message untranslated, fuzzy or missing from its
    catalogue gets no Korean release (a stale one is removed, so nothing out of date ships), and
    SystemExit names every such catalogue and msgid after the complete ones are published. Not
    strict, a missing translation keeps its English block (for a translator's preview only).
    `catalogues` is another locales/ko/LC_MESSAGES/ (a test's own); by default the course's.
    """
    import nbformat

    from rnn_course import notebook_i18n

    from .course import publish

    written, problems = [], []
    base = Path(root) / "release"
    for assignment in assignments or assignment_ids(root):
        require_assignment(assignment, root)
        english = base / assignment
        if not (english / f"{assignment}.ipynb").is_file():
            raise SystemExit(f"no English release of {assignment} in {english}: run make release")
        po = (Path(catalogues) / notebook_i18n.CATALOGUE_FOLDER / f"{assignment}.po" if catalogues
              else notebook_i18n.catalogue_path(root, assignment))
        name = str(po.relative_to(root)) if po.is_relative_to(root) else str(po)
        catalog = notebook_i18n.read_catalogue(po) if po.is_file() else None
        target = base / notebook_i18n.LANGUAGE / assignment
        try:
            notebook = notebook_i18n.translate_notebook(
                nbformat.read(english / f"{assignment}.ipynb", as_version=4), catalog, strict=strict, name=name)
        except notebook_i18n.Untranslated as err:
            problems += err.problems
            shutil.rmtree(target, ignore_errors=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{assignment}-", dir=target.parent))
        try:
            folder = staging / assignment
            shutil.copytree(english, folder, ignore=shutil.ignore_patterns(f"{assignment}.ipynb"))
            nbformat.write(nbformat.from_dict(notebook), folder / f"{assignment}.ipynb")
            written.append(publish(folder, target) / f"{assignment}.ipynb")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if problems:
        raise SystemExit(str(notebook_i18n.Untranslated(problems)) +
                         "\n(the English release/<id>/ is written; `--korean off` releases no Korean notebook)")
    return written


def withdraw_translated(assignments: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    """Remove release/ko/<id>/ of each assignment (`make release KOREAN=off`): a Korean notebook left from
    an earlier release would no longer match the English one just released."""
    from rnn_course.notebook_i18n import LANGUAGE

    removed = []
    for assignment in assignments or assignment_ids(root):
        target = Path(root) / "release" / LANGUAGE / assignment
        if target.exists():
            shutil.rmtree(target)
            removed.append(target)
    return removed


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
