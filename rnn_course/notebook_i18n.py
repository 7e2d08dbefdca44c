"""The student notebooks in Korean: their prose in catalogues beside the book's, and translated releases.

The prose of each exercise notebook (the markdown cells of exercises/<id>/<id>.ipynb) is extracted into
_build/gettext/exercises/<id>.pot, which `python -m rnn_course i18n update` (`make locales`) merges into
locales/ko/LC_MESSAGES/exercises/<id>.po with the book's catalogues, the same way (sphinx-intl's update:
a new sentence is a new empty message, a changed one keeps its old translation marked fuzzy, a removed
one is kept as obsolete).

One message per markdown block: a paragraph, a heading (without its #), a list item (without its
marker), a table row (the delimiter row is not one). Fenced and indented code, display math, rules
and blocks with no words outside code and math are not messages; they are kept as they are. Neither
are code cells, outputs, and the written-answer cells a student fills (nbgrader `solution: true`).
A block is replaced by its translation where it stood, so everything between the blocks (blank lines,
code, math) stays byte for byte.

`translate_notebook` makes the Korean student notebook from the English release: every cell, id,
nbgrader metadata and code cell as released, markdown translated, and metadata.rnn_course.language =
"ko". Strict by default: a message that is untranslated, fuzzy or missing from the catalogue raises
`Untranslated`, naming the catalogue and the msgid, so no English ships as Korean.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

LANGUAGE = "ko"
PROJECT = "rnn-course"
CATALOGUE_FOLDER = "exercises"  # locales/ko/LC_MESSAGES/exercises/<id>.po, _build/gettext/exercises/<id>.pot

_LIST_MARKER = re.compile(r"^(\s*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$))")
_HEADING = re.compile(r"^(\s{0,3}#{1,6}[ \t]+)(.*?)([ \t]+#+)?[ \t]*$")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
# what is not prose: code spans, math, link targets, HTML tags
_NOT_PROSE = re.compile(r"`+[^`]*`+|\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]|\]\([^)]*\)|<[^>]*>", re.S)


class Untranslated(Exception):
    """Messages of a notebook with no usable translation: [(catalogue, msgid, why), ...]."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines, shown = [], {}
        for catalogue, msgid, why in problems:  # the first ten of each catalogue, then how many more
            shown[catalogue] = shown.get(catalogue, 0) + 1
            if shown[catalogue] <= self.SHOWN:
                lines.append(f"{catalogue}: {why}: msgid {msgid[:100]!r}")
        lines += [f"{catalogue}: and {count - self.SHOWN} more" for catalogue, count in shown.items()
                  if count > self.SHOWN]
        super().__init__(f"{len(problems)} message(s) of the student notebooks have no Korean translation "
                         "(translate them in the catalogue and remove `fuzzy`):\n  " + "\n  ".join(lines))

    SHOWN = 10


@dataclass(frozen=True)
class Block:
    """One message of a markdown cell: lines [start, end) of the source, the text translators see, and
    the prefix (a heading's #, a list item's marker) put back before the translation."""

    start: int
    end: int
    text: str
    prefix: str = ""
    indent: int = 0  # continuation lines of a list item are indented by this much


def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)


def _is_prose(text: str) -> bool:
    return any(ch.isalpha() for ch in _NOT_PROSE.sub(" ", text))


def _trim(lines: list[str], start: int, end: int) -> int:
    """`end` without the blank lines at the end of [start, end)."""
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def blocks(source: str) -> list[Block]:
    """The messages of a markdown cell's source, in order (see the module docstring)."""
    lines = source.split("\n")
    tokens = _parser().parse(source)
    found: list[Block] = []
    for token in tokens:
        if token.map is None or token.nesting < 0:
            continue
        start, end = token.map
        end = _trim(lines, start, end)
        if token.level == 0 and token.type == "heading_open":
            m = _HEADING.match(lines[start])
            if m and end == start + 1:
                found.append(Block(start, end, m.group(2), m.group(1)))
            else:  # a setext heading: its lines as they are
                found.append(Block(start, end - 1, "\n".join(lines[start:end - 1])))
        elif token.level == 0 and token.type in ("paragraph_open", "blockquote_open", "html_block"):
            found.append(Block(start, end, "\n".join(lines[start:end])))
        elif token.level == 0 and token.type == "table_open":
            for row in range(start, end):
                if not _TABLE_DELIMITER.match(lines[row]):
                    found.append(Block(row, row + 1, lines[row].strip()))
        elif token.type == "list_item_open" and token.level == 1:  # an item of a top-level list
            m = _LIST_MARKER.match(lines[start])
            prefix = m.group(1) if m else ""
            width = len(prefix)
            body = [lines[start][width:]] + [line[width:] if line[:width].strip() == "" else line.lstrip()
                                             for line in lines[start + 1:end]]
            found.append(Block(start, end, "\n".join(body), prefix, width))
        # code (fence, code_block), display math (math_block), rules (hr): not messages
    return [b for b in found if b.text.strip() and _is_prose(b.text)]


def messages_of_cell(cell: dict) -> list[str]:
    """The msgids of one cell: its markdown blocks, none for code, raw or a student's written answer."""
    if not translatable(cell):
        return []
    return [b.text for b in blocks(_source(cell))]


