"""The hidden tests of a03_parameter_counting, a04_lstm_gru and a05_deep_bidirectional, run in-process.

tests/test_assignments.py round-trips every assignment through nbgrader (minutes per assignment).
This file runs the same submissions -- the source solutions, the blank stubs, and the wrong,
alternative and cheating cases of tests/cases/<id>.py, plus more mistakes listed here -- by
executing the source notebook's cells in one namespace, the way the autograder's kernel does, in
seconds. It also checks that grading these numpy assignments never imports TensorFlow and that
re-grading gives the same result.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from cases import for_assignment
from conftest import ROOT, tool_env
from submissions import source_solutions

ASSIGNMENTS = ["a03_parameter_counting", "a04_lstm_gru", "a05_deep_bidirectional"]
STUB = "raise NotImplementedError()"


def source_notebook(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


def run_notebook(assignment: str, overrides: dict[str, str] | None = None, blank: bool = False) -> dict:
    """Execute the source notebook with its solution cells filled in; grade_id -> (points, error or None).

    Every code cell runs in one namespace, hidden tests included. As in nbgrader, a graded cell
    fails when it raises or writes a warning (stderr output scores 0).
    """
    path = source_notebook(assignment)
    answers = source_solutions(path)
    if blank:
        answers = {gid: STUB for gid in answers}
    answers.update(overrides or {})
    namespace: dict = {"__name__": "__main__"}
    results = {}
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code":
            if meta.get("grade"):
                results[meta["grade_id"]] = (meta["points"], "manually graded")
            continue
        gid = meta.get("grade_id")
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
    return results


def autograded_score(results: dict) -> float:
    return sum(points for points, error in results.values() if error is None)


def autograded_max(results: dict) -> float:
    return sum(points for points, error in results.values() if error != "manually graded")


def failures(results: dict) -> dict:
    return {gid: error for gid, (_, error) in results.items() if error not in (None, "manually graded")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_add_up(assignment):
    results = run_notebook(assignment)
    cases = for_assignment(assignment)
    total = sum(points for points, _ in results.values())
    manual = sum(points for points, error in results.values() if error == "manually graded")
    assert total == cases.MAX_SCORE and total % 10 == 0
    assert manual == getattr(cases, "MANUAL_POINTS", 0)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_solutions_pass_every_test(assignment):
    results = run_notebook(assignment)
    assert not failures(results)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_stubs_score_zero(assignment):
    results = run_notebook(assignment, blank=True)
    assert autograded_score(results) == 0, {gid: e for gid, (_, e) in results.items() if e is None}


def _case_ids(kind):
    return [pytest.param(a, i, id=f"{a}-{c.name}") for a in ASSIGNMENTS
            for i, c in enumerate(getattr(for_assignment(a), kind))]


@pytest.mark.parametrize("assignment, index", _case_ids("WRONG"))
def test_wrong_case_loses_points_with_its_hint(assignment, index):
    case = for_assignment(assignment).WRONG[index]
    results = run_notebook(assignment, case.overrides)
    failed = failures(results)
    assert failed, f"{case.name!r} passed every test"
    assert any(case.hint in error for error in failed.values()), f"{case.name!r}: no message says {case.hint!r}: {failed}"


@pytest.mark.parametrize("assignment, index", _case_ids("ALTERNATIVE"))
def test_alternative_case_passes(assignment, index):
    case = for_assignment(assignment).ALTERNATIVE[index]
    assert not failures(run_notebook(assignment, case.overrides))


@pytest.mark.parametrize("assignment, index", _case_ids("CHEAT"))
def test_cheat_case_scores_zero(assignment, index):
    case = for_assignment(assignment).CHEAT[index]
    failed = failures(run_notebook(assignment, case.overrides))
    for gid in case.zero:
        assert gid in failed and case.hint in failed[gid], (gid, failed.get(gid))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grading_is_deterministic(assignment):
    case = for_assignment(assignment).WRONG[0]
    assert run_notebook(assignment, case.overrides) == run_notebook(assignment, case.overrides)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grading_never_imports_tensorflow(assignment):
    """Run every test of the solved notebook in a fresh interpreter; TensorFlow and Keras stay unloaded."""
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(ROOT / 'tests')!r}]\n"
        "from test_checks_a3_a4_a5 import run_notebook, failures\n"
        f"results = run_notebook({assignment!r})\n"
        "print(json.dumps({'failures': failures(results), 'graded': len(results),\n"
        "                  'loaded': sorted(m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=tool_env(), text=True,
                            capture_output=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["graded"] > 0 and not report["failures"]
    assert report["loaded"] == [], f"grading {assignment} imported {report['loaded']}"


# More mistakes than tests/cases lists (those also go through nbgrader): each must lose points and be named.
def edit(source: str, old: str, new: str) -> str:
    """`source` with `old` replaced by `new`; `old` must occur (a no-op edit would test nothing)."""
    assert old in source, old
    return source.replace(old, new)


def _extra_mistakes():
    from cases import a03_parameter_counting as a3, a04_lstm_gru as a4, a05_deep_bidirectional as a5

    gru_gates = "z = sigmoid(p[:, :units] + q[:, :units])\n    r = sigmoid(p[:, units:2 * units] + q[:, units:2 * units])"
    three_params = "3 * units * (input_dim + units + 2)"
    a3_cases = [
        ("simple_rnn_params", a3.fn(a3.SIMPLE, "input_dim * (input_dim + units + 1)"), "units and input_dim are swapped"),
        ("gru_params", a3.fn(a3.GRU, "4 * units * (input_dim + units + (2 if reset_after else 1))"),
         "four blocks (an LSTM's count) instead of three"),
        ("gru_params", a3.fn(a3.GRU, three_params), "reset_after=False is ignored"),
        ("dense_params", a3.fn(a3.DENSE, "input_dim * units + (input_dim if use_bias else 0)"),
         "the bias is counted per input"),
        ("embedding_params", a3.fn(a3.EMBEDDING, "input_dim + output_dim"), "the sizes are added instead of multiplied"),
        ("lstm_params", a3.fn(a3.LSTM, "4 * units * input_dim + units * units + 4 * units"),
         "the recurrent kernel is counted as (units, units)"),
        ("bidirectional_params", a3.fn(a3.BIDIRECTIONAL, "[inner_params, inner_params]"), "must return one whole number"),
    ]
    a4_cases = [
        ("lstm_cell_step", a4.lstm_cell(order="fico"), "the blocks are read as f, i, c, o"),
        ("lstm_cell_step", a4.lstm_cell(order="icfo"), "the blocks are read as i, c, f, o"),
        ("lstm_cell_step", a4.lstm_cell(cell="f * c_prev + g"), "the input gate is dropped"),
        ("lstm_cell_step", a4.lstm_cell(hidden="np.tanh(c)"), "the output gate is missing"),
        ("lstm_cell_step", edit(a4.lstm_cell(), "g = np.tanh(", "g = sigmoid("), "the candidate cell uses sigmoid"),
        ("lstm_cell_step", edit(a4.lstm_cell(), "return h, c", "return c, h"), "h and c are swapped"),
        ("lstm_cell_step", a4.LSTM_CELL.format(i="0::4", f="1::4", c="2::4", o="3::4", cell="f * c_prev + i * g",
                                               hidden="o * np.tanh(c)"), "the gate blocks are read interleaved"),
        ("lstm_forward", edit(a4.lstm_forward(), "h, c = (zeros, zeros)", "c, h = (zeros, zeros)"),
         "initial_state is read as [c, h]"),
        ("lstm_forward", edit(a4.lstm_forward(), "return [output, h, c]", "return [output, c, h]"),
         "the states are returned as [output, c, h]"),
        ("lstm_forward", edit(a4.lstm_forward(), "return [output, h, c]", "return [output, h]"),
         "it must return [output, h, c]"),
        ("lstm_forward", a4.lstm_forward(output="np.stack(outputs, axis=1) if return_sequences else outputs[0]"),
         "the first step is returned instead of the last"),
        ("gru_cell_step", a4.gru_cell(after="True"), "reset_after=False is ignored"),
        ("gru_cell_step", a4.gru_cell(biases="(bias[0], 0 * bias[1]) if reset_after else (bias, np.zeros_like(bias))"),
         "the recurrent bias row bias[1] is ignored"),
        ("gru_cell_step", a4.gru_cell(mix="candidate"), "the update gate is not used"),
        ("gru_cell_step", edit(a4.gru_cell(), "r = sigmoid(p[:, units:2 * units] + q[:, units:2 * units])", "r = 1.0"),
         "the reset gate is not used"),
        ("gru_cell_step", edit(a4.gru_cell(), gru_gates, gru_gates.replace("z =", "Z =").replace("r =", "z =")
                               .replace("Z =", "r =")), "the blocks are read as r, z, h"),
        ("gru_forward", edit(a4.gru_forward(), "x[:, t, :]", "x[:, -1 - t, :]"), "the sequence is processed backwards"),
    ]
    a5_cases = [
        ("bidirectional_forward", edit(a5.bidirectional(), "return forward * backward", "return forward + backward"),
         "merge_mode=mul is computed as sum"),
        ("bidirectional_forward", edit(a5.bidirectional(), "*backward_weights", "*forward_weights"),
         "the backward layer uses the forward weights"),
        ("bidirectional_forward", edit(a5.bidirectional(), "axis=-1", "axis=0"), "the halves are joined along the batch axis"),
        ("bidirectional_forward", edit(a5.bidirectional(align="pass", forward_sequences="True"), 'if merge_mode == "concat"',
                                       "if not return_sequences:\n        forward, backward = forward[:, -1], backward[:, -1]"
                                       '\n    if merge_mode == "concat"'),
         "the backward sequence is not flipped back"),
        ("bidirectional_forward", edit(a5.bidirectional(), "layer_forward(", "simple_rnn_forward("),
         "it ignores layer_forward=lstm_forward"),
        ("stacked_forward", edit(a5.stacked(), "enumerate(layers)", "enumerate(layers[::-1])"),
         "the layers are applied in reverse order"),
        ("stacked_forward", edit(a5.stacked(), "simple_rnn_forward(output,", "simple_rnn_forward(x,"),
         "every layer reads the original x"),
        ("textbook_lstm_weights", a5.WEIGHTS.format(bias="bias[9:] = 1.0"), "the 1s are in the output gate block"),
        ("textbook_lstm_weights", a5.WEIGHTS.format(bias="bias[:] = 1.0"), "the whole bias is 1"),
    ]
    return [pytest.param(assignment, {cell: source}, hint, id=f"{assignment}-{hint[:40]}")
            for assignment, cases in (("a03_parameter_counting", a3_cases), ("a04_lstm_gru", a4_cases),
                                      ("a05_deep_bidirectional", a5_cases))
            for cell, source, hint in cases]


@pytest.mark.parametrize("assignment, overrides, hint", _extra_mistakes())
def test_more_mistakes_are_named(assignment, overrides, hint):
    failed = failures(run_notebook(assignment, overrides))
    assert failed, "this mistake passed every test"
    assert any(hint in error for error in failed.values()), f"no message says {hint!r}: {failed}"


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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_line_appears_outside_its_region(assignment):
    """tests/test_assignments.py rejects a release containing any solution line (> 12 characters): catch it early."""
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    released = _release_text(nb)
    leaked = [line.strip() for cell in nb.cells
              for region in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S)
              for line in region.splitlines() if len(line.strip()) > 12 and line.strip() in released]
    assert not leaked
