"""Hidden tests for assignment a07_language_model: LM samples, sampling with temperature, generation, a trained LM.

- `make_lm_sequences` and `split_inputs_targets` are compared exactly with `rnn_reference.data` on
  random corpora.
- `sample_next` is random, so it is checked by its statistics: many draws from a seeded numpy
  Generator, their frequencies compared with the tempered distribution by a chi-square test (the
  same seeds give the same draws, so re-grading gives the same score). A mistake is named when
  the draws fit the distribution that mistake would sample from instead.
- `generate_text` is run against a fake numpy "model" with known probabilities that records the
  contexts it is given, so no TensorFlow is needed for it.
- The trained model is scored by its cross-entropy on held-out sentences of data/lm_corpus_en.txt
  that are not in the assignment folder (`heldout_lines`).
"""

from __future__ import annotations

import math

import numpy as np

from ..data import load_corpus, make_lm_sequences as _make_lm_sequences, pad_sequences as _pad_sequences
from ._harness import (CheckFailed, UsedReference, call_student, call_student_explained, compile_outside,
                       crc32_heldout, matching_mistakes, require_part, rng_for, verify_environment)
from ._keras import require_own_trained_model

N_CASES = 30
N_DRAWS = 2000  # draws per sampling case
P_FAIL = 1e-6  # a chi-square p-value below this rejects the distribution (a correct sampler: ~never)

# --- the held-out split of data/lm_corpus_en.txt ---------------------------------------------
CORPUS = "lm_corpus_en"
HELDOUT_EVERY = 6  # a line is held out when crc32(line) % 6 == 0 (and all its words occur in training)
CE_THRESHOLD = 2.5  # nats per predicted word on the held-out prefixes; see the notebook


def split_corpus(lines) -> tuple[list[str], list[str]]:
    """(training lines, held-out lines): held out are lines with crc32 % HELDOUT_EVERY == 0 whose words
    all occur in the training lines (a held-out word the model never saw could not be scored)."""
    lines = [line.strip() for line in lines if line.strip()]
    heldout = crc32_heldout(lines, HELDOUT_EVERY, str.split)  # a word is a unit the model must have seen
    return ([line for line, held in zip(lines, heldout) if not held],
            [line for line, held in zip(lines, heldout) if held])


def training_lines() -> list[str]:
    """The lines shipped to students (exercises/a07_language_model/lm_train.txt)."""
    return split_corpus(load_corpus(CORPUS).splitlines())[0]


def heldout_lines() -> list[str]:
    """The lines only the hidden test sees."""
    return split_corpus(load_corpus(CORPUS).splitlines())[1]


# --- make_lm_sequences ------------------------------------------------------------------------
def _random_corpus(rng):
    n_words = int(rng.integers(3, 15))
    alphabet = list("abcdefghij")
    words = sorted({"".join(rng.choice(alphabet, size=int(rng.integers(1, 5)))) for _ in range(n_words)})
    lines = []
    for _ in range(int(rng.integers(1, 7))):
        length = int(rng.integers(1, 8))
        lines.append(" ".join(rng.choice(words, size=length)))
    ids = rng.permutation(len(words)) + 1  # any distinct positive ids, not one particular numbering
    token2idx = {"<pad>": 0, **{word: int(i) for word, i in zip(words, ids)}}
    return lines, token2idx


def _as_sequence_list(got, name):
    if isinstance(got, np.ndarray) and got.dtype != object:
        raise CheckFailed(f"`{name}` returned an array of shape {got.shape}; return a list of lists of ids "
                          "(the samples have different lengths; padding comes later).")
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"`{name}` returned {type(got).__name__}; expected a list of lists of ids.")
    out = []
    for index, item in enumerate(got):
        try:
            values = [int(v) for v in np.asarray(item).ravel()]
            if np.asarray(item).ndim != 1:
                raise TypeError
        except (TypeError, ValueError):
            raise CheckFailed(f"`{name}`: sample {index} is {item!r}, expected a list of int ids.") from None
        out.append(values)
    return out