def translatable(cell: dict) -> bool:
    """A markdown cell that is not a student's answer (nbgrader solution cells are the student's)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "markdown" and not meta.get("solution")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def translate_markdown(source: str, lookup) -> str:
    """`source` with every message replaced by `lookup(msgid)` (None keeps the English block)."""
    lines = source.split("\n")
    out: list[str] = []
    position = 0
    for block in blocks(source):
        out.extend(lines[position:block.start])
        position = block.end
        translated = lookup(block.text)
        if translated is None:
            out.extend(lines[block.start:block.end])
            continue
        new = translated.split("\n")
        out.append(block.prefix + new[0])
        out.extend((" " * block.indent + line) if line.strip() else line for line in new[1:])
    out.extend(lines[position:])
    return "\n".join(out)


# ------------------------------------------------------------------ catalogues

def catalogue_path(root: Path, assignment: str) -> Path:
    return Path(root) / "locales" / LANGUAGE / "LC_MESSAGES" / CATALOGUE_FOLDER / f"{assignment}.po"


def source_notebook(root: Path, assignment: str) -> Path:
    return Path(root) / "exercises" / assignment / f"{assignment}.ipynb"


def template(root: Path, assignment: str):
    """The babel catalogue (a .pot) of one exercise notebook's messages."""
    import nbformat
    from babel.messages.catalog import Catalog

    catalog = Catalog(project=PROJECT, fuzzy=False)
    notebook = nbformat.read(source_notebook(root, assignment), as_version=4)
    where = f"exercises/{assignment}/{assignment}.ipynb"
    for index, cell in enumerate(notebook.cells):
        name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id") or str(index)
        for text in messages_of_cell(cell):
            catalog.add(text, locations=[(where, index + 1)], auto_comments=[f"cell {name}"])
    return catalog


def write_templates(root: Path, pot_dir: Path, assignments: list[str] | None = None) -> list[Path]:
    """_build/gettext/exercises/<id>.pot for every exercise notebook (rewritten only when its messages change)."""
    from babel.messages.pofile import read_po, write_po

    from .manifest import load

    root = Path(root)
    ids = assignments or [a.id for a in load(root / "course.yml").assignments
                          if source_notebook(root, a.id).is_file()]
    written = []
    for assignment in ids:
        path = Path(pot_dir) / CATALOGUE_FOLDER / f"{assignment}.pot"
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = template(root, assignment)
        if path.is_file():
            with path.open("rb") as f:
                old = read_po(f)
            if [(m.id, m.locations, m.auto_comments) for m in old] == \
                    [(m.id, m.locations, m.auto_comments) for m in catalog]:
                written.append(path)
                continue
        with path.open("wb") as f:
            write_po(f, catalog, width=76)
        written.append(path)
    return written


def update(root: Path, assignments: list[str] | None = None) -> list[Path]:
    """Extract the notebooks' messages and update only their catalogues, as `sphinx-intl update` does
    (what `python -m rnn_course i18n update` does for them too, without building the book)."""
    import tempfile

    from sphinx_intl.basic import update as intl_update

    with tempfile.TemporaryDirectory() as pot_dir:
        pots = write_templates(root, Path(pot_dir), assignments)
        intl_update(str(Path(root) / "locales"), pot_dir, (LANGUAGE,), jobs=1)
    return [catalogue_path(root, p.stem) for p in pots]


def read_catalogue(path: Path):
    from babel.messages.pofile import read_po

    with Path(path).open("rb") as f:
        return read_po(f)


def lookup_in(catalog, *, strict: bool, name: str, problems: list | None = None):
    """msgid -> its translation. Not strict: None (English stays) when there is none or it is fuzzy.
    Strict: the msgid is appended to `problems` as (catalogue, msgid, why)."""

    def lookup(msgid: str) -> str | None:
        message = catalog.get(msgid) if catalog is not None else None
        if message is not None and message.string and not message.fuzzy:
            return str(message.string)
        if strict and problems is not None:
            why = ("not in the catalogue (run make locales)" if message is None
                   else "fuzzy" if message.string else "untranslated")
            problems.append((name, msgid, why))
        return None

    return lookup


def translate_notebook(notebook: dict, catalog, *, strict: bool = True, name: str = "") -> dict:
    """The Korean notebook: `notebook` (an English release) with its markdown translated from `catalog`
    and metadata.rnn_course.language = "ko"; everything else as it is. Strict: raise Untranslated."""
    problems: list[tuple[str, str, str]] = []
    lookup = lookup_in(catalog, strict=strict, name=name, problems=problems)
    translated = copy.deepcopy(notebook)
    for cell in translated["cells"]:
        if translatable(cell):
            cell["source"] = translate_markdown(_source(cell), lookup)
    if problems:
        raise Untranslated(problems)
    translated.setdefault("metadata", {}).setdefault("rnn_course", {})["language"] = LANGUAGE
    return translated


def language_of(notebook) -> str:
    """The language a student notebook says it is in ("en" when it says nothing)."""
    return (notebook.get("metadata", {}).get("rnn_course", {}) or {}).get("language") or "en"


def retranslate(notebook, catalogue: Path) -> None:
    """Translate again, in place, the markdown of a Korean notebook where grading put the English back
    (nbgrader's OverwriteCells restores locked cells from the English source). Not strict: a message
    without a translation stays as it is; a student's own cells have no English msgid and stay too."""
    if language_of(notebook) != LANGUAGE or not Path(catalogue).is_file():
        return
    lookup = lookup_in(read_catalogue(catalogue), strict=False, name=str(catalogue))
    for cell in notebook["cells"]:
        if translatable(cell):
            cell["source"] = translate_markdown(_source(cell), lookup)


def stats(root: Path) -> list[dict]:
    """Per exercise notebook: messages and English words (from its source notebook)."""
    from .manifest import load

    rows = []
    for a in load(Path(root) / "course.yml").assignments:
        if source_notebook(root, a.id).is_file():
            ids = [m.id for m in template(root, a.id) if m.id]
            rows.append({"assignment": a.id, "messages": len(ids), "words": sum(len(i.split()) for i in ids)})
    return rows
