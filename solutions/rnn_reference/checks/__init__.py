"""Check functions the hidden tests call: one per exercise function, one module per assignment.

`rnn_reference.checks.<assignment_id>` holds the checks of that assignment, e.g.
`from rnn_reference.checks.a01_rnn_from_scratch import check_rnn_cell_step`. Each takes the
student's function, compares it with the reference on many random cases drawn from fixed seeds
(re-grading gives the same score), and raises an AssertionError whose message names the likely
mistake. A function that runs any `rnn_reference` code is refused.

Hidden test cells are a single call, so the feedback a student receives never contains test
logic. Importing one assignment's module imports only what it needs: the numpy assignments never
import TensorFlow.

What several modules need is written once: `_harness.py` (calling student code, comparing, naming
the mistake, random cases, shape hints, the held-out split) and, for the Keras assignments,
`_keras.py` (loading Keras, watching it build layers, the trained-model guard).
"""

from ._harness import CheckFailed, UsedReference

__all__ = ["CheckFailed", "UsedReference"]
