"""What the checks of the Keras assignments (a02, a06, a07) share: loading Keras, watching it, the trained model.

Keras (and TensorFlow, 5-6 s) is imported inside these functions, never when a check module is
imported: a check that only needs numpy stays fast, and the numpy assignments never load it.
"""

from __future__ import annotations

import contextlib
import os
import threading

from ._harness import CheckFailed, UsedReference, compile_outside, notebook_uses_reference


def load_keras():
    """The keras module, imported quietly (TensorFlow's C++ start-up logs off)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


# --------------------------------------------------------------------------------------------
# Watching a student function build Keras objects (a02: reason the shapes out, don't ask Keras)
# --------------------------------------------------------------------------------------------
# Every Keras layer and symbolic op is a `keras.Operation` (public API: the base class of
# `keras.layers.Layer`), and building one runs `keras.Operation.__init__` (Layer.__init__ calls it
# by name in Keras 3). While a watch is on, that __init__ is wrapped to record the class built, in
# any thread. The wrapper is compiled outside this package, so that call_student does not take the
# student's Keras call for a call into rnn_reference.
_WATCH_SOURCE = '''
def make_recording_init(original, built):
    def __init__(self, *args, **kwargs):
        built.append(type(self).__name__)
        return original(self, *args, **kwargs)
    return __init__
'''
_make_recording_init = compile_outside(_WATCH_SOURCE, "<keras construction watch>", {})["make_recording_init"]
_watch_lock = threading.Lock()


@contextlib.contextmanager
def keras_objects_built():
    """Within the block, collect the class name of every Keras layer or op built (in any thread).

    Unlike Keras's private name counters (`keras.src.backend.common.global_state`, one per thread,
    reset by `keras.utils.clear_session()`), this sees a layer built in another thread or followed by
    clear_session. tests/test_checks_a02_keras_outputs.py fails if it stops seeing Keras's layers.
    """
    keras = load_keras()
    operation = keras.Operation
    with _watch_lock:
        original = operation.__dict__["__init__"]
        built: list[str] = []
        operation.__init__ = _make_recording_init(original, built)
        try:
            yield built
        finally:
            operation.__init__ = original


# --------------------------------------------------------------------------------------------
# The trained model of a06 and a07
# --------------------------------------------------------------------------------------------
def require_own_trained_model(model):
    """The keras module, once `model` is a Keras model trained by the notebook's own code.

    A trained model is not a function call_student can watch: a notebook whose code uses
    rnn_reference (which could load the held-out data) scores 0; anything but a Keras model fails.
    """
    used = notebook_uses_reference()
    if used:
        raise UsedReference(f"the notebook uses the reference package ({used}); the model must be trained by your "
                            "own code on the data in the assignment folder, so this test scores 0.")
    keras = load_keras()
    if not isinstance(model, keras.Model):
        raise CheckFailed(f"`model` must be your trained Keras model, got {type(model).__name__}.")
    return keras
