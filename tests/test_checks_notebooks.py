"""Every assignment's hidden tests, run in-process on the source notebook: one runner for all of them.

tests/test_assignments.py round-trips every assignment through nbgrader (minutes per assignment).
This file runs the same submissions -- the source solutions, the blank stubs, and the wrong,
alternative and cheating cases of tests/cases/<id>.py, MORE_WRONG included -- with
`submissions.run_notebook`, which executes the source notebook's own cells (solutions, visible and
hidden tests) in one namespace, the way the autograder's kernel does, in seconds. The assignments
come from the course manifest.

Training a model is what takes the time: a run of a06 or a07 stops before the training cell
unless the case changes that cell (tests/cases/__init__.py, TRAINING); the round trip grades the
trained models of the solution, the alternative and the cheat.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys

import nbformat
import pytest

from cases import VISIBLE_CATCH_FLOOR, all_wrong, for_assignment, trains, training_cell
from conftest import ROOT, tool_env
from rnn_course.manifest import load
from submissions import hidden_tests, released_source, run_notebook, source_notebook, visible_tests

ASSIGNMENTS = load().assignments
IDS = [a.id for a in ASSIGNMENTS]
NUMPY_ONLY = [a.id for a in ASSIGNMENTS if not a.uses_tensorflow]


@functools.lru_cache(maxsize=None)
def solution_run(assignment: str):
    """The source solutions, up to the training cell: run once, read by several tests (never changed)."""
    return run_notebook(assignment, stop_at=training_cell(for_assignment(assignment)))


def run_case(assignment: str, case):
    """Run a case of `assignment`: up to the training cell unless the case changes that cell."""
    module = for_assignment(assignment)
    return run_notebook(assignment, case.overrides, stop_at=None if trains(case, module) else training_cell(module))


def _cases(kind):
    cases = []
    for assignment in IDS:
        module = for_assignment(assignment)
        chosen = all_wrong(module) if kind == "wrong" else getattr(module, kind)
        cases += [pytest.param(assignment, case, id=f"{assignment}-{case.name}") for case in chosen]
    return cases


def test_every_assignment_has_cases():
    """Each assignment of the manifest has its cases module, with at least five realistic wrong solutions."""
    for assignment in IDS:
        module = for_assignment(assignment)
        assert len(module.WRONG) >= 5, assignment
        assert module.ALTERNATIVE and module.CHEAT, assignment


@pytest.mark.parametrize("assignment", IDS)
def test_points_add_up(assignment):
    cases = for_assignment(assignment)
    run = solution_run(assignment)
    total = sum(points for points, _ in run.results.values())
    assert total == cases.MAX_SCORE == load().assignment(assignment).points and total % 10 == 0
    assert run.manual_points() == getattr(cases, "MANUAL_POINTS", 0)


@pytest.mark.parametrize("assignment", IDS)
def test_source_solutions_pass_every_test(assignment):
    run = solution_run(assignment)
    assert not run.failures()
    assert run.score() == run.autograded_max() - sum(run.results[gid][0] for gid in run.not_run())


@pytest.mark.parametrize("assignment", IDS)
def test_blank_stubs_score_zero(assignment):
    run = run_notebook(assignment, blank=True, stop_at=training_cell(for_assignment(assignment)))
    assert run.score() == 0, {gid: e for gid, (_, e) in run.results.items() if e is None}


@pytest.mark.parametrize("assignment", [a for a in IDS if training_cell(for_assignment(a))])
def test_only_the_trained_model_is_graded_after_the_training_cell(assignment):
    """Stopping before the training cell skips the tests of the trained model, and nothing else."""
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    cell = training_cell(for_assignment(assignment))
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    after = [c for c in nb.cells[ids.index(cell) + 1:] if c.cell_type == "code"]
    assert after, f"{assignment}: no cell grades the trained model"
    for later in after:
        meta = later.metadata.get("nbgrader", {})
        assert not meta.get("solution"), f"{meta.get('grade_id')}: a solution cell after the training cell"
        assert re.search(r"\bmodel\b", later.source), f"{meta.get('grade_id')} does not read the trained model"
    skipped = solution_run(assignment).not_run()
    assert skipped == {c.metadata["nbgrader"]["grade_id"] for c in after if c.metadata.get("nbgrader", {}).get("grade")}


@pytest.mark.parametrize("assignment, case", _cases("wrong"))
def test_wrong_case_loses_points_with_its_hint(assignment, case):
    """Graded, the mistake loses points with its hint; before that, the visible tests do what the case says.

    A case marked `visible` fails a visible test (one `make check` runs) with a message that points at
    the mistake; a case marked `hidden_only` passes every visible test (else the catalogue is stale).
    """
    failed = run_case(assignment, case).failures()
    assert failed, f"{case.name!r} passed every test"
    assert any(case.hint in error for error in failed.values()), f"{case.name!r}: no message says {case.hint!r}: {failed}"
    seen = {gid: error for gid, error in failed.items() if gid in visible_tests(source_notebook(assignment))}
    if case.visible:
        assert seen, f"{case.name!r} is marked visible but passes every visible test"
        assert any(case.visible in error for error in seen.values()), \
            f"{case.name!r}: no visible test's message says {case.visible!r}: {seen}"
    else:
        assert not seen, (f"{case.name!r} is marked hidden_only but a visible test catches it: {seen}; "
                          "mark it `visible` with the text that test shows")


@pytest.mark.parametrize("assignment", IDS)
def test_visible_tests_catch_most_mistakes(assignment):
    """Every wrong case says whether `make check` catches it; the visible tests catch VISIBLE_CATCH_FLOOR of them."""
    cases = all_wrong(for_assignment(assignment))
    unsure = [c.name for c in cases if bool(c.visible) == bool(c.hidden_only)]
    assert not unsure, f"set exactly one of `visible` and `hidden_only` on: {unsure}"
    caught = sum(bool(c.visible) for c in cases)
    assert caught >= VISIBLE_CATCH_FLOOR * len(cases), (
        f"{assignment}: the visible tests catch {caught} of {len(cases)} wrong cases, fewer than "
        f"{VISIBLE_CATCH_FLOOR:.0%}; uncaught: {[c.name for c in cases if c.hidden_only]}")


@pytest.mark.parametrize("assignment", IDS)
def test_each_test_cell_is_visible_or_hidden(assignment):
    """A test cell is either visible (`make check` runs all of it) or hidden (graded only): never half of each,
    so that what `make check` reports for a cell is what that cell is worth."""
    path = source_notebook(assignment)
    nb = nbformat.read(path, as_version=4)
    hidden, visible = hidden_tests(path), visible_tests(path)
    mixed = [gid for gid in hidden if gid in visible]
    assert not mixed, f"test cells with both visible code and a hidden region: {mixed}"
    assert hidden and visible, "an assignment has visible and hidden tests"
    assert all(released_source(c.source).strip() for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
               and c.cell_type == "code"), "a test cell is empty once released (give it a docstring)"


@pytest.mark.parametrize("assignment, case", _cases("ALTERNATIVE"))
def test_alternative_case_passes(assignment, case):
    assert not run_notebook(assignment, case.overrides, stop_at=training_cell(for_assignment(assignment))).failures()


@pytest.mark.parametrize("assignment, case", _cases("CHEAT"))
def test_cheat_case_scores_zero(assignment, case):
    """The tests of the functions that use the reference score 0 (the trained model's: in the round trip)."""
    run = run_notebook(assignment, case.overrides, stop_at=training_cell(for_assignment(assignment)))
    failed = run.failures()
    checked = [gid for gid in case.zero if gid not in run.not_run()]
    assert checked, "no test of this case ran"
    for gid in checked:
        assert gid in failed and case.hint in failed[gid], (gid, failed.get(gid))


@pytest.mark.parametrize("assignment", IDS)
def test_grading_is_deterministic(assignment):
    module = for_assignment(assignment)
    case = module.WRONG[0]
    assert run_case(assignment, case).results == run_case(assignment, case).results


@pytest.mark.parametrize("assignment", IDS)
def test_importing_the_checks_does_not_load_tensorflow(assignment):
    code = (f"import sys, rnn_reference.checks.{assignment}\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("assignment", NUMPY_ONLY)
def test_grading_never_imports_tensorflow(assignment):
    """Run every test of the solved notebook in a fresh interpreter; TensorFlow and Keras stay unloaded."""
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(ROOT / 'tests')!r}]\n"
        "from submissions import run_notebook\n"
        f"run = run_notebook({assignment!r})\n"
        "print(json.dumps({'failures': run.failures(), 'graded': len(run.results),\n"
        "                  'loaded': sorted(m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=tool_env(), text=True,
                            capture_output=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["graded"] > 0 and not report["failures"]
    assert report["loaded"] == [], f"grading {assignment} imported {report['loaded']}"