def _lm_mistakes(lines, token2idx):
    ids = [[token2idx[w] for w in line.split()] for line in lines]
    everything = [i for line in ids for i in line]
    return {
        "a one-word prefix has no word to predict: samples start at length 2, [w1, w2]":
            lambda: [line[:end] for line in ids for end in range(1, len(line) + 1)],
        "only whole lines are returned: every prefix [w1, w2], [w1, w2, w3], ... is a sample":
            lambda: [line for line in ids if len(line) >= 2],
        "each sample must keep the whole context from the start of the line, not only the previous word":
            lambda: [line[end - 2:end] for line in ids for end in range(2, len(line) + 1)],
        "prefixes must restart at every line: do not join the lines into one long sequence":
            lambda: [everything[:end] for end in range(2, len(everything) + 1)],
        "suffixes are returned instead of prefixes: the samples of a line are line[:2], line[:3], ..., line":
            lambda: [line[start:] for line in ids for start in range(len(line) - 2, -1, -1)],
        "the prefixes of a line are in the wrong order: shortest first, line[:2], line[:3], ...":
            lambda: [line[:end] for line in ids for end in range(len(line), 1, -1)],
        "the ids are off by one: use token2idx[word] as it is":
            lambda: [[i - 1 for i in line[:end]] for line in ids for end in range(2, len(line) + 1)],
    }


def check_make_lm_sequences(make_lm_sequences) -> None:
    """make_lm_sequences(lines, token2idx) returns every prefix of length >= 2 of every line, in order."""
    verify_environment()
    for case_index in range(N_CASES):
        rng = rng_for("make_lm_sequences", case_index)
        lines, token2idx = _random_corpus(rng)
        expected = _make_lm_sequences(lines, token2idx)
        got = call_student(make_lm_sequences, "make_lm_sequences", list(lines), dict(token2idx))
        got = _as_sequence_list(got, "make_lm_sequences")
        if got == expected:
            continue
        case = f"lines={lines!r}, token2idx={token2idx!r}"
        hints = matching_mistakes(_lm_mistakes(lines, token2idx), lambda mistaken: mistaken == got, first=True)
        if hints:
            raise CheckFailed(f"`make_lm_sequences` returns wrong samples. Likely mistake: {hints[0]}.\n  case: {case}")
        raise CheckFailed(f"`make_lm_sequences` returned {got!r:.300}, expected {expected!r:.300}.\n  case: {case}")


# --- split_inputs_targets ---------------------------------------------------------------------
def check_split_inputs_targets(split_inputs_targets) -> None:
    """split_inputs_targets(padded) returns (padded[:, :-1], padded[:, -1])."""
    verify_environment()
    for case_index in range(N_CASES):
        rng = rng_for("split_inputs_targets", case_index)
        n, maxlen = int(rng.integers(1, 9)), int(rng.integers(2, 9))
        lengths = rng.integers(2, maxlen + 1, size=n)
        sequences = [list(rng.integers(1, 50, size=int(k))) for k in lengths]
        padded = _pad_sequences(sequences, maxlen=maxlen, padding="pre")  # (n, maxlen) int32
        want_x, want_y = padded[:, :-1], padded[:, -1]
        got = call_student(split_inputs_targets, "split_inputs_targets", padded.copy())
        case = f"padded of shape {padded.shape}:\n{padded}"
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise CheckFailed(f"`split_inputs_targets` must return two arrays (X, y), got {type(got).__name__}"
                              + (f" of {len(got)} items" if isinstance(got, (list, tuple)) else "") + f".\n  case: {case}")
        x, y = (np.asarray(v) for v in got)
        if x.shape != want_x.shape:
            hint = {padded.shape: "X keeps every column; drop the last one (the target): padded[:, :-1]",
                    want_x.T.shape: "X is transposed"}.get(x.shape, "")
            raise CheckFailed(f"`split_inputs_targets`: X has shape {x.shape}, expected {want_x.shape} = "
                              f"(n_samples, maxlen - 1){': ' + hint if hint else ''}.\n  case: {case}")
        if y.shape != want_y.shape:
            hint = "y must be 1-D, one target id per sample: padded[:, -1], not padded[:, -1:]" if y.shape == (n, 1) else ""
            raise CheckFailed(f"`split_inputs_targets`: y has shape {y.shape}, expected {want_y.shape} = "
                              f"(n_samples,){': ' + hint if hint else ''}.\n  case: {case}")
        if np.array_equal(x, want_x) and np.array_equal(y, want_y):
            continue
        if np.array_equal(x, padded[:, 1:]):
            hint = "X drops the first column instead of the last: X = padded[:, :-1]"
        elif np.array_equal(y, padded[:, 0]):
            hint = "y is the first column; with padding in front the target is the LAST column, padded[:, -1]"
        elif np.array_equal(y, padded[:, -2]):
            hint = "y is the second-to-last column; the target is the last column, padded[:, -1]"
        else:
            hint = "X is padded[:, :-1] (the context) and y is padded[:, -1] (the word to predict)"
        raise CheckFailed(f"`split_inputs_targets` returns wrong values. Likely mistake: {hint}.\n  case: {case}")


