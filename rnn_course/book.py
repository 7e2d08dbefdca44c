"""Sphinx extension: the book's pages read the course manifest (course.yml) instead of typing it.

Registered in _config.yml's `sphinx.config.extensions` as `rnn_course.book`. It provides:

``{assignment-header}``
    On an assignment page, the **Practises:** line (a ``{doc}`` link to every chapter the manifest
    says the assignment practises, with the chapter's number in the book) and the **Needs:** line.
    Content given to the directive follows them as a paragraph.
``{assignment-downloads}``
    The student notebook (``release/<id>/<id>.ipynb``) and the data files the manifest lists, as
    ``{download}`` links (a file `make release` did not produce fails the build), then the content.
    In the Korean build they link ``release/ko/<id>/`` instead (the `KoreanDownloads` transform).
``{practise-it}``
    At the end of a chapter, "Practise it in <the assignments that practise this chapter>." from
    ``Course.practised_by(slug)``; or the directive's content, which must then link each of them.

and one transform: an assignment page's heading becomes "Assignment N: <title>", N being the
assignment's position in course.yml, so no page types its own number. The heading written on an
assignment or chapter page must be the title course.yml gives it (a warning otherwise, which
`jupyter-book build -W` makes an error), and every chapter's number in the built book must be its
position in course.yml.

Everything generated is Markdown parsed by MyST, so a generated ``{doc}`` to a page that does not
exist fails the build like a typed one. A book without course.yml in its source directory (the
throwaway book tests/test_book.py builds) is left alone.
"""

from __future__ import annotations

from pathlib import Path

import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .manifest import Assignment, Chapter, Course, ManifestError, load

logger = logging.getLogger(__name__)
MANIFEST_NAME = "course.yml"
# "Assignment N: " before an assignment page's heading, in the language of the build (the Korean
# edition's headings are translated by Sphinx before this prefix is added; see rnn_course/i18n.py)
ASSIGNMENT_PREFIX = {"en": "Assignment {number}: ", "ko": "과제 {number}: "}
NEEDS_TEXT = {
    "numpy": "numpy (or plain Python) only; no Keras or TensorFlow.",
    "tensorflow": "Keras 3 with its TensorFlow backend.",
}


def course_of(env: BuildEnvironment) -> Course | None:
    """The manifest of the book being built (course.yml in its source directory), or None."""
    path = Path(env.srcdir) / MANIFEST_NAME
    return load(path) if path.is_file() else None


def chapter_link(chapter: Chapter) -> str:
    """'chapter N, *{doc}`/chapters/NN_topic`*', N being the chapter's position in course.yml."""
    return f"chapter {chapter.number}, *{{doc}}`/{chapter.slug}`*"


def assignment_link(assignment: Assignment) -> str:
    """A {doc} link to the assignment's page, in italics: it renders the title, "Assignment N: ..."."""
    return f"*{{doc}}`/{assignment.page}`*"


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'; with commas inside the items, semicolons between them."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        comma = "," if any("," in item for item in items) else ""
        return f"{items[0]}{comma} and {items[1]}"
    separator = "; " if any("," in item for item in items) else ", "
    return separator.join(items[:-1]) + f"{separator.strip()} and {items[-1]}"


class _CourseDirective(SphinxDirective):
    """Common ground: the manifest, noted as a dependency of the page that uses it."""

    def course(self) -> Course:
        course = course_of(self.env)
        if course is None:
            raise self.error(f"{{{self.name}}} needs {MANIFEST_NAME} in the book's source directory")
        self.env.note_dependency(str(Path(self.env.srcdir) / MANIFEST_NAME))
        return course

    def page_assignment(self) -> Assignment:
        """The assignment this page is (assignments/<id>), checked against the argument if given."""
        course = self.course()
        page_id = self.env.docname.rsplit("/", 1)[-1]
        wanted = self.arguments[0] if self.arguments else page_id
        try:
            assignment = course.assignment(wanted)
        except KeyError as err:
            raise self.error(str(err.args[0])) from None
        if assignment.page != self.env.docname:
            raise self.error(f"{{{self.name}}} {wanted} is on {self.env.docname}, "
                             f"but that assignment's page is {assignment.page}")
        return assignment

    def parse_markdown(self, text: str) -> list[nodes.Node]:
        """`text` parsed as MyST Markdown, in a <div class="<directive name>"> (for styles and tests)."""
        container = nodes.container(classes=[self.name])
        self.set_source_info(container)
        self.state.nested_parse(StringList(text.splitlines(), source=self.env.docname),
                                self.content_offset, container)
        return [container]


class AssignmentHeader(_CourseDirective):
    """**Practises:** and **Needs:** of an assignment page, from course.yml."""

    optional_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        assignment = self.page_assignment()
        practises = join_words([chapter_link(c) for c in assignment.practises])
        text = f"**Practises:** {practises}.\\\n**Needs:** {NEEDS_TEXT[assignment.needs]}"
        return self.parse_markdown("\n\n".join([text, *(["\n".join(self.content)] if self.content else [])]))


class AssignmentDownloads(_CourseDirective):
    """The released student notebook and the data files course.yml lists for it, then the content."""

    optional_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        assignment = self.page_assignment()
        release = f"../release/{assignment.id}"
        text = f"{{download}}`Download the student notebook <{release}/{assignment.id}.ipynb>`"
        if assignment.data:
            files = join_words([f"{{download}}`{name} <{release}/{name}>`" for name in assignment.data])
            it = "it" if len(assignment.data) == 1 else "them"
            text += f" and the data it reads, {files} (put {it} next to the notebook)"
        return self.parse_markdown("\n".join([text + ".", *self.content]))