def _release_text(nb) -> str:
    """What nbgrader releases, near enough: solution regions and hidden tests removed, manual answers blanked."""
    kept = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            continue
        text = re.sub(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n.*?### END \1\n?", "", cell.source, flags=re.S)
        kept.append(text)
    return "\n".join(kept)


@pytest.mark.parametrize("assignment", IDS)
def test_no_solution_line_appears_outside_its_region(assignment):
    """tests/test_assignments.py rejects a release containing any solution line (> 12 characters): catch it early."""
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    released = _release_text(nb)
    leaked = [line.strip() for cell in nb.cells
              for region in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S)
              for line in region.splitlines() if len(line.strip()) > 12 and line.strip() in released]
    assert not leaked



@pytest.mark.parametrize("assignment, check", [("a06_sequence_classification", "check_trained_classifier"),
                                               ("a07_language_model", "check_trained_language_model")])
def test_trained_model_guard_reads_the_notebook(assignment, check):
    """A model trained by a notebook that ran rnn_reference code scores 0; importing the hidden checks is fine.

    A trained model is no function call_student can watch: the check reads the kernel's input history
    (`In`), here an in-process IPython shell's.
    """
    import importlib

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from rnn_reference.checks import CheckFailed, UsedReference

    checker = getattr(importlib.import_module(f"rnn_reference.checks.{assignment}"), check)
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    try:
        shell.user_ns["In"] = ["import numpy as np", f"from rnn_reference.checks.{assignment} import {check}"]
        with pytest.raises(CheckFailed, match="must be your trained Keras model") as allowed:
            checker("not a model", {"<pad>": 0}, 3)
        assert not isinstance(allowed.value, UsedReference)
        shell.user_ns["In"].append("from rnn_reference import load_corpus as read_everything")
        with pytest.raises(UsedReference, match="read_everything"):
            checker("not a model", {"<pad>": 0}, 3)
    finally:
        InteractiveShell.clear_instance()