# --- sample_next ------------------------------------------------------------------------------
def _tempered(p, temperature):
    """The distribution a temperature draw samples from: p ** (1 / T), renormalised."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    q = np.exp((log_p - log_p.max()) / temperature)
    return q / q.sum()


def chi_square_pvalue(counts, probs) -> float:
    """P-value of observed `counts` under `probs` (Pearson chi-square, Wilson-Hilferty approximation).

    A draw in a category of probability 0 gives 0.
    """
    counts = np.asarray(counts, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    if np.any(counts[probs <= 0] > 0):
        return 0.0
    keep = probs > 0
    expected = counts.sum() * probs[keep]
    stat = float(np.sum((counts[keep] - expected) ** 2 / expected))
    df = int(keep.sum()) - 1
    if df < 1:
        return 1.0
    z = ((stat / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))
    return 0.5 * math.erfc(z / math.sqrt(2))


def _random_probs(rng, dtype=np.float64):
    vocab = int(rng.integers(3, 9))
    p = rng.dirichlet(np.full(vocab, 1.0))
    p = np.maximum(p, 0.02)  # every token likely enough to be drawn a few times in N_DRAWS
    p = p / p.sum()
    if rng.random() < 0.3:
        p[int(rng.integers(vocab))] = 0.0  # a token the model rules out must never be drawn
        p = p / p.sum()
    return p.astype(dtype)


def _sampling_mistakes(p, temperature):
    p64 = np.asarray(p, dtype=np.float64)
    vocab = p64.size
    mistakes = {}
    if temperature != 1:
        mistakes["the temperature is ignored: the draws follow probs itself; sample from p ** (1 / T), "
                 "renormalised"] = p64 / p64.sum()
        mistakes["the power is T instead of 1 / T: sample from p ** (1 / temperature), renormalised"] = (
            p64 ** temperature / np.sum(p64 ** temperature))
    logits = np.exp(p64 / temperature)
    mistakes["probs are treated as logits (softmax(probs / T)): they are already probabilities; use "
             "p ** (1 / T), i.e. softmax(log(probs) / T)"] = logits / logits.sum()
    mistakes["every token is drawn equally often: pass the probabilities to the draw (rng.choice(n, p=q))"] = (
        np.full(vocab, 1.0 / vocab))
    onehot = np.zeros(vocab)
    onehot[int(np.argmax(p64))] = 1.0
    mistakes["the argmax is always returned: with temperature > 0, draw at random from the tempered "
             "distribution"] = onehot
    return mistakes


def _draws(sample_next, p, temperature, rng, n):
    values = []
    for _ in range(n):
        value = call_student(sample_next, "sample_next", p.copy(), temperature, rng)
        values.append(value)
    return values


def _as_index(value, vocab, p):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iu":
            value = value.item()
        else:
            hint = (": it looks like a probability; return the index of the token (an int)"
                    if isinstance(value, (float, np.floating)) and 0 <= float(value) <= 1 else "")
            raise CheckFailed(f"`sample_next` returned {type(value).__name__} {value!r}; expected an int token "
                              f"id in range({vocab}){hint}.")
    if not 0 <= int(value) < vocab:
        raise CheckFailed(f"`sample_next` returned {int(value)}, not a token id in range({vocab}) (probs has "
                          f"{vocab} entries).")
    return int(value)


def _call_with_hints(fn, name, *args, temperature=None):
    """call_student, with the likely mistake behind a crash of sample_next."""
    def explain(text: str) -> str:
        if "do not sum to 1" in text or "sum to 1" in text:
            text += ("\n  Likely mistake: the probabilities passed to the draw do not sum to 1: convert probs to "
                     "float64 and renormalise (q / q.sum()) -- a float32 softmax output sums to 1 only to about 1e-7.")
        elif temperature == 0 and ("division" in text or "NaN" in text or "nan" in text or "zero" in text):
            text += ("\n  Likely mistake: temperature=0 means greedy decoding: return the argmax before dividing by "
                     "the temperature.")
        return text

    return call_student_explained(fn, name, *args, explain=explain)


_SAMPLE_PARTS = ("greedy", "distribution", "temperature")


def check_sample_next(sample_next, part: str = "distribution") -> None:
    """sample_next(probs, temperature, rng) draws from p ** (1/T) renormalised; T=0 is the argmax.

    part: 'greedy' (temperature 0: the argmax, an int), 'distribution' (temperature 1: the draws follow
    probs; the same seed gives the same draws) or 'temperature' (T < 1 sharpens, T > 1 flattens).
    """
    verify_environment()
    require_part(part, _SAMPLE_PARTS)
    if part == "greedy":
        for case_index in range(N_CASES):
            rng = rng_for("sample_next/greedy", case_index)
            p = _random_probs(rng, np.float32 if case_index % 2 else np.float64)
            value = _call_with_hints(sample_next, "sample_next", p.copy(), 0, np.random.default_rng(case_index),
                                     temperature=0)
            got = _as_index(value, p.size, p)
            if got != int(np.argmax(p)):
                hint = (": that is the argmin; temperature 0 returns the most probable token, np.argmax(probs)"
                        if got == int(np.argmin(p)) else ": temperature 0 returns the most probable token, np.argmax(probs)")
                raise CheckFailed(f"`sample_next(probs, temperature=0, rng)` returned {got}, expected "
                                  f"{int(np.argmax(p))}{hint}.\n  probs = {np.round(p, 4).tolist()}")
        return

    temperatures = [1.0] if part == "distribution" else [0.5, 2.0, 0.25, 3.0, 0.7, 1.5]
    for case_index, temperature in enumerate(temperatures * (4 if part == "distribution" else 1)):
        rng = rng_for(f"sample_next/{part}", case_index)
        p = _random_probs(rng, np.float32 if case_index % 2 else np.float64)
        seed = int(rng.integers(2**31))
        q = _tempered(p, temperature)
        values = []
        draw_rng = np.random.default_rng(seed)
        for _ in range(N_DRAWS):
            values.append(_as_index(_call_with_hints(sample_next, "sample_next", p.copy(), temperature, draw_rng),
                                    p.size, p))
        counts = np.bincount(values, minlength=p.size)
        case = (f"probs = {np.round(p.astype(float), 4).tolist()}, temperature = {temperature}, {N_DRAWS} draws\n"
                f"  drawn frequencies {np.round(counts / N_DRAWS, 3).tolist()}, expected {np.round(q, 3).tolist()}")
        if chi_square_pvalue(counts, q) < P_FAIL:
            if np.any(counts[q <= 0] > 0):
                raise CheckFailed("`sample_next` drew a token whose probability is 0. Likely mistake: a token the "
                                  f"model rules out must never be drawn.\n  {case}")
            for hint, mistaken in _sampling_mistakes(p, temperature).items():
                if chi_square_pvalue(counts, mistaken) >= P_FAIL:
                    raise CheckFailed(f"`sample_next` draws from the wrong distribution. Likely mistake: {hint}.\n  {case}")
            raise CheckFailed("`sample_next` draws from the wrong distribution (a chi-square test rejects it); no "
                              f"common mistake matches: compare with p ** (1 / T) / sum(p ** (1 / T)).\n  {case}")
        if part == "distribution" and case_index < 2:
            again_rng = np.random.default_rng(seed)
            again = [_as_index(_call_with_hints(sample_next, "sample_next", p.copy(), temperature, again_rng),
                               p.size, p) for _ in range(50)]
            if again != values[:50]:
                raise CheckFailed("`sample_next` gives different draws for the same seeded rng. Likely mistake: the "
                                  "rng argument is not used for the draw (np.random.choice or random.random use "
                                  "global state); draw with rng.choice(...) or rng.random().\n  " + case)


# --- generate_text ----------------------------------------------------------------------------
# The fake model is compiled from source with its own file name: student code may call it without
# being taken for a call into rnn_reference (call_student refuses any frame from this package).
_FAKE_MODEL_SOURCE = '''
def make_fake_model(table, context_length, record, np):
    """A stand-in for model.predict: (1, context_length) ids -> (1, vocab_size) probabilities."""
    def model_predict(context):
        context = np.asarray(context)
        if context.ndim != 2 or context.shape[0] != 1:
            hint = ": add the batch axis, context[None, :] or np.array([ids])" if context.ndim == 1 else ""
            raise ValueError(f"model_predict takes a batch of one context, shape (1, {context_length}); "
                             f"got shape {context.shape}{hint}")
        if context.shape[1] != context_length:
            raise ValueError(f"model_predict takes contexts of maxlen - 1 = {context_length} ids, got "
                             f"{context.shape[1]}: keep the last maxlen - 1 ids and pad them in front with 0")
        if context.dtype.kind not in "iu" and not np.all(context == np.round(context)):
            raise ValueError("model_predict takes integer token ids")
        ids = context[0].astype(np.int64)
        record.append(ids.copy())
        return table(ids)[None, :].astype(np.float32)   # (1, vocab_size), like model.predict
    return model_predict
'''
_make_fake_model = compile_outside(_FAKE_MODEL_SOURCE, "<fake language model>", {})["make_fake_model"]


def _vocab(rng, size):
    words = [f"w{index}" for index in range(1, size)]
    token2idx = {"<pad>": 0, **{word: index for index, word in enumerate(words, start=1)}}
    return token2idx, {index: word for word, index in token2idx.items()}


def _context_table(rng, vocab_size, context_length):
    """Probabilities that depend on the whole context, with a clear argmax and no mass on '<pad>'."""
    weights = rng.normal(size=(context_length, vocab_size, vocab_size)) * 2.0
    bias = rng.normal(size=vocab_size)
    source = '''
def table(ids):
    logits = bias.copy()
    for position, token in enumerate(ids):
        logits = logits + weights[position, token]
    logits[0] = -np.inf
    e = np.exp(logits - logits.max())
    return e / e.sum()
'''
    return compile_outside(source, "<fake language model>", {"np": np, "bias": bias, "weights": weights})["table"]


def _expected_context(ids, context_length):
    kept = ids[-context_length:]
    return np.array([0] * (context_length - len(kept)) + list(kept), dtype=np.int64)


def _greedy_reference(table, seed_ids, n_tokens, context_length):
    ids = list(seed_ids)
    for _ in range(n_tokens):
        ids.append(int(np.argmax(table(_expected_context(ids, context_length)))))
    return ids


def _check_tokens(got, seed_tokens, n_tokens, idx2token, case):
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"`generate_text` returned {type(got).__name__}; expected a list of tokens (str): the seed "
                          f"tokens followed by n_tokens new ones.\n  case: {case}")
    got = list(got)
    if got and all(isinstance(t, (int, np.integer)) for t in got):
        raise CheckFailed(f"`generate_text` returned ids {got[:8]}...; return tokens, idx2token[id], not ids.\n  case: {case}")
    if len(got) == n_tokens and got[:len(seed_tokens)] != list(seed_tokens):
        raise CheckFailed(f"`generate_text` returned {len(got)} tokens: only the new ones. Return the seed tokens "
                          f"followed by the {n_tokens} new ones.\n  case: {case}")
    if len(got) != len(seed_tokens) + n_tokens:
        raise CheckFailed(f"`generate_text` returned {len(got)} tokens, expected len(seed_tokens) + n_tokens = "
                          f"{len(seed_tokens) + n_tokens}.\n  case: {case}")
    if got[:len(seed_tokens)] != list(seed_tokens):
        raise CheckFailed(f"`generate_text` must start with the seed tokens {list(seed_tokens)}, got "
                          f"{got[:len(seed_tokens)]}.\n  case: {case}")
    unknown = [t for t in got if t not in set(idx2token.values())]
    if unknown:
        raise CheckFailed(f"`generate_text` returned {unknown[0]!r}, which is not a token of idx2token.\n  case: {case}")
    return got


def _check_contexts(record, tokens, token2idx, seed_len, n_tokens, context_length, case):
    if len(record) != n_tokens:
        raise CheckFailed(f"`generate_text` called model_predict {len(record)} times for n_tokens={n_tokens}; call it "
                          f"once per new token.\n  case: {case}")
    ids = [token2idx[t] for t in tokens]
    for step, context in enumerate(record):
        want = _expected_context(ids[:seed_len + step], context_length)
        if np.array_equal(context, want):
            continue
        so_far = ids[:seed_len + step]
        kept = so_far[-context_length:]
        post = np.array(list(kept) + [0] * (context_length - len(kept)))
        first = so_far[:context_length]
        first = np.array([0] * (context_length - len(first)) + list(first))
        seed_only = _expected_context(ids[:seed_len], context_length)
        if np.array_equal(context, post):
            hint = "the context is padded at the end; pad in front (padding='pre'), as the model was trained"
        elif step > 0 and np.array_equal(context, seed_only):
            hint = "the context never changes: append each new token to the context before predicting the next"
        elif np.array_equal(context, first):
            hint = "the context keeps the FIRST maxlen - 1 ids; keep the last ones, ids[-(maxlen - 1):]"
        else:
            hint = "the context is the last maxlen - 1 ids of seed + generated tokens, padded in front with 0"
        raise CheckFailed(f"`generate_text` gave model_predict the context {context.tolist()} at step {step}, expected "
                          f"{want.tolist()}. Likely mistake: {hint}.\n  case: {case}")


_GENERATE_PARTS = ("context", "greedy", "sampling")


def _follows_own_sampler(sample_next, ids, p, temperature, seed) -> bool:
    """True when `ids` are exactly the draws the student's own sample_next makes from a fresh rng(seed).

    generate_text is then right (one draw per token, with the probabilities, temperature and rng it was
    given), even if sample_next is wrong: that mistake is graded by sample_next's own tests.
    """
    if sample_next is None:
        return False
    rng = np.random.default_rng(seed)
    probs = p.astype(np.float32)  # what the fake model hands over: model_predict(...)[0]
    try:
        for want in ids:
            if int(call_student(sample_next, "sample_next", probs.copy(), temperature, rng)) != want:
                return False
    except UsedReference:
        raise
    except (CheckFailed, TypeError, ValueError):
        return False
    return True


def _sampler_is_deterministic(sample_next, p, temperature) -> bool:
    """False when the student's own sample_next gives different draws for the same seed (then generate_text
    cannot be reproducible, and that mistake is graded by sample_next's tests); True if unknown."""
    if sample_next is None:
        return True
    probs = p.astype(np.float32)
    try:
        runs = []
        for _ in range(2):
            rng = np.random.default_rng(12345)
            runs.append([int(call_student(sample_next, "sample_next", probs.copy(), temperature, rng))
                         for _ in range(30)])
    except UsedReference:
        raise
    except (CheckFailed, TypeError, ValueError):
        return True
    return runs[0] == runs[1]


