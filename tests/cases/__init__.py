"""Submissions every assignment is graded against, one module per assignment (tests/cases/<id>.py).

Each module defines:
- WRONG: realistic wrong solutions (at least five for a numeric assignment), each with the hint
  its feedback must contain;
- ALTERNATIVE: correct solutions written differently from the reference (must score full marks);
- CHEAT: solutions that call rnn_reference, with the tests that must score 0;
- MAX_SCORE: the assignment's total points (a round number).

Each case maps the grade_id of a solution cell to the full source a student might submit.
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


def for_assignment(assignment: str) -> ModuleType:
    """The cases module of `assignment` (ImportError if it has none: every assignment needs one)."""
    return importlib.import_module(f"cases.{assignment}")