class PractiseIt(_CourseDirective):
    """Where to practise the chapter this page is: the assignments course.yml says practise it.

    Without content: "Practise it in <a link to each of them>." With content, the content is said
    instead, and it must link (``{doc}`/assignments/<id>```) every assignment that practises the
    chapter, so that prose written by hand still cannot leave one out when course.yml changes.
    """

    has_content = True

    def run(self) -> list[nodes.Node]:
        course = self.course()
        try:
            chapter = course.chapter(self.env.docname)
        except KeyError as err:
            raise self.error(f"{{{self.name}}} is only for chapters: {err.args[0]}") from None
        assignments = course.practised_by(chapter.slug)
        if not self.content:
            if not assignments:
                raise self.error(f"no assignment practises {chapter.slug} in {MANIFEST_NAME}: "
                                 f"give {{{self.name}}} content saying where to practise it")
            return self.parse_markdown(
                f"Practise it in {join_words([assignment_link(a) for a in assignments])}.")
        text = "\n".join(self.content)
        missing = [a.id for a in assignments if f"`/{a.page}`" not in text and f"</{a.page}>`" not in text]
        if missing:
            raise self.error(f"{MANIFEST_NAME} says {', '.join(missing)} practise(s) {chapter.slug}, but this "
                             f"{{{self.name}}} does not link it: add {{doc}}`/assignments/<id>`")
        return self.parse_markdown(text)


class CourseTitles(SphinxTransform):
    """Assignment pages get "Assignment N: " before their heading; headings must match course.yml."""

    default_priority = 200  # before the title and toctree collectors read the headings (doctree-read)

    def apply(self, **kwargs) -> None:
        course = course_of(self.env)
        section = next(iter(self.document.findall(nodes.section)), None)
        if course is None or section is None or not isinstance(section[0], nodes.title):
            return
        docname = self.env.docname
        title = section[0]
        written = title.astext()
        expected, prefix = None, ""
        if docname.startswith("assignments/"):
            try:
                assignment = course.assignment(docname.split("/", 1)[1])
            except KeyError as err:
                logger.warning(f"{docname} is not an assignment page: {err.args[0]}", location=title)
                return
            language = self.config.language or "en"
            prefix = ASSIGNMENT_PREFIX.get(language, ASSIGNMENT_PREFIX["en"]).format(number=assignment.number)
            expected = assignment.title
        elif any(c.slug == docname for c in course.chapters):
            expected = course.chapter(docname).title
        else:
            return
        self.env.note_dependency(str(Path(self.env.srcdir) / MANIFEST_NAME))
        # a translated build reads the heading in its language: the English build checks it against course.yml
        if written != expected and (self.config.language or "en") == "en":
            logger.warning(f"{docname}: the heading is {written!r} but {MANIFEST_NAME} titles it "
                           f"{expected!r}: make them the same", location=title)
        if prefix:
            title.insert(0, nodes.Text(prefix))


class KoreanDownloads(SphinxTransform):
    """In a Korean build, an assignment page's downloads are the Korean student notebook and its data
    (release/ko/<id>/, written by `make release` from the catalogues of the notebooks' prose).

    The page's message keeps the English path (so the English sentence and its translation stay one
    message); the link is changed here, after Sphinx has put the translation in (sphinx.transforms.i18n
    .Locale, priority 20) and before the download collector reads it (doctree-read). Where release/ko/
    has no such file (`make release KOREAN=off`), the English file stays linked and the page says so.
    """

    default_priority = 100

    def apply(self, **kwargs) -> None:
        language = self.config.language or "en"
        if language == "en" or not self.env.docname.startswith("assignments/"):
            return
        noted = set()
        for ref in self.document.findall(addnodes.download_reference):
            target = ref.get("reftarget", "")
            match = re.fullmatch(r"(\.\./release/)([\w-]+/[^/]+)", target)
            if not match:
                continue
            translated = f"{match.group(1)}{language}/{match.group(2)}"
            if (Path(self.env.srcdir) / "release" / language / match.group(2)).is_file():
                ref["reftarget"] = translated
            elif id(ref.parent) not in noted:
                noted.add(id(ref.parent))
                ref.parent += nodes.Text(f" {MISSING_TRANSLATION.get(language, '')}")
                logger.info(f"{self.env.docname}: no release/{language}/{match.group(2)}: linking the English one")


MISSING_TRANSLATION = {"ko": "(한국어 학생 노트북은 아직 준비되지 않아 영어 노트북을 연결합니다.)"}


def check_chapter_numbers(app: Sphinx, env: BuildEnvironment) -> None:
    """Each chapter's number in the built book (the numbered toctree) is its position in course.yml."""
    try:
        course = course_of(env)
    except ManifestError as err:
        logger.warning(str(err))
        return
    if course is None:
        return
    for chapter in course.chapters:
        built = env.toc_secnumbers.get(chapter.slug, {}).get("")
        if built != (chapter.number,):
            shown = ".".join(map(str, built)) if built else "no number"
            logger.warning(f"{chapter.slug} is chapter {chapter.number} in {MANIFEST_NAME} but the book "
                           f"numbers it {shown}: regenerate _toc.yml (make toc)")


def setup(app: Sphinx) -> dict:
    app.add_directive("assignment-header", AssignmentHeader)
    app.add_directive("assignment-downloads", AssignmentDownloads)
    app.add_directive("practise-it", PractiseIt)
    app.add_transform(CourseTitles)
    app.add_transform(KoreanDownloads)
    app.connect("env-check-consistency", check_chapter_numbers)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
