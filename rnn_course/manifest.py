"""The course manifest (`course.yml`): the one list of chapters and assignments, read by everything else.

    >>> from rnn_course.manifest import load
    >>> course = load()
    >>> course.assignment("a01_rnn_from_scratch").practises[0].slug
    'chapters/01_recurrent_cell'

`load()` checks the file as it reads it and raises `ManifestError` naming the entry at fault: an
unknown chapter slug in `practises`, a duplicated id, an id that does not sort in course order,
a `needs` other than numpy or tensorflow. Whether the files it names exist is checked by the tests
(`tests/test_manifest.py`), so that the manifest can be read where only part of the course is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "course.yml"
ASSIGNMENT_ID = re.compile(r"a(\d{2})_[a-z0-9_]+")
CHAPTER_SLUG = re.compile(r"chapters/(\d{2})_[a-z0-9_]+")
NEEDS = ("numpy", "tensorflow")
LATE_UNITS = {"hour": 3600, "day": 86400}


class ManifestError(ValueError):
    """course.yml is malformed; the message names the entry and what is wrong with it."""


@dataclass(frozen=True)
class Chapter:
    slug: str     # "chapters/06_lstm": the page's path without .md
    title: str
    number: int   # its position in reading order, from 1 (for display only: refer by slug)

    @property
    def path(self) -> str:
        return f"{self.slug}.md"


@dataclass(frozen=True)
class LatePolicy:
    """What a late submission loses: `penalty` (a fraction of the assignment's points) for every `per`
    (hour or day) begun after the due date, at most `cap` (a fraction of its points) in all."""
    penalty: float = 0.0
    per: str = "day"
    cap: float = 1.0

    def points_lost(self, seconds_late: float, points: float, score: float) -> float:
        """The penalty of a submission `seconds_late` after its due date (extension included) that
        scored `score` of `points`: never more than its score, 0 when it was on time."""
        if seconds_late <= 0 or self.penalty <= 0:
            return 0.0
        units = math.ceil(seconds_late / LATE_UNITS[self.per])
        return round(max(0.0, min(min(self.cap, self.penalty * units) * points, float(score))), 6)

    def describe(self) -> str:
        """'10% of the points per day begun, at most 50%', or 'no late penalty'."""
        if self.penalty <= 0:
            return "no late penalty"
        text = f"{_percent(self.penalty)} of the points per {self.per} begun late"
        return text + (f", at most {_percent(self.cap)}" if self.cap < 1 else "")


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 4):g}%"


@dataclass(frozen=True)
class Assignment:
    id: str                          # "a04_lstm_gru": exercises/<id>/<id>.ipynb
    title: str
    practises: tuple[Chapter, ...]
    points: float
    needs: str                       # "numpy" or "tensorflow"
    data: tuple[str, ...]            # files beside the notebook that it reads
    number: int                      # its position in course order, from 1
    due: datetime | None = None      # when it is due (timezone-aware); None: never late
    late_policy: LatePolicy = field(default_factory=LatePolicy)

    @property
    def notebook(self) -> str:
        return f"exercises/{self.id}/{self.id}.ipynb"

    @property
    def page(self) -> str:
        return f"assignments/{self.id}"

    @property
    def uses_tensorflow(self) -> bool:
        return self.needs == "tensorflow"


@dataclass(frozen=True)
class Course:
    chapters: tuple[Chapter, ...]
    reference: tuple[str, ...]
    assignments: tuple[Assignment, ...]
    late_policy: LatePolicy = field(default_factory=LatePolicy)  # the course's; an assignment may have its own

    def chapter(self, slug: str) -> Chapter:
        for chapter in self.chapters:
            if chapter.slug == slug:
                return chapter
        raise KeyError(f"no chapter {slug!r} in course.yml; known: {', '.join(c.slug for c in self.chapters)}")

    def assignment(self, assignment_id: str) -> Assignment:
        for assignment in self.assignments:
            if assignment.id == assignment_id:
                return assignment
        raise KeyError(f"no assignment {assignment_id!r} in course.yml; "
                       f"known: {', '.join(a.id for a in self.assignments)}")

    @property
    def assignment_ids(self) -> list[str]:
        return [a.id for a in self.assignments]

    def practised_by(self, slug: str) -> list[Assignment]:
        """The assignments that practise the chapter `slug`, in course order."""
        return [a for a in self.assignments if any(c.slug == slug for c in a.practises)]

    def toc(self) -> dict:
        """The Jupyter Book table of contents this manifest implies (what _toc.yml must say)."""
        return {
            "format": "jb-book",
            "root": "intro",
            "parts": [
                {"caption": "Chapters", "numbered": True, "chapters": [{"file": c.slug} for c in self.chapters]},
                {"caption": "Reference", "chapters": [{"file": slug} for slug in self.reference]},
                {"caption": "Assignments", "chapters": [{"file": a.page} for a in self.assignments]},
            ],
        }


def _require(entry: dict, key: str, kind: type, where: str):
    if key not in entry:
        raise ManifestError(f"course.yml: {where} has no `{key}`")
    value = entry[key]
    if not isinstance(value, kind):
        name = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise ManifestError(f"course.yml: {where}: `{key}` must be a {name}, got {value!r}")
    return value


def parse(data: dict) -> Course:
    """A Course from the parsed YAML of a manifest; ManifestError naming the first problem."""
    if not isinstance(data, dict):
        raise ManifestError("course.yml must be a mapping with `chapters` and `assignments`")
    chapters: list[Chapter] = []
    for i, entry in enumerate(_require(data, "chapters", list, "the manifest"), start=1):
        where = f"chapter {i}"
        slug = _require(entry, "slug", str, where)
        if not CHAPTER_SLUG.fullmatch(slug):
            raise ManifestError(f"course.yml: {where}: slug {slug!r} is not of the form chapters/NN_topic")
        if any(c.slug == slug for c in chapters):
            raise ManifestError(f"course.yml: chapter {slug!r} is listed twice")
        chapters.append(Chapter(slug, _require(entry, "title", str, where), i))
    slugs = [c.slug for c in chapters]
    if slugs != sorted(slugs):
        raise ManifestError(f"course.yml: chapter slugs must sort in reading order, got {slugs}")
    by_slug = {c.slug: c for c in chapters}
    reference = tuple(_require(e, "slug", str, "a reference page") for e in data.get("reference") or [])
    course_policy = parse_late_policy(data.get("late_policy"), "the course")
    assignments: list[Assignment] = []
    for i, entry in enumerate(_require(data, "assignments", list, "the manifest"), start=1):
        aid = _require(entry, "id", str, f"assignment {i}")
        where = f"assignment {aid}"
        match = ASSIGNMENT_ID.fullmatch(aid)
        if not match:
            raise ManifestError(f"course.yml: {where}: id must be aNN_topic (two digits, lower case)")
        if int(match.group(1)) != i:
            raise ManifestError(f"course.yml: {where} is entry {i}: its number must be {i:02d}, "
                                "so that ids sort in course order")
        practised = []
        for slug in _require(entry, "practises", list, where):
            if slug not in by_slug:
                raise ManifestError(f"course.yml: {where} practises {slug!r}, which is not a chapter; "
                                    f"known: {', '.join(slugs)}")
            practised.append(by_slug[slug])
        if not practised:
            raise ManifestError(f"course.yml: {where} practises no chapter")
        needs = _require(entry, "needs", str, where)
        if needs not in NEEDS:
            raise ManifestError(f"course.yml: {where}: needs must be one of {NEEDS}, got {needs!r}")
        points = _require(entry, "points", (int, float), where)
        data_files = tuple(_require(entry, "data", list, where))
        due = parse_due(entry.get("due"), where)
        policy = parse_late_policy(entry["late_policy"], where) if "late_policy" in entry else course_policy
        assignments.append(Assignment(aid, _require(entry, "title", str, where), tuple(practised),
                                      float(points), needs, data_files, i, due, policy))
    return Course(tuple(chapters), reference, tuple(assignments), course_policy)


def parse_due(value, where: str) -> datetime | None:
    """A due date with its UTC offset: "2026-09-21 23:59 +09:00" (or YAML's own timestamp); None if absent."""
    if value is None:
        return None
    if isinstance(value, datetime):
        due = value
    elif isinstance(value, str):
        text = re.sub(r"\s+(?=[+-]\d{2}:?\d{2}$)", "", value.strip()).replace("Z", "+00:00")
        try:
            due = datetime.fromisoformat(text)
        except ValueError:
            raise ManifestError(f"course.yml: {where}: due {value!r} is not a date and time like "
                                "\"2026-09-21 23:59 +09:00\"") from None
    else:
        raise ManifestError(f"course.yml: {where}: due must be a date and time like \"2026-09-21 23:59 +09:00\", "
                            f"got {value!r}")
    if due.tzinfo is None:
        raise ManifestError(f"course.yml: {where}: due {value!s} has no UTC offset; write it with one, "
                            f"e.g. \"{due:%Y-%m-%d %H:%M} +09:00\" for Seoul")
    return due.astimezone(timezone.utc)


def parse_late_policy(value, where: str) -> LatePolicy:
    """`none`, or a mapping {penalty: "10%", per: hour|day, cap: "50%"} (cap optional: 100%)."""
    if value is None or value == "none":
        return LatePolicy()
    if not isinstance(value, dict):
        raise ManifestError(f"course.yml: {where}: late_policy must be `none` or a mapping with penalty, per "
                            f"and cap, got {value!r}")
    unknown = set(value) - {"penalty", "per", "cap"}
    if unknown:
        raise ManifestError(f"course.yml: {where}: late_policy has unknown keys {sorted(unknown)} "
                            "(it takes penalty, per, cap)")
    penalty = _fraction(value.get("penalty", "0%"), "penalty", where)
    cap = _fraction(value.get("cap", "100%"), "cap", where)
    per = value.get("per", "day")
    if per not in LATE_UNITS:
        raise ManifestError(f"course.yml: {where}: late_policy per must be one of {', '.join(LATE_UNITS)}, got {per!r}")
    return LatePolicy(penalty, per, cap)


def _fraction(value, key: str, where: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", str(value))
    if not match or float(match.group(1)) > 100:
        raise ManifestError(f"course.yml: {where}: late_policy {key} must be a percentage from 0% to 100% "
                            f"(\"10%\"), got {value!r}")
    return float(match.group(1)) / 100


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> Course:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ManifestError(f"{path} is not valid YAML: {err}") from None
    return parse(data)


def load(path: Path | str = MANIFEST) -> Course:
    """The course described by `path` (default: this repository's course.yml)."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"no course manifest at {path}")
    return _load(path.resolve(), path.stat().st_mtime_ns)
