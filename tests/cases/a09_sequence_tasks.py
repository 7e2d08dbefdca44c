"""Assignment a09_sequence_tasks: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case, edit

MAX_SCORE = 20

# A hint is looked for in the HTML feedback, which escapes ' " < > &: hints stop short of them.

MANY_TO_ONE = '''
def build_many_to_one(vocab_size, embed_dim, units, num_classes):
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embed_dim),
        keras.layers.SimpleRNN(units),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
'''

MANY_TO_MANY = '''
def build_many_to_many(vocab_size, embed_dim, units, num_tags):
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embed_dim),
        keras.layers.SimpleRNN(units, return_sequences=True),
        keras.layers.Dense(num_tags, activation="softmax"),
    ])
'''

ONE_TO_MANY = '''
def build_one_to_many(input_dim, units, timesteps, vocab_size):
    return keras.Sequential([
        keras.Input(shape=(input_dim,)),
        keras.layers.RepeatVector(timesteps),
        keras.layers.SimpleRNN(units, return_sequences=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    ])
'''

ENCODER_DECODER = '''
def build_encoder_decoder(src_vocab, tgt_vocab, embed_dim, units):
    source = keras.Input(shape=(None,), dtype="int32")
    target = keras.Input(shape=(None,), dtype="int32")
    _, state = keras.layers.SimpleRNN(units, return_state=True)(keras.layers.Embedding(src_vocab, embed_dim)(source))
    target_vectors = keras.layers.Embedding(tgt_vocab, embed_dim)(target)
    decoded = keras.layers.SimpleRNN(units, return_sequences=True)(target_vectors, initial_state=state)
    probabilities = keras.layers.Dense(tgt_vocab, activation="softmax")(decoded)
    return keras.Model([source, target], probabilities)
'''

# an LSTM encoder-decoder that hands the decoder h only (the chapter's exercise: Keras builds it, the call fails)
LSTM_ONE_STATE = '''
def build_encoder_decoder(src_vocab, tgt_vocab, embed_dim, units):
    source = keras.Input(shape=(None,), dtype="int32")
    target = keras.Input(shape=(None,), dtype="int32")
    _, state_h, state_c = keras.layers.LSTM(units, return_state=True)(keras.layers.Embedding(src_vocab, embed_dim)(source))
    target_vectors = keras.layers.Embedding(tgt_vocab, embed_dim)(target)
    decoded = keras.layers.LSTM(units, return_sequences=True)(target_vectors, initial_state=state_h)
    probabilities = keras.layers.Dense(tgt_vocab, activation="softmax")(decoded)
    return keras.Model([source, target], probabilities)
'''

# one-to-many with the repeat after the Dense: one distribution copied to every step
REPEAT_AFTER_DENSE = '''
def build_one_to_many(input_dim, units, timesteps, vocab_size):
    return keras.Sequential([
        keras.Input(shape=(input_dim,)),
        keras.layers.Dense(units, activation="tanh"),
        keras.layers.Dense(vocab_size, activation="softmax"),
        keras.layers.RepeatVector(timesteps),
    ])
'''

WRONG = [
    Case("tagger without return_sequences",
         {"build_many_to_many": edit(MANY_TO_MANY, "SimpleRNN(units, return_sequences=True)", "SimpleRNN(units)")},
         hint="missing return_sequences=True", visible="missing return_sequences=True"),
    Case("RepeatVector(input_dim)",
         {"build_one_to_many": edit(ONE_TO_MANY, "RepeatVector(timesteps)", "RepeatVector(input_dim)")},
         hint="RepeatVector with the wrong count", visible="use RepeatVector(timesteps)"),
    Case("decoder not given the encoder state",
         {"build_encoder_decoder": edit(ENCODER_DECODER, "(target_vectors, initial_state=state)", "(target_vectors)")},
         hint="the decoder is not given the encoder", visible="the decoder is not given the encoder's state"),
    Case("sigmoid instead of softmax",
         {"build_many_to_one": edit(MANY_TO_ONE, 'activation="softmax"', 'activation="sigmoid"')},
         hint="a sigmoid where a softmax belongs", visible="a sigmoid where a softmax belongs"),
    Case("tagger outputs logits",
         {"build_many_to_many": edit(MANY_TO_MANY, ', activation="softmax"', "")},
         hint="the last Dense has no activation", visible="the last Dense has no activation"),
    Case("Dense(units) instead of Dense(num_classes)",
         {"build_many_to_one": edit(MANY_TO_ONE, "Dense(num_classes,", "Dense(units,")},
         hint="end with Dense(num_classes, activation=",
         visible="end with Dense(num_classes, activation='softmax')"),
    Case("Embedding one row short",
         {"build_many_to_one": edit(MANY_TO_ONE, "Embedding(vocab_size, embed_dim)", "Embedding(vocab_size - 1, embed_dim)")},
         hint="is one row short", visible="each Embedding needs input_dim = the size of the vocabulary"),
    Case("Sequential without keras.Input",
         {"build_many_to_one": edit(MANY_TO_ONE, '        keras.Input(shape=(None,), dtype="int32"),\n', "")},
         hint="is not built", visible="the model is not built"),
    Case("inputs in the order [target, source]",
         {"build_encoder_decoder": edit(ENCODER_DECODER, "keras.Model([source, target]", "keras.Model([target, source]")},
         hint="the inputs are in the wrong order", visible="the inputs are in the wrong order"),
    Case("RepeatVector after the Dense", {"build_one_to_many": REPEAT_AFTER_DENSE},
         hint="RepeatVector after the Dense", visible="RepeatVector after the Dense"),
    Case("decoder without return_sequences",
         {"build_encoder_decoder": edit(ENCODER_DECODER, "SimpleRNN(units, return_sequences=True)", "SimpleRNN(units)")},
         hint="the decoder is missing return_sequences=True", visible="the decoder gives one per target step"),
    Case("target Embedding sized by the source vocabulary",
         {"build_encoder_decoder": edit(ENCODER_DECODER, "Embedding(tgt_vocab, embed_dim)", "Embedding(src_vocab, embed_dim)")},
         hint="the other vocabulary", visible="each Embedding needs input_dim = the size of the vocabulary"),
]

MORE_WRONG = [
    Case("softmax over the time axis",
         {"build_many_to_many": edit(MANY_TO_MANY, 'keras.layers.Dense(num_tags, activation="softmax"),',
                                     "keras.layers.Dense(num_tags),\n        keras.layers.Softmax(axis=1),")},
         hint="a softmax over the wrong axis", visible="the softmax runs over the wrong axis"),
    Case("captioner without return_sequences",
         {"build_one_to_many": edit(ONE_TO_MANY, "SimpleRNN(units, return_sequences=True)", "SimpleRNN(units)")},
         hint="the recurrent layer is missing return_sequences=True", visible="missing return_sequences=True"),
    Case("many-to-one returns sequences",
         {"build_many_to_one": edit(MANY_TO_ONE, "SimpleRNN(units)", "SimpleRNN(units, return_sequences=True)")},
         hint="keep the default (False)", visible="keep the recurrent layer's default return_sequences=False"),
    Case("LSTM decoder given state_h only", {"build_encoder_decoder": LSTM_ONE_STATE},
         hint="initial_state=[state_h, state_c]", visible="initial_state=[state_h, state_c]"),
    Case("Embedding arguments swapped",
         {"build_many_to_many": edit(MANY_TO_MANY, "Embedding(vocab_size, embed_dim)", "Embedding(embed_dim, vocab_size)")},
         hint="Embedding(input_dim=vocabulary size, output_dim=embed_dim)",
         visible="each Embedding needs input_dim = the size of the vocabulary"),
    Case("tagger ends with Dense(vocab_size)",
         {"build_many_to_many": edit(MANY_TO_MANY, "Dense(num_tags,", "Dense(vocab_size,")},
         hint="Dense(num_tags, activation=", visible="end with Dense(num_tags, activation='softmax')"),
    Case("captioner ends without a Dense",
         {"build_one_to_many": edit(ONE_TO_MANY, '        keras.layers.Dense(vocab_size, activation="softmax"),\n', "")},
         hint="states come out directly", visible="end with Dense(vocab_size, activation='softmax')"),
]

ALTERNATIVE = [
    Case("functional models, LSTM and GRU, TimeDistributed, compiled", {
        "build_many_to_one": '''
def build_many_to_one(vocab_size, embed_dim, units, num_classes):
    ids = keras.Input(shape=(None,), dtype="int64")
    h = keras.layers.LSTM(units)(keras.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)(ids))
    model = keras.Model(ids, keras.layers.Dense(num_classes, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
''',
        "build_many_to_many": '''
def build_many_to_many(vocab_size, embed_dim, units, num_tags):
    ids = keras.Input(shape=(None,), dtype="int32")
    vectors = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(ids)
    h = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True))(vectors)
    logits = keras.layers.TimeDistributed(keras.layers.Dense(num_tags))(h)
    return keras.Model(ids, keras.layers.Activation("softmax")(logits))
''',
        "build_one_to_many": '''
def build_one_to_many(input_dim, units, timesteps, vocab_size):
    features = keras.Input(shape=(input_dim,))
    start = keras.layers.Dense(units, activation="tanh")(features)
    steps = keras.layers.RepeatVector(timesteps)(features)
    h = keras.layers.GRU(units, return_sequences=True)(steps, initial_state=start)
    scores = keras.layers.TimeDistributed(keras.layers.Dense(vocab_size))(h)
    return keras.Model(features, keras.layers.Softmax(axis=-1)(scores))
''',
        "build_encoder_decoder": '''
def build_encoder_decoder(src_vocab, tgt_vocab, embed_dim, units):
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target = keras.Input(shape=(None,), dtype="int32", name="target")
    encoder = keras.layers.LSTM(units, return_state=True)
    _, state_h, state_c = encoder(keras.layers.Embedding(src_vocab, embed_dim, mask_zero=True)(source))
    decoder = keras.layers.LSTM(units, return_sequences=True)
    decoded = decoder(keras.layers.Embedding(tgt_vocab, embed_dim)(target), initial_state=[state_h, state_c])
    probabilities = keras.layers.TimeDistributed(keras.layers.Dense(tgt_vocab, activation="softmax"))(decoded)
    model = keras.Model(inputs=[source, target], outputs=probabilities)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return model
''',
    }),
    Case("GRU encoder-decoder, Sequential with a named input", {
        "build_encoder_decoder": '''
def build_encoder_decoder(src_vocab, tgt_vocab, embed_dim, units):
    source = keras.Input(shape=(None,), dtype="int32")
    target = keras.Input(shape=(None,), dtype="int32")
    source_vectors = keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                                       keras.layers.Embedding(src_vocab, embed_dim)])(source)
    _, state = keras.layers.GRU(units, return_state=True)(source_vectors)
    target_vectors = keras.layers.Embedding(tgt_vocab, embed_dim)(target)
    decoded = keras.layers.GRU(units, return_sequences=True)(target_vectors, initial_state=[state])
    return keras.Model([source, target], keras.layers.Dense(tgt_vocab, activation="softmax")(decoded))
''',
    }),
]

CHEAT = [
    Case("imports the reference", {
        "build_many_to_one": "from rnn_reference import build_many_to_one\n",
        "build_many_to_many": ("import rnn_reference\n"
                               "def build_many_to_many(vocab_size, embed_dim, units, num_tags):\n"
                               "    return rnn_reference.build_many_to_many(vocab_size, embed_dim, units, num_tags)\n"),
        "build_one_to_many": "from rnn_reference.sequence_tasks import build_one_to_many\n",
        "build_encoder_decoder": ("from rnn_reference.sequence_tasks import build_encoder_decoder as _reference\n"
                                  "def build_encoder_decoder(*args):\n"
                                  "    return _reference(*args)\n"),
    }, hint="calls the reference package",
        zero=("test_many_to_one_hidden", "test_many_to_many_hidden", "test_one_to_many_hidden",
              "test_encoder_decoder_outputs_hidden", "test_encoder_decoder_state_hidden")),
]
