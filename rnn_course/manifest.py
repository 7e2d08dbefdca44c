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

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "course.yml"
ASSIGNMENT_ID = re.compile(r"a(\d{2})_[a-z0-9_]+")
CHAPTER_SLUG = re.compile(r"chapters/(\d{2})_[a-z0-9_]+")
NEEDS = ("numpy", "tensorflow")


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
class Assignment:
    id: str                          # "a04_lstm_gru": exercises/<id>/<id>.ipynb
    title: str
    practises: tuple[Chapter, ...]
    points: float
    needs: str                       # "numpy" or "tensorflow"
    data: tuple[str, ...]            # files beside the notebook that it reads
    number: int                      # its position in course order, from 1

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
        assignments.append(Assignment(aid, _require(entry, "title", str, where), tuple(practised),
                                      float(points), needs, data_files, i))
    return Course(tuple(chapters), reference, tuple(assignments))


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
