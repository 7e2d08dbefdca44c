"""Assignment a06_sequence_classification: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case, edit

MAX_SCORE = 20
TRAINING = "train_classifier"  # the cells after it score the trained model

VOCAB = '''
def build_char_vocab(words):
    chars = {chars}
    return {start}
'''

ENCODE = '''
def encode_and_pad(words, char2idx, maxlen=None):
    encoded = [[char2idx[c] for c in w] for w in words]
    if maxlen is None:
        maxlen = max(len(e) for e in encoded)
    x = np.zeros((len(words), maxlen), dtype="int32")
    for row, ids in enumerate(encoded):
        kept = {kept}
        {place}
    return x
'''


def encode(kept="ids[-maxlen:]", place="x[row, maxlen - len(kept):] = kept"):
    return ENCODE.format(kept=kept, place=place)


CLASSIFIER = '''
def build_classifier(vocab_size, maxlen):
    return keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32"),
        keras.layers.Embedding({rows}, 16, mask_zero={mask}),
        keras.layers.GRU(32{gru_options}),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
'''


def classifier(rows="vocab_size", mask="True", gru_options=""):
    return CLASSIFIER.format(rows=rows, mask=mask, gru_options=gru_options)


WRONG = [
    Case("vocab in order of appearance", {"build_char_vocab": VOCAB.format(
        chars='list(dict.fromkeys("".join(words)))',
        start='{"<pad>": 0, **{c: i for i, c in enumerate(chars, start=1)}}')},
        hint="in order of first appearance",
        visible="number the characters in sorted order, not in order of appearance"),
    Case("vocab without pad", {"build_char_vocab": VOCAB.format(
        chars='sorted(set("".join(words)))', start='{c: i for i, c in enumerate(chars, start=1)}')},
        hint="is missing: the vocabulary starts with", visible="'<pad>' is missing"),
    Case("padding at the end", {"encode_and_pad": encode(place="x[row, :len(kept)] = kept")},
         hint="the padding is at the end", visible="'bad' is padded at the end; pad in front"),
    Case("long words keep their start", {"encode_and_pad": encode(kept="ids[:maxlen]")},
         hint="keeps its first maxlen characters",
         visible="the long words kept their first 2 characters; keep the last ones"),
    Case("no mask", {"build_classifier": classifier(mask="False")}, hint="the padding is not masked",
         visible="the padding steps change the prediction"),
    Case("recurrent layer returns sequences", {"build_classifier": classifier(gru_options=", return_sequences=True")},
         hint="the recurrent layer returns the whole sequence",
         visible="the recurrent layer must not return sequences (many-to-one)"),
    Case("embedding one row short", {"build_classifier": classifier(rows="vocab_size - 1")},
         hint="fewer rows than vocab_size",
         visible="the Embedding has fewer rows than vocab_size"),
    Case("trained for one epoch", {"train_classifier": (
        "keras.utils.set_random_seed(0)\n"
        "model = build_classifier(len(char2idx), maxlen)\n"
        "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])\n"
        "model.fit(x_train, train_labels, epochs=1, batch_size=64, verbose=0)\n")},
        hint="accuracy on the held-out words is",
        visible="below 0.85: train longer"),
]

MORE_WRONG = [
    Case("characters numbered from 0", {"build_char_vocab": VOCAB.format(
        chars='sorted(set("".join(words)))', start='{"<pad>": 0, **{c: i for i, c in enumerate(chars)}}')},
        hint="here the characters start at 0", visible="the characters are numbered from 0"),
    Case("float ids", {"encode_and_pad": edit(encode(), ', dtype="int32")', ')')},
         hint="ids are integers", visible="ids must be integers"),
    Case("two softmax outputs", {"build_classifier": edit(classifier(), 'Dense(1, activation="sigmoid")',
                                                          'Dense(2, activation="softmax")')},
         hint="one sigmoid unit", visible="one sigmoid unit, Dense(1, activation='sigmoid')"),
]

ALTERNATIVE = [
    Case("keras pad_sequences and a functional LSTM", {
        "build_char_vocab": (
            "def build_char_vocab(words):\n"
            "    alphabet = ['<pad>'] + sorted({ch for w in words for ch in w})\n"
            "    return {ch: i for i, ch in enumerate(alphabet)}\n"),
        "encode_and_pad": (
            "def encode_and_pad(words, char2idx, maxlen=None):\n"
            "    ids = [[char2idx[ch] for ch in w] for w in words]\n"
            "    return keras.utils.pad_sequences(ids, maxlen=maxlen)\n"),
        "build_classifier": (
            "def build_classifier(vocab_size, maxlen):\n"
            "    ids = keras.Input(shape=(maxlen,), dtype='int32')\n"
            "    vectors = keras.layers.Embedding(input_dim=vocab_size, output_dim=12, mask_zero=True)(ids)\n"
            "    state = keras.layers.LSTM(24)(vectors)\n"
            "    return keras.Model(ids, keras.layers.Dense(1, activation='sigmoid')(state))\n"),
        "train_classifier": (
            "keras.utils.set_random_seed(1)\n"
            "model = build_classifier(len(char2idx), maxlen)\n"
            "model.compile(optimizer=keras.optimizers.Adam(0.01), loss='binary_crossentropy', metrics=['accuracy'])\n"
            "model.fit(x_train, train_labels, epochs=40, batch_size=64, verbose=0)\n"),
    }),
]

CHEAT = [
    Case("trains on the full data set from the reference", {
        "build_char_vocab": "from rnn_reference import build_char_vocab\n",
        "encode_and_pad": "from rnn_reference import encode_and_pad\n",
        "train_classifier": (
            "from rnn_reference import load_char_sentiment\n"
            "all_texts, all_labels = load_char_sentiment()\n"
            "keras.utils.set_random_seed(0)\n"
            "model = build_classifier(len(char2idx), maxlen)\n"
            "model.compile(optimizer=keras.optimizers.Adam(0.01), loss='binary_crossentropy', metrics=['accuracy'])\n"
            "model.fit(encode_and_pad(all_texts, char2idx, maxlen), all_labels, epochs=30, batch_size=64, verbose=0)\n"),
    },
        hint="calls the reference package",
        zero=("test_build_char_vocab_hidden", "test_encode_and_pad_padding_hidden",
              "test_encode_and_pad_truncating_hidden", "test_trained_model_heldout_hidden")),
]