def check_generate_text(generate_text, part: str = "greedy", sample_next=None) -> None:
    """generate_text(model_predict, seed_tokens, n_tokens, token2idx, idx2token, maxlen, temperature, rng).

    part: 'context' (what the model is given at each step), 'greedy' (temperature 0 reproduces the
    argmax continuation exactly) or 'sampling' (temperature > 0: the tokens follow the tempered
    distribution, and the same seed gives the same text). With part='sampling', pass the student's
    `sample_next` too: tokens that are exactly its draws are accepted, so that a mistake in
    sample_next does not cost the points of generate_text as well.
    """
    verify_environment()
    require_part(part, _GENERATE_PARTS)
    if part in ("context", "greedy"):
        for case_index in range(12):
            rng = rng_for(f"generate_text/{part}", case_index)
            vocab_size, maxlen = int(rng.integers(4, 10)), int(rng.integers(2, 7))
            context_length = maxlen - 1
            token2idx, idx2token = _vocab(rng, vocab_size)
            table = _context_table(rng, vocab_size, context_length)
            seed_ids = [int(i) for i in rng.integers(1, vocab_size, size=int(rng.integers(1, maxlen + 2)))]
            seed_tokens = [idx2token[i] for i in seed_ids]
            n_tokens = int(rng.integers(1, 9))
            record: list = []
            model_predict = _make_fake_model(table, context_length, record, np)
            temperature = 0 if part == "greedy" else 1.0
            case = (f"seed_tokens={seed_tokens}, n_tokens={n_tokens}, maxlen={maxlen}, temperature={temperature}, "
                    f"vocabulary of {vocab_size} (with '<pad>' = 0)")
            got = call_student(generate_text, "generate_text", model_predict, list(seed_tokens), n_tokens,
                               dict(token2idx), dict(idx2token), maxlen, temperature,
                               np.random.default_rng(case_index))
            tokens = _check_tokens(got, seed_tokens, n_tokens, idx2token, case)
            _check_contexts(record, tokens, token2idx, len(seed_tokens), n_tokens, context_length, case)
            if part == "greedy":
                want = [idx2token[i] for i in _greedy_reference(table, seed_ids, n_tokens, context_length)]
                if tokens != want:
                    raise CheckFailed(f"`generate_text` with temperature=0 returned {tokens}, expected {want}: each new "
                                      "token is the argmax of the model's probabilities (check sample_next with "
                                      f"temperature=0, and that you pass the temperature on).\n  case: {case}")
        return

    for case_index, temperature in enumerate([1.0, 0.5, 2.0]):
        rng = rng_for("generate_text/sampling", case_index)
        vocab_size, maxlen = int(rng.integers(4, 8)), 3
        token2idx, idx2token = _vocab(rng, vocab_size)
        p = np.concatenate([[0.0], rng.dirichlet(np.full(vocab_size - 1, 2.0))])
        p = np.maximum(p, [0.0] + [0.03] * (vocab_size - 1))
        p = p / p.sum()
        fixed = compile_outside("def table(ids):\n    return p\n", "<fake language model>", {"p": p})
        seed_tokens = [idx2token[1]]
        n_tokens = N_DRAWS
        seed = int(rng.integers(2**31))
        record: list = []
        case = f"a model whose next-token probabilities are always {np.round(p, 3).tolist()}, temperature={temperature}"
        got = call_student(generate_text, "generate_text", _make_fake_model(fixed["table"], maxlen - 1, record, np),
                           list(seed_tokens), n_tokens, dict(token2idx), dict(idx2token), maxlen, temperature,
                           np.random.default_rng(seed))
        tokens = _check_tokens(got, seed_tokens, n_tokens, idx2token, case)
        counts = np.bincount([token2idx[t] for t in tokens[1:]], minlength=vocab_size)
        q = _tempered(p, temperature)
        if chi_square_pvalue(counts, q) < P_FAIL and not _follows_own_sampler(
                sample_next, [token2idx[t] for t in tokens[1:]], p, temperature, seed):
            freq = np.round(counts / n_tokens, 3).tolist()
            if temperature != 1 and chi_square_pvalue(counts, p) >= P_FAIL:
                hint = "the temperature is not used: pass it on to sample_next"
            elif chi_square_pvalue(counts, np.eye(vocab_size)[int(np.argmax(p))]) >= P_FAIL:
                hint = "every new token is the argmax: with temperature > 0 draw it with sample_next"
            else:
                hint = "draw each token with sample_next(probs[0], temperature, rng)"
            raise CheckFailed(f"`generate_text` generated tokens with frequencies {freq}, expected about "
                              f"{np.round(q, 3).tolist()}. Likely mistake: {hint}.\n  case: {case}")
        if case_index == 0:
            again = call_student(generate_text, "generate_text", _make_fake_model(fixed["table"], maxlen - 1, [], np),
                                 list(seed_tokens), 50, dict(token2idx), dict(idx2token), maxlen, temperature,
                                 np.random.default_rng(seed))
            if list(again) != tokens[:51] and _sampler_is_deterministic(sample_next, p, temperature):
                raise CheckFailed("`generate_text` gives a different text for the same seeded rng. Likely mistake: the "
                                  "rng argument is not passed on to sample_next (or sample_next ignores it).\n  "
                                  f"case: {case}")


