"""Regenerate data/char_sentiment.tsv and data/lm_corpus_en.txt (byte for byte): python data/make_corpora.py

Both files are written by the course authors from the hand-written word lists and sentence
templates below (CC-BY-4.0, like the rest of data/); char_corpus_en.txt is hand-written prose
and has no generator. Deterministic: a fixed seed per file, no downloads. See data/README.md.

char_sentiment.tsv, two kinds of entries:
  * word families: a positive stem in several forms, and the same forms with a negating prefix
    (un-, dis-, im-, in-, ir-), e.g. happy/happily/happiness vs unhappy/unhappily/unhappiness,
    plus two honest exceptions where the prefixed form is the positive one (unforgettable);
  * plain adjectives, each with one intensified phrase ("very good").
  No "not good" phrases: with a few hundred of them a tiny character model did not learn negation
  (held-out "not" phrases stayed near chance), so they are left out.

lm_corpus_en.txt: short lower-case sentences without punctuation, drawn from a handful of
templates over a small vocabulary, so that a tiny word-level RNN language model can learn which
words follow which and its perplexity drops visibly.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


# --- char_sentiment.tsv ------------------------------------------------------------------------

# "positive forms | negative forms" (the negative forms carry a negating prefix)
FAMILIES = """
happy happily happiness | unhappy unhappily unhappiness
kind kindly kindness | unkind unkindly unkindness
pleasant pleasantly | unpleasant unpleasantly
fair fairly fairness | unfair unfairly unfairness
lucky luckily | unlucky unluckily
fortunate fortunately | unfortunate unfortunately
comfortable comfortably | uncomfortable uncomfortably
friendly friendliness | unfriendly unfriendliness
healthy | unhealthy
safe safely | unsafe
wise wisely | unwise unwisely
helpful helpfully | unhelpful unhelpfully
grateful gratefully | ungrateful ungratefully
reliable reliably | unreliable unreliably
acceptable | unacceptable unacceptably
bearable | unbearable unbearably
reasonable reasonably | unreasonable unreasonably
successful successfully | unsuccessful unsuccessfully
stable | unstable
worthy | unworthy
welcome | unwelcome
just justly | unjust unjustly
attractive | unattractive
interesting | uninteresting
tidy | untidy
popular | unpopular
honest honestly honesty | dishonest dishonestly dishonesty
loyal loyally loyalty | disloyal disloyalty
agreeable | disagreeable
respectful respectfully | disrespectful disrespectfully
pleased | displeased
satisfied | dissatisfied
graceful gracefully | disgraceful disgracefully
organized | disorganized
polite politely | impolite impolitely
patient patiently patience | impatient impatiently impatience
perfect perfectly | imperfect imperfectly
proper properly | improper improperly
competent competently competence | incompetent incompetently incompetence
adequate adequately | inadequate inadequately
tolerable | intolerable intolerably
accurate accurately | inaccurate inaccurately
correct correctly | incorrect incorrectly
effective effectively | ineffective ineffectively
efficient efficiently | inefficient inefficiently
sincere sincerely | insincere insincerely
considerate | inconsiderate
capable | incapable
responsible responsibly | irresponsible irresponsibly
rational rationally | irrational irrationally
mature | immature
moral | immoral
secure securely | insecure
""".strip().splitlines()

# the honest exceptions: here the prefixed form is the positive one
REVERSED = [("forgettable", 0), ("unforgettable", 1), ("beaten", 0), ("unbeaten", 1)]

POSITIVE = """
good great nice fine glad joyful cheerful delightful lovely beautiful pretty brilliant excellent
wonderful fantastic marvelous superb splendid terrific fabulous gorgeous elegant charming pleasing
gentle generous brave calm clever smart bright warm sweet fresh clean neat strong hopeful peaceful
playful thoughtful faithful careful useful skillful tasteful truthful blissful fearless flawless
priceless timeless spotless tireless selfless effortless harmless amazing exciting inspiring
stunning refreshing satisfying rewarding uplifting enchanting thrilling heartwarming comforting
soothing outstanding fascinating appealing relaxing encouraging loving caring amusing glorious
gracious delicious joyous precious prosperous victorious adventurous courageous awesome handsome
wholesome lovable adorable admirable remarkable enjoyable valuable incredible ideal superior
positive creative impressive supportive pure radiant vibrant intelligent magnificent innocent
merry jolly sunny lively heavenly tasty cozy funny witty cute best
""".split()

NEGATIVE = """
bad poor awful terrible horrible dreadful nasty ugly sad angry cruel mean rude evil wicked vile foul
gross grim dull boring annoying tiring disgusting depressing disappointing frustrating irritating
alarming confusing terrifying horrifying upsetting sickening appalling exhausting infuriating
insulting painful shameful hateful harmful fearful spiteful boastful deceitful resentful wasteful
forgetful pitiful stressful useless hopeless careless helpless heartless thoughtless pointless
worthless reckless ruthless senseless tasteless clueless powerless lifeless joyless aimless
mindless merciless disastrous dismal dangerous hideous jealous malicious monstrous nervous
obnoxious ridiculous vicious atrocious furious tedious poisonous miserable deplorable pathetic
tragic toxic aggressive offensive destructive abusive defective selfish foolish childish stupid
lazy filthy dirty messy smelly noisy gloomy grumpy greedy sloppy shabby lousy silly sick weak broken
rotten stale sour bitter harsh hostile lonely worst wrong fake lame
""".split()

INTENSIFIERS = ["very", "so", "really", "truly", "quite", "extremely"]
# absolute adjectives read oddly with "very" ("very perfect")
NO_INTENSIFIER = {"best", "worst", "ideal", "perfect", "wrong", "fake", "broken", "flawless", "priceless",
                  "spotless", "incredible", "timeless", "effortless", "just", "correct", "tolerable",
                  "proper", "superior", "heavenly", "fabulous", "terrific", "awesome", "outstanding"}


def char_sentiment(seed: int = 2024) -> list[tuple[str, int]]:
    """(text, label) rows, 1 = positive, in a fixed random order (any contiguous slice is a fair sample)."""
    if len(set(POSITIVE + NEGATIVE)) != len(POSITIVE + NEGATIVE):
        raise ValueError("a word is listed twice in POSITIVE/NEGATIVE")
    rng = random.Random(seed)
    rows: dict[str, int] = {}

    def add(text: str, label: int) -> None:
        if rows.get(text, label) != label:
            raise ValueError(f"{text!r} would get both labels")
        rows[text] = label

    for line in FAMILIES:
        positive, negative = (part.split() for part in line.split("|"))
        for word in positive:
            add(word, 1)
        for word in negative:
            add(word, 0)
        base_pos, base_neg = positive[0], negative[0]
        if base_pos not in NO_INTENSIFIER:
            add(f"{rng.choice(INTENSIFIERS)} {base_pos}", 1)  # "very happy"
        if rng.random() < 0.5:
            add(f"{rng.choice(INTENSIFIERS)} {base_neg}", 0)  # "very unhappy"
    for text, label in REVERSED:
        add(text, label)
    for words, label in ((POSITIVE, 1), (NEGATIVE, 0)):
        for word in words:
            add(word, label)
            if word not in NO_INTENSIFIER:
                add(f"{rng.choice(INTENSIFIERS)} {word}", label)
    items = sorted(rows.items())
    rng.shuffle(items)  # stored in random order: any contiguous slice is a fair sample
    return items


# --- lm_corpus_en.txt -------------------------------------------------------------------------

PEOPLE = ["the boy", "the girl", "my mother", "my father", "my sister", "my brother", "the old man",
          "the old woman", "the teacher", "the farmer", "the baker", "our friend"]
ANIMALS = ["the cat", "the dog", "the bird", "the horse", "the little cat", "the old dog", "the white horse"]
PLACES = ["the park", "the garden", "the market", "the school", "the river", "the forest", "the village",
          "the kitchen", "the house", "the farm"]
TIMES = ["in the morning", "in the evening", "every day", "at night", "on sunday", "after school",
         "before dinner", "in the summer", "in the winter"]
FOODS = ["bread", "apples", "rice", "soup", "fish", "cake", "warm bread", "green apples"]
DRINKS = ["milk", "tea", "water", "warm milk"]
THINGS = ["a book", "a story", "the news", "an old book", "a long story"]
LETTERS = ["a letter", "a long letter", "a short letter", "a card"]
INDOORS = ["the house", "the kitchen", "the school", "the library"]
OUTDOORS = ["the park", "the garden", "the forest", "the village", "the farm", "the field"]
ANIMAL_ACTS = ["sleeps", "runs", "sits", "plays", "waits"]
ANIMAL_SPOTS = ["on the mat", "by the door", "in the sun", "in the garden", "under the tree", "near the river"]
WEATHER = ["the sun is warm", "the sky is blue", "the wind is cold", "the rain is falling", "the snow is white",
           "the night is dark", "the river is quiet", "the morning is bright"]

def _writes(r):
    writer, reader = r.sample(PEOPLE, 2)
    return f"{writer} writes {r.choice(LETTERS)} to {reader}"


TEMPLATES = [
    lambda r: f"{r.choice(PEOPLE)} goes to {r.choice(PLACES)} {r.choice(TIMES)}",
    lambda r: f"{r.choice(PEOPLE)} walks to {r.choice(PLACES)} with {r.choice(ANIMALS)}",
    lambda r: "{} likes {} and {}".format(r.choice(PEOPLE), *r.sample(FOODS, 2)),
    lambda r: f"{r.choice(PEOPLE)} drinks {r.choice(DRINKS)} {r.choice(TIMES)}",
    lambda r: f"{r.choice(PEOPLE)} eats {r.choice(FOODS)} {r.choice(TIMES)}",
    lambda r: f"{r.choice(PEOPLE)} reads {r.choice(THINGS)} in {r.choice(INDOORS + ['the garden', 'the park'])}",
    lambda r: _writes(r),
    lambda r: f"{r.choice(ANIMALS)} {r.choice(ANIMAL_ACTS)} {r.choice(ANIMAL_SPOTS)}",
    lambda r: f"{r.choice(ANIMALS)} {r.choice(ANIMAL_ACTS)} {r.choice(ANIMAL_SPOTS)} {r.choice(TIMES)}",
    lambda r: f"{r.choice(WEATHER)} {r.choice(TIMES)}",
    lambda r: f"{r.choice(WEATHER)} and {r.choice(PEOPLE)} stays in {r.choice(INDOORS)}",
    lambda r: f"{r.choice(PEOPLE)} sees {r.choice(ANIMALS)} in {r.choice(OUTDOORS)}",
    lambda r: f"{r.choice(PEOPLE)} buys {r.choice(FOODS)} at the market",
    lambda r: f"{r.choice(PEOPLE)} sings {r.choice(['a song', 'an old song', 'a happy song'])} {r.choice(TIMES)}",
]


def lm_sentences(n_lines: int = 220, seed: int = 7) -> list[str]:
    """n_lines distinct sentences, in the order drawn."""
    rng = random.Random(seed)
    lines = []
    seen = set()
    while len(lines) < n_lines:
        line = rng.choice(TEMPLATES)(rng)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def main() -> None:
    items = char_sentiment()
    (HERE / "char_sentiment.tsv").write_text("".join(f"{text}\t{label}\n" for text, label in items), encoding="utf-8")
    print(f"char_sentiment.tsv: {len(items)} lines, {sum(label for _, label in items)} positive")
    lines = lm_sentences()
    (HERE / "lm_corpus_en.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"lm_corpus_en.txt: {len(lines)} lines")


if __name__ == "__main__":
    main()
