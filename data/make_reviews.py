"""Regenerate data/reviews_en.tsv (byte for byte): python data/make_reviews.py

A synthetic word-level sentiment corpus, written for chapters/09_training: short English
"movie reviews" drawn from hand-written templates and word lists (CC-BY-4.0, like the rest of
data/). Standard library only, a fixed seed, no downloads. See data/README.md.

Each review is an optional neutral opening (who watched which film, when, with whom) followed by
one or two *clauses* about the film ("the acting was superb", "the plot was never dull"). A
clause's polarity is its adjective's, flipped by a negation before it (not, never, hardly, far
from, not at all, not very, not really). The label of the review follows fixed rules:

  * one clause                               -> its polarity;
  * "A and B"  (A and B agree)               -> their polarity;
  * "A but B", "although A B" (they disagree) -> B, the second clause;
  * "A even though B" (they disagree)        -> A, the first clause.

So the words alone do not give the label: "the acting was good but the story was dull" and
"the story was dull but the acting was good" hold the same words with opposite labels, and a
negated positive adjective is negative. A model has to read the order of the words, which is
what the chapter's recurrent models can do and a bag-of-words model cannot. Labels are exact by
construction (no annotator noise), and the language is much narrower than real reviews: the
corpus is a teaching set, not a benchmark.

The vocabulary reaches more than two thousand words through made-up names of people and places, built
from random syllables (no real person is meant; a few happen to spell English words). They only
fill neutral slots, so they carry no sentiment, and many of the names in the test part never occur
in the training part, like the rare names in real reviews.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "reviews_en.tsv"
N_REVIEWS = 4000
SEED = 1209
MAX_WORDS = 30  # the chapter's sequence length: every review fits

POSITIVE = """
good great superb brilliant excellent wonderful moving gripping charming delightful clever funny
beautiful stunning fresh sharp warm touching thrilling memorable powerful elegant lively witty
engaging solid smart rich vivid gorgeous tender honest bold inventive original exciting inspired
graceful absorbing striking lovely hilarious riveting satisfying compelling heartfelt magical
polished confident playful haunting sincere assured fun enjoyable rewarding
""".split()

NEGATIVE = """
bad awful terrible dull boring weak flat tedious clumsy lifeless predictable messy shallow bland
silly sloppy forgettable tiresome lazy stiff cheap confusing painful dreary hollow sluggish
wooden stale tired empty muddled pointless pretentious awkward grating limp lame
disappointing uneven bloated joyless shoddy plodding listless hackneyed monotonous annoying
irritating overlong careless mediocre insipid lacklustre
""".split()

# (noun phrase, plural?)
ASPECTS = [
    ("acting", False), ("story", False), ("plot", False), ("script", False), ("dialogue", False),
    ("ending", False), ("music", False), ("soundtrack", False), ("score", False), ("direction", False),
    ("camera work", False), ("editing", False), ("pacing", False), ("cast", False), ("lead actor", False),
    ("lead actress", False), ("villain", False), ("humour", False), ("jokes", True),
    ("special effects", True), ("costumes", True), ("photography", False), ("opening", False),
    ("final act", False), ("twist", False), ("characters", True), ("romance", False),
    ("action scenes", True), ("fight scenes", True), ("songs", True), ("animation", False),
    ("sound design", False), ("set design", False), ("lighting", False), ("voice acting", False),
    ("supporting cast", False), ("premise", False), ("middle part", False), ("first half", False),
    ("second half", False), ("screenplay", False), ("performances", True), ("film", False),
    ("movie", False), ("whole thing", False), ("sequel", False), ("chase", False), ("finale", False),
]
LINKING = {False: ["was", "is", "felt", "seemed"], True: ["were", "are", "felt", "seemed"]}
BE = {False: ["was", "is"], True: ["were", "are"]}
INTENSIFIERS = ["very", "really", "quite", "truly", "rather", "so", "pretty", "genuinely", "simply",
                "remarkably", "often", "mostly"]
NEGATIONS = ["not", "never", "hardly", "far from", "not at all", "not very", "not really"]

RELATIVES = ["sister", "brother", "friend", "friends", "mother", "father", "cousin", "uncle", "aunt",
             "neighbour", "kids", "parents", "grandmother", "grandfather", "partner", "colleagues",
             "classmates", "roommate", "wife", "husband", "son", "daughter", "book club", "team"]
WHEN = ["last night", "yesterday", "on sunday", "on monday", "on friday", "on saturday", "last week",
        "this weekend", "after work", "on a rainy evening", "during the holidays", "on my birthday",
        "on a long flight", "on a train", "at midnight", "over the summer", "in the winter",
        "at the weekend", "on tuesday", "on wednesday", "on thursday", "this morning"]
WHERE = ["at the cinema", "at home", "at the festival", "in a small theatre", "on television",
         "on my laptop", "at a party", "in an old cinema", "at the drive in", "on a plane",
         "at a late show", "at a matinee", "on a big screen", "at the local theatre"]
ROLES = """
teacher detective pilot baker soldier farmer thief nurse doctor sailor painter singer dancer
writer lawyer judge mayor king queen prince princess knight witch wizard ghost robot alien
spy chef waiter driver miner fisherman hunter priest monk student scientist engineer banker
clerk guard captain general boxer runner climber gardener carpenter tailor poet musician
drummer coach mechanic inventor explorer astronaut cowboy sheriff pirate smuggler
""".split()
GENRES = ["drama", "comedy", "thriller", "western", "musical", "romance", "war film", "horror film",
          "documentary", "fantasy film", "crime story", "family film", "science fiction film",
          "mystery", "road movie", "period piece", "cartoon", "spy film"]
NOUNS = """
river garden winter summer mountain harbour island forest desert city village castle tower bridge
station lighthouse orchard meadow valley storm shadow mirror letter secret promise journey
voyage kingdom empire border frontier ocean moon star sun cloud rain snow wind fire stone
iron glass silver gold paper clock door window road street house room attic cellar train ship
boat horse wolf fox bird raven crow owl lion tiger bear whale dragon lantern candle
compass map crown sword shield arrow key lock song dance dream memory night morning evening
harvest festival circus carnival market factory school hospital prison museum library hotel
""".split()

ONSETS = ["b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr",
          "kr", "st", "tr", "sh", "ch", "th", "j", "w", "y", "fl", "pl", "sl"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ea", "io"]
CODAS = ["", "", "n", "r", "l", "s", "k", "m", "nd", "st", "x"]


def _made_up_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """count distinct two- or three-syllable words that are none of the hand-written words."""
    names: list[str] = []
    seen = set(taken)
    while len(names) < count:
        syllables = 2 if rng.random() < 0.7 else 3
        name = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)) + rng.choice(CODAS)
        if 4 <= len(name) <= 11 and name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _a(noun: str) -> str:
    """noun with its indefinite article: 'a pilot', 'an alien'."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def hand_written_words() -> set[str]:
    """Every word of the hand-written lists (the made-up names must differ from them)."""
    phrases = (POSITIVE + NEGATIVE + [a for a, _ in ASPECTS] + INTENSIFIERS + NEGATIONS + RELATIVES
               + WHEN + WHERE + ROLES + GENRES + NOUNS + [w for ws in LINKING.values() for w in ws])
    glue = ("the a an of in by with my we i it this and but although even though who plays directed "
            "saw watched new is from written stars as for picked about set").split()
    return {word for phrase in phrases for word in phrase.split()} | set(glue)