# --- the trained model ------------------------------------------------------------------------
def heldout_cross_entropy(model, word2idx, maxlen) -> float:
    """Mean -log P(next word) of `model` over every prefix of the held-out lines (nats)."""
    sequences = _make_lm_sequences(heldout_lines(), word2idx)
    padded = _pad_sequences(sequences, maxlen=maxlen, padding="pre")  # (n, maxlen)
    x, y = padded[:, :-1], padded[:, -1]
    probs = np.asarray(model.predict(x, verbose=0), dtype=np.float64)  # (n, vocab_size)
    if probs.ndim != 2 or probs.shape[0] != len(y):
        raise CheckFailed(f"the model returns shape {probs.shape} for {len(y)} contexts; a language model returns "
                          "(batch, vocab_size): Dense(vocab_size, activation='softmax') after the recurrent layer.")
    if probs.shape[1] <= int(y.max()):
        raise CheckFailed(f"the model scores {probs.shape[1]} words but word2idx has ids up to {int(y.max())}: "
                          "the last Dense layer needs len(word2idx) units.")
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise CheckFailed("the model's outputs are not probabilities (each row must be >= 0 and sum to 1): end it "
                          "with Dense(vocab_size, activation='softmax').")
    picked = np.clip(probs[np.arange(len(y)), y], 1e-12, 1.0)
    return float(np.mean(-np.log(picked)))


