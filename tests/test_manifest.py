"""course.yml is the one list of chapters and assignments: everything it names exists and agrees with it.

These tests read files only (no kernel, no book build): they fail the moment a chapter, an
assignment, its notebook, check module, test cases, page, points or data files disagree with the
manifest, and they check that a malformed manifest is refused with a message naming the entry.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from conftest import ROOT
from rnn_course.__main__ import toc_text
from rnn_course.manifest import ManifestError, load, parse

COURSE = load()
RAW = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
ASSIGNMENTS = [pytest.param(a, id=a.id) for a in COURSE.assignments]


def test_toc_is_generated_from_the_manifest():
    assert (ROOT / "_toc.yml").read_text(encoding="utf-8") == toc_text(), (
        "_toc.yml disagrees with course.yml: run `make toc` and commit _toc.yml")


def test_every_chapter_file_is_in_the_manifest_and_titled_as_it_says():
    on_disk = sorted(f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("*.md"))
    assert on_disk == [c.slug for c in COURSE.chapters], "chapters/*.md and course.yml's chapters differ"
    for chapter in COURSE.chapters:
        text = (ROOT / chapter.path).read_text(encoding="utf-8")
        heading = re.search(r"^# (.+)$", text, re.M)
        assert heading and heading.group(1).strip() == chapter.title, (
            f"{chapter.path}: its heading is {heading.group(1) if heading else None!r}, "
            f"course.yml says {chapter.title!r}")


def test_every_exercise_folder_is_in_the_manifest():
    folders = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
    assert folders == COURSE.assignment_ids, "exercises/ folders and course.yml's assignments differ"
    assert COURSE.assignment_ids == sorted(COURSE.assignment_ids), "assignment ids must sort in course order"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment_has_every_part(assignment):
    """Notebook, check module, test cases and page: the four files CONTRIBUTING.md says to add."""
    assert (ROOT / assignment.notebook).is_file(), f"{assignment.notebook} is missing"
    assert (ROOT / "solutions" / "rnn_reference" / "checks" / f"{assignment.id}.py").is_file(), (
        f"no check module solutions/rnn_reference/checks/{assignment.id}.py")
    assert (ROOT / "tests" / "cases" / f"{assignment.id}.py").is_file(), f"no tests/cases/{assignment.id}.py"
    assert (ROOT / f"{assignment.page}.md").is_file(), f"no page {assignment.page}.md"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_and_data_files_agree(assignment):
    nb = json.loads((ROOT / assignment.notebook).read_text(encoding="utf-8"))
    points = sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in nb["cells"])
    assert points == assignment.points, f"{assignment.id}: the notebook's points add up to {points}, course.yml says {assignment.points:g}"
    assert assignment.points % 10 == 0, f"{assignment.id}: points should be a round number"
    folder = ROOT / "exercises" / assignment.id
    beside = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".ipynb")
    assert beside == sorted(assignment.data), (
        f"{assignment.id}: files beside the notebook {beside} but course.yml's data lists {list(assignment.data)}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_needs_says_whether_the_notebook_uses_tensorflow(assignment):
    """A numpy assignment's notebook never imports Keras or TensorFlow (grading it must not pay 5 s for it)."""
    nb = json.loads((ROOT / assignment.notebook).read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    imports_tf = bool(re.search(r"^\s*(import|from)\s+(keras|tensorflow)\b", code, re.M))
    assert imports_tf == assignment.uses_tensorflow, (
        f"{assignment.id}: course.yml says needs: {assignment.needs}, but the notebook "
        f"{'imports' if imports_tf else 'does not import'} Keras/TensorFlow")


def _broken(edit) -> dict:
    data = copy.deepcopy(RAW)
    edit(data)
    return data


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["assignments"][0].update(practises=["chapters/99_nowhere"]), "which is not a chapter"),
    (lambda d: d["assignments"][1].update(id="a9_keras_outputs"), "two digits"),
    (lambda d: d["assignments"][1].update(id="a05_keras_outputs"), "its number must be 02"),
    (lambda d: d["assignments"][0].update(needs="torch"), "needs must be one of"),
    (lambda d: d["assignments"][0].pop("points"), "has no `points`"),
    (lambda d: d["assignments"][0].update(points="ten"), "must be a int or float"),
    (lambda d: d["chapters"].append(dict(d["chapters"][0])), "listed twice"),
    (lambda d: d["chapters"][0].update(slug="chapter_one"), "chapters/NN_topic"),
    (lambda d: d["assignments"][0].update(practises=[]), "practises no chapter"),
], ids=["unknown chapter", "one digit", "out of order", "bad needs", "no points", "points not a number",
        "duplicate chapter", "bad slug", "practises nothing"])
def test_a_malformed_manifest_is_refused_with_a_named_error(edit, message):
    with pytest.raises(ManifestError, match=re.escape(message)):
        parse(_broken(edit))


def test_the_manifest_as_committed_parses_to_the_loaded_course():
    assert parse(RAW) == COURSE
    assert all(a.practises for a in COURSE.assignments)
    practised = {c.slug for a in COURSE.assignments for c in a.practises}
    assert practised <= {c.slug for c in COURSE.chapters}


def test_grading_lists_the_manifests_assignments(tmp_path):
    from grading.course import assignment_ids, require_assignment

    assert assignment_ids() == COURSE.assignment_ids
    with pytest.raises(SystemExit, match="unknown assignment 'a1_rnn_from_scratch'.*a01_rnn_from_scratch"):
        require_assignment("a1_rnn_from_scratch")
    # a course folder of its own (e.g. a grading copy) with only some assignments' notebooks
    (tmp_path / "exercises" / "a03_parameter_counting").mkdir(parents=True)
    (tmp_path / "exercises" / "a03_parameter_counting" / "a03_parameter_counting.ipynb").write_text("{}")
    assert assignment_ids(tmp_path) == ["a03_parameter_counting"]
    with pytest.raises(SystemExit, match="in the manifest but .* does not exist"):
        require_assignment("a01_rnn_from_scratch", tmp_path)


def test_make_book_stops_on_a_stale_toc(tmp_path, monkeypatch, capsys):
    """`make book` runs `python -m rnn_course toc --check` first: it passes on the committed _toc.yml
    and fails, saying what to run, on one that disagrees with course.yml."""
    import rnn_course.__main__ as command

    assert "rnn_course toc --check" in (ROOT / "Makefile").read_text()
    assert command.main(["toc", "--check"]) == 0
    stale = tmp_path / "_toc.yml"
    stale.write_text(toc_text().replace("chapters/06_lstm\n", ""), encoding="utf-8")
    monkeypatch.setattr(command, "TOC", stale)
    assert command.main(["toc", "--check"]) == 1
    assert "run `make toc`" in capsys.readouterr().err
