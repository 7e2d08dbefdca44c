"""Check functions the hidden tests call: one per exercise function, grouped by assignment.

Each takes the student's function, compares it with the reference on many random cases drawn from
fixed seeds (re-grading gives the same score), and raises an AssertionError whose message names
the likely mistake. A function that calls into `rnn_reference` is refused.

Hidden test cells are a single call, e.g. `check_rnn_cell_step(rnn_cell_step)`, so the feedback a
student receives never contains test logic. Only the modules an assignment needs are imported:
the numpy assignments never import TensorFlow.
"""

from __future__ import annotations

import importlib

from ._harness import CheckFailed, UsedReference

# check function -> module under rnn_reference.checks
_CHECKS = {
    "check_rnn_cell_step": "a1_rnn_from_scratch",
    "check_simple_rnn_forward": "a1_rnn_from_scratch",
}

__all__ = sorted(_CHECKS)


def __getattr__(name: str):
    module = _CHECKS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnn_reference.checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
