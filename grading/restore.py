"""Restore a submission's structure to the released notebook's, as an nbgrader preprocessor.

A student can delete, duplicate, reorder, re-type or re-label graded cells. Stock nbgrader then
fails the submission (CheckCellMetadata) or grades a copy. `RestoreStructure` runs first in
nbgrader's *sanitize* step (Autograde.sanitize_preprocessors, before DeduplicateIds and
OverwriteCells), so the rest of nbgrader, and any preprocessor an instructor configured, sees a
notebook with the released structure; OverwriteCells then restores the source of locked cells
from the gradebook, so tests cannot be edited away either. Each repair is logged as a warning; the
grading worker reads the repairs back from nbgrader's captured log for grades.csv.

It reads the released notebook from the course's release folder
(release/<assignment>/<notebook>.ipynb); without one it leaves the notebook as it is. A notebook whose
metadata says it is a translation (metadata.rnn_course.language = "ko") is restored to the translated
release it came from (release/ko/<assignment>/), when the course has one: same cells, ids and nbgrader
metadata, so the grading is the same, and its Korean prose is not taken for an edited locked cell.
"""

from __future__ import annotations

import copy
import os
import threading
import uuid

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from rnn_course.notebook_i18n import language_of

_LOCK = threading.Lock()


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _as_type(cell: dict, cell_type: str) -> dict:
    """`cell` as a valid cell of `cell_type` (a student may have turned code into markdown)."""
    cell = dict(cell, cell_type=cell_type)
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return cell


def restore_structure(student: dict, release: dict) -> tuple[dict, list[str]]:
    """Restore the released structure around the student's answers; return the notebook and what was repaired.

    Graded and locked cells are matched by grade_id and put back in the released order with their
    released metadata and type (an edited locked cell is noted: nbgrader's OverwriteCells restores its
    source); the first copy of a duplicated cell counts and later copies become
    ordinary cells; a deleted cell is restored from the release (a deleted answer is the stub again);
    cells the student added, and released cells without a grade_id (scratch space, which the
    student owns), travel with the graded cell they followed. Every cell keeps a unique id.
    """
    release_cells = release.get("cells", [])
    known = {_grade_id(c): c for c in release_cells if _grade_id(c)}
    first: dict[str, dict] = {}
    attached: dict[str | None, list[dict]] = {}
    notes: list[str] = []
    previous = None
    for cell in student.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            notes.append("dropped a malformed cell")
            continue
        gid = _grade_id(cell)
        if gid in known and gid not in first:
            first[gid] = cell
            previous = gid
            continue
        if gid is not None:
            notes.append(f"a copy of graded cell {gid} was treated as an ordinary cell" if gid in known
                         else f"unknown graded cell {gid} was treated as an ordinary cell")
        metadata = {k: v for k, v in cell.get("metadata", {}).items() if k != "nbgrader"}
        attached.setdefault(previous, []).append(dict(cell, metadata=metadata))
    cells = list(attached.get(None, []))
    order = [_grade_id(c) for c in student.get("cells", []) if isinstance(c, dict) and _grade_id(c) in known]
    seen = list(dict.fromkeys(order))
    if seen != [g for g in (_grade_id(c) for c in release_cells) if g in first]:
        notes.append("graded cells were out of order and were put back in the released order")
    for released in release_cells:
        gid = _grade_id(released)
        if gid is None:
            continue  # not graded: the student's own copy (if they kept it) travels with its neighbour
        meta = released["metadata"]["nbgrader"]
        if gid in first:
            if meta.get("locked") and first[gid].get("source") != released.get("source"):
                notes.append(f"locked cell {gid} was edited; its released source is restored")
            cell = _as_type(first[gid], released["cell_type"])
            if cell.get("metadata", {}).get("nbgrader") != meta:
                if cell.get("metadata", {}).get("nbgrader", {}).get("points") != meta.get("points") or \
                        cell.get("metadata", {}).get("nbgrader", {}).get("grade") != meta.get("grade"):
                    notes.append(f"the grading metadata of {gid} was changed and has been restored")
            cell = dict(cell, metadata=dict(cell.get("metadata", {}), nbgrader=copy.deepcopy(meta)))
        else:
            cell = copy.deepcopy(released)
            notes.append(f"deleted cell {gid} was restored from the released notebook")
        cells.append(cell)
        cells.extend(attached.get(gid, []))
    used: set[str] = set()
    for index, cell in enumerate(cells):  # a copied cell keeps its original's id: give it its own
        if "id" in cell and (cell["id"] in used or not isinstance(cell["id"], str)):
            cells[index] = cell = dict(cell, id=uuid.uuid4().hex[:8])
        if "id" in cell:
            used.add(cell["id"])
    metadata = copy.deepcopy(release.get("metadata", student.get("metadata", {})))
    return dict(student, cells=cells, metadata=metadata), notes


_RELEASES: dict[bytes, dict] = {}


def _read_release(path: str) -> dict:
    """The released notebook at `path`, parsed once per process for each content (every submission of
    an assignment restores against the same release; parsing it is most of this step's cost)."""
    import hashlib

    with open(path, "rb") as f:
        data = f.read()
    key = hashlib.sha256(data).digest()
    with _LOCK:
        if key not in _RELEASES:
            if len(_RELEASES) >= 8:
                _RELEASES.clear()
            _RELEASES[key] = nbformat.reads(data.decode("utf-8"), as_version=4)  # joins lists of lines
        return _RELEASES[key]  # read only: restore_structure copies what it uses


def repairs_in_log(log: str, student: str, notebook: str) -> list[str]:
    """The repairs RestoreStructure made to one notebook, read back from nbgrader's captured log
    (it logs each as a warning), so the notes travel with the log and no state is kept between calls."""
    mark = f"{RestoreStructure.LOG_MARK}{student}/{notebook}: "
    return [line.split(mark, 1)[1] for line in log.splitlines() if mark in line]


class RestoreStructure(NbGraderPreprocessor):
    """Give a submitted notebook the released notebook's structure (see the module docstring)."""

    LOG_MARK = "restore structure: "  # begins each of its log lines

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        assignment, student, notebook = info.get("assignment"), info.get("student"), info.get("notebook")
        coursedir = CourseDirectory(config=self.config)
        path = os.path.join(coursedir.format_path(coursedir.release_directory, ".", assignment),
                            f"{notebook}.ipynb")
        language = language_of(nb)
        translated = os.path.join(coursedir.root, coursedir.release_directory, language, assignment,
                                  f"{notebook}.ipynb")
        if language != "en" and os.path.isfile(translated):
            path = translated  # the notebook this student was given: its prose is not an edit
        if not os.path.isfile(path):
            self.log.warning("No released notebook at %s: the structure of %s is not restored", path, notebook)
            return nb, resources
        release = _read_release(path)
        restored, notes = restore_structure(nb, release)
        for note in notes:  # one line each: repairs_in_log reads them back
            self.log.warning("%s%s/%s: %s", self.LOG_MARK, student, notebook, note.replace("\n", " "))
        return nbformat.from_dict(restored), resources