def check_trained_language_model(model, word2idx, maxlen) -> None:
    """The trained model's cross-entropy on held-out sentences is below CE_THRESHOLD nats."""
    verify_environment()
    require_own_trained_model(model)  # a Keras model: TensorFlow is already loaded by the notebook
    if not isinstance(word2idx, dict) or word2idx.get("<pad>", 0) != 0:
        raise CheckFailed("`word2idx` must be the dict word -> id your model was trained with ('<pad>' = 0).")
    missing = sorted({w for line in heldout_lines() for w in line.split()} - set(word2idx))
    if missing:
        raise CheckFailed(f"`word2idx` has no id for {missing[:5]}, words of the training lines: build it from every "
                          "line of lm_train.txt.")
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 2:
        raise CheckFailed(f"`maxlen` must be the int length of your padded samples (context + target), got {maxlen!r}.")
    ce = heldout_cross_entropy(model, word2idx, int(maxlen))
    uniform = math.log(len(word2idx) - 1)
    if not ce < CE_THRESHOLD:
        raise CheckFailed(f"the model's cross-entropy on the held-out sentences is {ce:.3f} nats per word (perplexity "
                          f"{math.exp(ce):.1f}); it must be below {CE_THRESHOLD} (perplexity {math.exp(CE_THRESHOLD):.1f}). "
                          f"A model that learned nothing scores log(V) = {uniform:.2f}. Train longer, or check that X "
                          "and y come from split_inputs_targets of the pre-padded samples.")


__all__ = ["check_make_lm_sequences", "check_split_inputs_targets", "check_sample_next", "check_generate_text",
           "check_trained_language_model"]
