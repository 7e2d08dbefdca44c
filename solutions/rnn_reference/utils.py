"""Small helpers every chapter uses: reproducible seeds and quiet TensorFlow logs."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def set_seed(seed: int = 0) -> np.random.Generator:
    """Seed Python, numpy and (if already imported) Keras/TensorFlow; return a numpy Generator.

    Call it at the top of every notebook, after `import keras` when the notebook uses Keras, so
    that a build reproduces the previous build's outputs. It never imports TensorFlow itself:
    a numpy-only notebook stays fast. Taught in chapters/01_recurrent_cell.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
