"""Assignment a07_language_model: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case, edit

MAX_SCORE = 20
TRAINING = "train_language_model"  # the cells after it score the trained model

SEQUENCES = '''
def make_lm_sequences(lines, token2idx):
    sequences = []
    for line in lines:
        ids = [token2idx[word] for word in line.split()]
        for end in range({start}, len(ids) + 1):
            sequences.append({sample})
    return sequences
'''

SAMPLE = '''
def sample_next(probs, temperature=1.0, rng=None):
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(p))
    rng = np.random.default_rng() if rng is None else rng
    q = {q}
    q = q / q.sum()
    return int({draw})
'''


def sample(q="p ** (1.0 / temperature)", draw="rng.choice(len(q), p=q)"):
    return SAMPLE.format(q=q, draw=draw)


GENERATE = '''
def generate_text(model_predict, seed_tokens, n_tokens, token2idx, idx2token, maxlen, temperature=1.0,
                  rng=None):
    tokens = list(seed_tokens)
    for _ in range(n_tokens):
        ids = [token2idx[t] for t in tokens][-(maxlen - 1):]
        pad = [0] * (maxlen - 1 - len(ids))
        context = np.array([{context}])
        probs = model_predict(context)
        tokens.append(idx2token[sample_next(probs[0], {temperature}, rng)])
    return tokens
'''


def generate(context="pad + ids", temperature="temperature"):
    return GENERATE.format(context=context, temperature=temperature)


WRONG = [
    Case("one-word prefixes included", {"make_lm_sequences": SEQUENCES.format(start=1, sample="ids[:end]")},
         hint="a one-word prefix has no word to predict",
         visible="a one-word prefix has no word to predict; start at [w1, w2]"),
    Case("previous word only", {"make_lm_sequences": SEQUENCES.format(start=2, sample="ids[end - 2:end]")},
         hint="each sample must keep the whole context",
         visible="each sample must keep the whole context from the start of the line"),
    Case("y kept 2-D", {"split_inputs_targets": (
        "def split_inputs_targets(padded):\n"
        "    return padded[:, :-1], padded[:, -1:]\n")}, hint="y must be 1-D", visible="use padded[:, -1], not padded[:, -1:]"),
    Case("power T instead of 1/T", {"sample_next": sample(q="p ** temperature")},
         hint="the power is T instead of 1 / T",
         visible="that is p ** T (0.04 : 0.64); the power is 1 / T"),
    Case("temperature ignored", {"sample_next": sample(q="p.copy()")}, hint="the temperature is ignored",
         visible="the temperature is ignored: the draws follow probs itself"),
    Case("global numpy random", {"sample_next": sample(draw="np.random.choice(len(q), p=q)")},
         hint="the rng argument is not used",
         visible="the same seeded rng must give the same draw: draw with rng, not np.random"),
    Case("context padded at the end", {"generate_text": generate(context="ids + pad")},
         hint="the context is padded at the end",
         visible="the context is padded at the end; pad in front"),
    Case("temperature not passed on", {"generate_text": generate(temperature="1.0")},
         hint="pass it on to sample_next",
         visible="at temperature=0 every new token is the most likely one"),
    Case("trained for one epoch", {"train_language_model": (
        "keras.utils.set_random_seed(0)\n"
        "model = keras.Sequential([keras.Input(shape=(maxlen - 1,), dtype='int32'),\n"
        "                          keras.layers.Embedding(vocab_size, 16, mask_zero=True),\n"
        "                          keras.layers.SimpleRNN(64), keras.layers.Dense(vocab_size, activation='softmax')])\n"
        "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
        "model.fit(X, y, epochs=1, batch_size=128, verbose=0)\n")},
        hint="cross-entropy on the held-out sentences is",
        visible="not below 2.0: train longer"),
]

MORE_WRONG = [
    Case("lines joined into one sequence", {"make_lm_sequences": (
        "def make_lm_sequences(lines, token2idx):\n"
        "    ids = [token2idx[word] for line in lines for word in line.split()]\n"
        "    return [ids[:end] for end in range(2, len(ids) + 1)]\n")},
        hint="prefixes must restart at every line", visible="the prefixes must restart at every line"),
    Case("probs taken as logits", {"sample_next": sample(q="np.exp(p / temperature)")},
         hint="probs are treated as logits", visible="probs are treated as logits"),
    Case("context never updated", {"generate_text": edit(generate(), "for t in tokens]", "for t in seed_tokens]")},
         hint="the context never changes", visible="the context never changes"),
    Case("context keeps the first ids", {"generate_text": edit(generate(), "[-(maxlen - 1):]", "[:maxlen - 1]")},
         hint="the context keeps the FIRST maxlen - 1 ids", visible="the context keeps the FIRST maxlen - 1 ids"),
    Case("rng not passed on", {"generate_text": edit(generate(), "temperature, rng)])", "temperature)])")},
         hint="the rng argument is not passed on to sample_next", visible="pass rng on to sample_next"),
]

ALTERNATIVE = [
    Case("accumulate, inverse CDF, pad_sequences and a GRU", {
        "make_lm_sequences": (
            "def make_lm_sequences(lines, token2idx):\n"
            "    out = []\n"
            "    for line in lines:\n"
            "        words = line.split()\n"
            "        out += [[token2idx[w] for w in words[:k]] for k in range(2, len(words) + 1)]\n"
            "    return out\n"),
        "split_inputs_targets": (
            "def split_inputs_targets(padded):\n"
            "    arr = np.array(padded)\n"
            "    n_cols = arr.shape[1]\n"
            "    return arr[:, : n_cols - 1].copy(), arr[:, n_cols - 1].copy()\n"),
        "sample_next": (
            "def sample_next(probs, temperature=1.0, rng=None):\n"
            "    p = np.array(probs, dtype=float)\n"
            "    if temperature <= 0:\n"
            "        return int(p.argmax())\n"
            "    generator = rng if rng is not None else np.random.default_rng()\n"
            "    weights = np.power(p, 1.0 / temperature)\n"
            "    cdf = np.cumsum(weights) / weights.sum()\n"
            "    u = generator.random()\n"
            "    return int(min(np.searchsorted(cdf, u, side='right'), len(p) - 1))\n"),
        "generate_text": (
            "def generate_text(model_predict, seed_tokens, n_tokens, token2idx, idx2token, maxlen, temperature=1.0,\n"
            "                  rng=None):\n"
            "    out = [t for t in seed_tokens]\n"
            "    while len(out) < len(seed_tokens) + n_tokens:\n"
            "        ids = [[token2idx[t] for t in out]]\n"
            "        context = keras.utils.pad_sequences(ids, maxlen=maxlen - 1, padding='pre', truncating='pre')\n"
            "        next_id = sample_next(model_predict(context)[0], temperature, rng)\n"
            "        out = out + [idx2token[next_id]]\n"
            "    return out\n"),
        "train_language_model": (
            "keras.utils.set_random_seed(3)\n"
            "inputs = keras.Input(shape=(maxlen - 1,), dtype='int32')\n"
            "h = keras.layers.Embedding(vocab_size, 24, mask_zero=True)(inputs)\n"
            "h = keras.layers.GRU(48)(h)\n"
            "model = keras.Model(inputs, keras.layers.Dense(vocab_size, activation='softmax')(h))\n"
            "model.compile(optimizer=keras.optimizers.Adam(0.02), loss='sparse_categorical_crossentropy')\n"
            "model.fit(X, y, epochs=12, batch_size=128, verbose=0)\n"),
    }),
]

CHEAT = [
    Case("uses the reference functions and corpus", {
        "make_lm_sequences": "from rnn_reference import make_lm_sequences\n",
        "sample_next": "from rnn_reference import sample_next\n",
        "train_language_model": (
            "import rnn_reference\n"
            "every_line = rnn_reference.load_corpus('lm_corpus_en').splitlines()\n"
            "keras.utils.set_random_seed(0)\n"
            "model = keras.Sequential([keras.Input(shape=(maxlen - 1,), dtype='int32'),\n"
            "                          keras.layers.Embedding(vocab_size, 16, mask_zero=True),\n"
            "                          keras.layers.SimpleRNN(64), keras.layers.Dense(vocab_size, activation='softmax')])\n"
            "model.compile(optimizer=keras.optimizers.Adam(0.02), loss='sparse_categorical_crossentropy')\n"
            "model.fit(X, y, epochs=10, batch_size=128, verbose=0)\n"),
    },
        hint="calls the reference package",
        zero=("test_make_lm_sequences_hidden", "test_sample_next_greedy_hidden", "test_sample_next_distribution_hidden",
              "test_sample_next_temperature_hidden", "test_generate_text_greedy_hidden",
              "test_trained_model_heldout_hidden")),
]
