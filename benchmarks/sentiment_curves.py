"""How the textbook's sentiment classifier learns, seed by seed: what chapters/09_training may say of its curves.

Not a speed measure. The chapter trains Embedding(5000, 100) + SimpleRNN(128) + Dense(1) for three
epochs with seed 0 and reads its learning curve; which way the validation curve wobbles from one epoch
to the next differs between processors (oneDNN chooses its kernels by instruction set), so the text
and its asserts may only claim what holds across seeds. This trains the chapter's model (the same
corpus, vectorizer, optimizer and batches as the chapter's cells) once per seed and prints each
epoch's training and validation accuracy and loss.

    .venv/bin/python benchmarks/sentiment_curves.py                  # 3 epochs, seeds 0-3
    .venv/bin/python benchmarks/sentiment_curves.py --epochs 15 --seeds 0 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    args = parser.parse_args()

    import keras

    sys.path.insert(0, str(ROOT / "solutions"))
    from rnn_reference import load_reviews, set_seed

    set_seed(0)
    texts, labels = {}, {}
    for split in ("train", "validation", "test"):
        texts[split], labels[split] = load_reviews(split)
    vectorize = keras.layers.TextVectorization(max_tokens=5000, output_sequence_length=30)
    vectorize.adapt(texts["train"])
    ids = {split: keras.ops.convert_to_numpy(vectorize(texts[split])) for split in texts}

    for seed in args.seeds:
        set_seed(seed)
        model = keras.Sequential([keras.Input(shape=(30,), dtype="int32"),
                                  keras.layers.Embedding(5000, 100, mask_zero=True),
                                  keras.layers.SimpleRNN(128),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(0.015), loss="binary_crossentropy", metrics=["accuracy"])
        started = time.perf_counter()
        history = model.fit(ids["train"], labels["train"], epochs=args.epochs, batch_size=100, verbose=0,
                            validation_data=(ids["validation"], labels["validation"])).history
        print(f"seed {seed} ({time.perf_counter() - started:.0f} s)")
        for key in ("accuracy", "val_accuracy", "loss", "val_loss"):
            print(f"  {key:13}", " ".join(f"{value:.3f}" for value in history[key]))
        gap = history["accuracy"][-1] - history["val_accuracy"][-1]
        print(f"  last epoch: training - validation accuracy {gap:+.3f}")


if __name__ == "__main__":
    main()