class Reviews:
    """The generator: word lists plus the made-up names, and one method per part of a review."""

    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        for name, words in (("POSITIVE", POSITIVE), ("NEGATIVE", NEGATIVE), ("ROLES", ROLES), ("NOUNS", NOUNS)):
            if len(set(words)) != len(words):
                raise ValueError(f"a word is listed twice in {name}")
        overlap = set(POSITIVE) & set(NEGATIVE)
        if overlap:
            raise ValueError(f"words listed as both positive and negative: {sorted(overlap)}")
        self.positive = POSITIVE
        self.negative = NEGATIVE
        taken = hand_written_words()
        self.first_names = _made_up_names(self.rng, 700, taken)
        self.last_names = _made_up_names(self.rng, 1300, taken | set(self.first_names))
        self.places = _made_up_names(self.rng, 300, taken | set(self.first_names) | set(self.last_names))

    # --- neutral parts ---------------------------------------------------------------------------

    def person(self) -> str:
        r = self.rng
        return f"{r.choice(self.first_names)} {r.choice(self.last_names)}"

    def title(self) -> str:
        r = self.rng
        form = r.randrange(5)
        if form == 0:
            return f"the {r.choice(NOUNS)}"
        if form == 1:
            return f"the {r.choice(NOUNS)} of {r.choice(self.places)}"
        if form == 2:
            return f"the last {r.choice(NOUNS)}"
        if form == 3:
            return f"{r.choice(self.places)}"
        return f"{_a(r.choice(NOUNS))} in {r.choice(self.places)}"

    def opening(self) -> str:
        r = self.rng
        form = r.randrange(9)
        if form == 0:
            return ""
        if form == 1:
            return f"i watched {self.title()} {r.choice(WHEN)}"
        if form == 2:
            return f"we saw {self.title()} {r.choice(WHERE)}"
        if form == 3:
            return f"{self.title()} is the new {r.choice(GENRES)} by {self.person()}"
        if form == 4:
            return f"{self.person()} directed this {r.choice(GENRES)}"
        if form == 5:
            return f"in {self.title()} {self.person()} plays {_a(r.choice(ROLES))}"
        if form == 6:
            return f"my {r.choice(RELATIVES)} picked {self.title()} {r.choice(WHEN)}"
        if form == 7:
            return f"{_a(r.choice(GENRES))} about {_a(r.choice(ROLES))} from {r.choice(self.places)}"
        return f"{self.person()} stars as {_a(r.choice(ROLES))} in this {r.choice(GENRES)}"

    # --- clauses with a polarity -----------------------------------------------------------------

    def clause(self, polarity: int) -> str:
        """A clause whose meaning has the given polarity (1 positive, 0 negative)."""
        r = self.rng
        aspect, plural = r.choice(ASPECTS)
        negated = r.random() < 0.25
        adjective_polarity = 1 - polarity if negated else polarity
        adjective = r.choice(self.positive if adjective_polarity else self.negative)
        if negated:
            return f"the {aspect} {r.choice(BE[plural])} {r.choice(NEGATIONS)} {adjective}"
        intensifier = r.choice(INTENSIFIERS) + " " if r.random() < 0.4 else ""
        return f"the {aspect} {r.choice(LINKING[plural])} {intensifier}{adjective}"

    def body(self) -> tuple[str, int]:
        """The part of a review that decides its label, and the label."""
        r = self.rng
        label = r.randrange(2)
        form = r.choices(["one", "and", "but", "although", "even though"], weights=[4, 2, 2, 1, 1])[0]
        if form == "one":
            return self.clause(label), label
        if form == "and":
            return f"{self.clause(label)} and {self.clause(label)}", label
        if form == "but":  # the second clause decides
            return f"{self.clause(1 - label)} but {self.clause(label)}", label
        if form == "although":  # the second (main) clause decides
            return f"although {self.clause(1 - label)} {self.clause(label)}", label
        return f"{self.clause(label)} even though {self.clause(1 - label)}", label  # the first decides

    def review(self) -> tuple[str, int]:
        opening = self.opening()
        body, label = self.body()
        text = f"{opening} {body}" if opening else body
        return text, label


def reviews(n: int = N_REVIEWS, seed: int = SEED) -> list[tuple[str, int]]:
    """n distinct (text, label) rows, half of each label, in a fixed random order (any contiguous
    slice is a fair sample), every text at most MAX_WORDS words."""
    generator = Reviews(seed)
    rows: dict[str, int] = {}
    counts = [0, 0]
    while len(rows) < n:
        text, label = generator.review()
        if len(text.split()) > MAX_WORDS or text in rows or counts[label] >= n // 2:
            continue
        rows[text] = label
        counts[label] += 1
    items = list(rows.items())
    generator.rng.shuffle(items)
    return items


def main() -> None:
    items = reviews()
    OUTPUT.write_text("".join(f"{text}\t{label}\n" for text, label in items), encoding="utf-8")
    words = {word for text, _ in items for word in text.split()}
    print(f"{OUTPUT.name}: {len(items)} reviews, {sum(label for _, label in items)} positive, "
          f"{len(words)} distinct words, longest {max(len(text.split()) for text, _ in items)} words")


if __name__ == "__main__":
    main()
