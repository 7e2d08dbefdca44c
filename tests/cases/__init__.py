"""Submissions every assignment is graded against, one module per assignment (tests/cases/<id>.py).

Each module defines:
- WRONG: realistic wrong solutions (at least five for a numeric assignment), each with the hint
  its feedback must contain; all graded in-process, and ROUND_TRIP_WRONG of them through the real
  pipeline (nbgrader), chosen by `round_trip_wrong`: every case that changes the training cell, then
  one per solution cell in turn;
- MORE_WRONG (optional): more mistakes, each of which must also lose points with its hint, checked
  in-process only (tests/test_checks_notebooks.py), so that the round trip's time stays down;
- ALTERNATIVE: correct solutions written differently from the reference (must score full marks);
- CHEAT: solutions that call rnn_reference, with the tests that must score 0;
- MAX_SCORE: the assignment's total points (a round number); MANUAL_POINTS: those graded by hand;
- TRAINING (a06, a07): the grade_id of the solution cell that trains the model. The graded cells
  after it score the trained model. A wrong case that leaves that cell alone is graded without
  training: in-process the run stops before it, and in the round trip the cell stays as released.
  Training is what takes the time, and a wrong function is named by the cells before it.

Each case maps the grade_id of a solution cell to the full source a student might submit.

What the *visible* tests catch (what `make check` tells a student before submitting): every wrong
case, WRONG and MORE_WRONG, sets exactly one of
- `visible`: text that the failure of a visible test cell shows for this mistake (a message that
  points at it), or
- `hidden_only`: why no visible test can catch it (then no visible test may fail for it).
tests/test_checks_notebooks.py holds each case to its claim and every assignment to
VISIBLE_CATCH_FLOOR (80%) of its wrong cases caught; `python tests/visible_catch.py` runs each
case through the real `make check` path and prints the table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType


@dataclass
class Case:
    name: str
    overrides: dict[str, str]
    hint: str = ""                                        # text the feedback must contain
    zero: tuple[str, ...] = field(default_factory=tuple)  # tests that must score 0
    visible: str = ""      # text a failing visible test shows for this mistake (make check catches it)
    hidden_only: str = ""  # or: why only a hidden test can catch it


VISIBLE_CATCH_FLOOR = 0.8  # the share of an assignment's wrong cases its visible tests must catch
# How many wrong cases of an assignment tests/test_assignments.py grades through nbgrader. Each costs a
# sandboxed kernel (TensorFlow's import alone is 5-6 s); in-process, tests/test_checks_notebooks.py
# grades every one of them in a second or two. The round trip shows that the real pipeline takes the
# points and puts the hint in the feedback, which five cases over different cells show as well as twelve.
ROUND_TRIP_WRONG = 5


def edit(source: str, old: str, new: str) -> str:
    """`source` with `old` replaced by `new`; `old` must occur (a no-op edit would test nothing)."""
    if old not in source:
        raise ValueError(f"{old!r} does not occur in the source to edit")
    return source.replace(old, new)


def for_assignment(assignment: str) -> ModuleType:
    """The cases module of `assignment` (ImportError if it has none: every assignment needs one)."""
    return importlib.import_module(f"cases.{assignment}")


def all_wrong(module: ModuleType) -> list[Case]:
    """Every wrong case of an assignment: WRONG, then MORE_WRONG."""
    return [*module.WRONG, *getattr(module, "MORE_WRONG", [])]


def training_cell(module: ModuleType) -> str | None:
    """The grade_id of the cell that trains a model (None for an assignment without one)."""
    return getattr(module, "TRAINING", None)


def trains(case: Case, module: ModuleType) -> bool:
    """Whether grading `case` needs the model trained: only when the case changes the training cell."""
    cell = training_cell(module)
    return cell is not None and cell in case.overrides


def round_trip_wrong(module: ModuleType, limit: int = ROUND_TRIP_WRONG) -> list[Case]:
    """The WRONG cases graded through nbgrader, in WRONG's order: every case that changes the training
    cell (only the round trip grades a trained model), then the others one solution cell at a time (a
    case's first overridden cell), so that the cases spread over the functions, up to `limit`."""
    chosen = [case for case in module.WRONG if trains(case, module)]
    by_cell: dict[str, list[Case]] = {}
    for case in module.WRONG:
        if case not in chosen:
            by_cell.setdefault(next(iter(case.overrides)), []).append(case)
    queues = list(by_cell.values())
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return [case for case in module.WRONG if case in chosen]
