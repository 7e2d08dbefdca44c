"""Feedback a student can read: it names the mistake, never reveals the hidden tests, works offline.

Stock nbgrader restores hidden tests into the autograded notebook, so its feedback HTML shows their
source, and a failing hidden test's traceback shows the frames of the check code. `HideHiddenTests`
runs in `nbgrader generate_feedback` (see nbgrader_config.py): it removes the hidden region from
every test cell's source and reduces the error output of cells that held hidden tests to the
exception's one-line message, which the checks write for students.

`CachedHTMLExporter` (the exporter nbgrader's GenerateFeedback runs for the course) writes one
self-contained page: its math converted to MathML when the page is generated (Chromium, Firefox and
Safari draw MathML with no script), long messages wrapped, and a table of every part's score and
the total at the top, with a place for lines that change the total (a late penalty).
"""

from __future__ import annotations

import copy
import html as html_escape
import re
from pathlib import Path

from jinja2 import BytecodeCache, pass_context
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath, MathInlineParser
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode
from latex2mathml.converter import convert as latex_to_mathml
from rnn_course.notebook_i18n import language_of

HIDDEN_NOTE = "# (hidden tests run here when your notebook is graded; their result is shown below)"


def strip_hidden_region(source: str, begin: str, end: str) -> tuple[str, bool]:
    """Return `source` with every begin/end-delimited region replaced by one note line."""
    kept, inside, found = [], False, False
    for line in source.splitlines():
        if begin in line:
            inside, found = True, True
            kept.append(HIDDEN_NOTE)
            continue
        if end in line and inside:
            inside = False
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept), found


class HideHiddenTests(Preprocessor):
    """Remove hidden-test source and hidden-test tracebacks from an autograded notebook."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when it is enabled").tag(config=True)
    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        source, had_hidden = strip_hidden_region(cell.source, self.begin_test_delimeter,
                                                 self.end_test_delimeter)
        if had_hidden:
            cell.source = source
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


_EXTERNAL = re.compile(
    r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>"   # <script src="https://...">
    r"|<link[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>",             # <link href="https://...">
    re.IGNORECASE)


def offline_html(text: str) -> str:
    """Feedback a student can open offline: no script or stylesheet is loaded from the internet.

    nbgrader's feedback template loads MathJax from a CDN (its `mathjax()` macro ignores
    HTMLExporter.mathjax_url). Without it, equations stay readable as their LaTeX source.
    """
    return _EXTERNAL.sub("<!-- external resource removed: feedback works offline -->", text)


# A command latex2mathml does not know comes out as an identifier spelled with its backslash, and an
# environment it does not align (aligned, for one) keeps its column separators as identifiers.
_UNKNOWN_COMMAND = re.compile(r">\\[A-Za-z]+<|<mi>&(amp;)?</mi>")


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """`tex` as a MathML <math> element, which browsers render with no script and no network.

    A formula latex2mathml cannot convert, or converts only by spelling an unknown command out, is
    shown as its TeX source in a <code class="tex"> element instead: readable, never a broken page.
    """
    try:
        mathml = latex_to_mathml(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on TeX it cannot parse
        mathml = ""
    if not mathml or _UNKNOWN_COMMAND.search(mathml):
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html_escape.escape(delimiter + tex + delimiter, quote=False)}</code>'
    return mathml


class JupyterMathInlineParser(MathInlineParser):
    r"""nbconvert's math parser, also taking \(...\) and \[...\] with one backslash, as Jupyter does.

    nbconvert finds only \\(...\\) and \\[...\\] (markdown reads one backslash before a bracket as
    an escape, so stock feedback shows "(x)" where the notebook showed the formula x).
    """

    INLINE_MATH_JUPYTER = r"(?<!\\)\\\((?P<math_inline_jupyter>(?s:.+?))(?<!\\)\\\)"
    BLOCK_MATH_JUPYTER = r"(?<!\\)\\\[(?P<math_block_jupyter>(?s:.+?))(?<!\\)\\\]"
    SPECIFICATION = {**MathInlineParser.SPECIFICATION, "inline_math_jupyter": INLINE_MATH_JUPYTER,
                     "block_math_jupyter": BLOCK_MATH_JUPYTER}
    DEFAULT_RULES = ("block_math_tex", "block_math_latex", "block_math_jupyter", "inline_math_tex",
                     "inline_math_latex", "inline_math_jupyter",
                     *(rule for rule in MathInlineParser.DEFAULT_RULES
                       if rule not in ("block_math_tex", "block_math_latex", "inline_math_tex", "inline_math_latex")))

    def parse_block_math_jupyter(self, m, state) -> int:
        state.append_token({"type": "block_math", "raw": m.group("math_block_jupyter")})
        return m.end()

    def parse_inline_math_jupyter(self, m, state) -> int:
        state.append_token({"type": "inline_math", "raw": m.group("math_inline_jupyter")})
        return m.end()


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with its math written as MathML instead of TeX left for MathJax.

    nbconvert's math parser (MarkdownWithMath) finds $...$, $$...$$, \\(...\\), \\[...\\] and
    \\begin{env}...\\end{env} outside code spans and code blocks; IPythonRenderer writes each back
    with its delimiters for MathJax to typeset in the browser. Here they are converted at once.
    """

    def inline_math(self, body: str) -> str:
        return tex_to_mathml(body)

    def block_math(self, body: str) -> str:
        return tex_to_mathml(body, display=True)

    def latex_environment(self, name: str, body: str) -> str:
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


# Long lines of an error or a printed message wrap inside the page instead of running off it
# (the classic template scrolls them sideways); MathML display formulas that are too wide scroll.
FEEDBACK_CSS = """<style type="text/css">
div.output_area pre, div.output_subarea pre, div.output pre, .feedback-summary td {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
}
div.output_subarea { overflow-x: visible; }
math[display="block"] { display: block math; margin: 0.5em 0; overflow-x: auto; max-width: 100%; }
code.tex { white-space: pre-wrap; overflow-wrap: anywhere; }
table.feedback-summary { margin: 0.5em 0 1em; border-collapse: collapse; }
table.feedback-summary th, table.feedback-summary td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; }
table.feedback-summary td.points, table.feedback-summary th.points { text-align: right; }
table.feedback-summary tfoot td { font-weight: bold; border-bottom: none; }
</style>
"""

# The page's words in the language of the student's notebook (metadata.rnn_course.language, which the
# Korean release sets): the score table's, and nbgrader's feedback template's (replaced in the page)
LABELS = {
    "en": {"part": "Part", "kind": "Kind", "score": "Score", "total": "Total", "awaiting": "awaiting grading",
           "test": "test", "code": "code answer", "written": "written answer", "task": "task",
           "late": "Late submission penalty",
           "provisional": "Provisional total: {points} points are awaiting grading by your instructor and "
                          "not counted yet"},
    "ko": {"part": "부분", "kind": "종류", "score": "점수", "total": "합계", "awaiting": "채점 대기 중",
           "test": "테스트", "code": "코드 답안", "written": "서술형 답안", "task": "과제",
           "late": "지각 제출 감점",
           "provisional": "잠정 합계: {points}점은 강사의 채점을 기다리고 있어 아직 합계에 들어 있지 않습니다"},
}
# nbgrader's feedback template (formgrader/templates/feedback/index.html.j2), fragment by fragment
TEMPLATE_KO = [
    ('">Test cell</a> (Score: ', '">테스트 셀</a> (점수: '),
    ('">Coding free-response</a> (Score: ', '">코드 답안</a> (점수: '),
    ('">Written response</a> (Score: ', '">서술형 답안</a> (점수: '),
    ('">Task</a> (Score: ', '">과제</a> (점수: '),
    ('">Comment</a></li>', '">의견</a></li>'),
    ('<li class="late-penalty">Late submission penalty (Score: ', '<li class="late-penalty">지각 제출 감점 (점수: '),
    ('<span class="nbgrader-label">Student\'s answer</span>', '<span class="nbgrader-label">학생의 답</span>'),
    ('<span class="nbgrader-label">Student\'s task</span>', '<span class="nbgrader-label">학생의 과제</span>'),
    ('<span class="nbgrader-label">Grade cell: <code>', '<span class="nbgrader-label">채점 셀: <code>'),
    ('<span class="nbgrader-label">Task: <code>', '<span class="nbgrader-label">과제: <code>'),
    ('<a href="#top">(Top)</a>', '<a href="#top">(맨 위로)</a>'),
    ('<b>Comments:</b>', '<b>의견:</b>'),
]
_TEMPLATE_SCORE = re.compile(r'(<span class="pull-right">\s*)Score: ')  # each graded cell's heading
_TEMPLATE_TITLE = re.compile(r'(<div class="panel-heading">\s*<h4>[^<]*\()Score: ')  # the notebook's heading


def _points(value) -> str:
    """A score as a student reads it: 2, 1.5, 0.33."""
    return f"{round(float(value or 0), 2):g}"


AWAITING = LABELS["en"]["awaiting"]


def summary_table(nb, resources: dict, waiting: frozenset = frozenset(), language: str = "en",
                  late: tuple | None = None) -> str:
    """The score of every graded part (its grade_id, what it is, score / points) and the total.

    Rows are the notebook's graded cells in order, as nbgrader's GetGrades left their scores in the
    metadata. A part in `waiting` (its grade still needs a person) says "awaiting grading", never 0.
    The <tbody class="adjustments"> holds the lines that change the total after the parts: nbgrader's
    late penalty when it is not zero, and, while parts wait, a line saying the total is provisional.
    `late`: (seconds late, due date) when the caller read them from the gradebook (`gradebook_facts`).
    """
    words = LABELS.get(language, LABELS["en"])
    rows, waiting_points = [], 0.0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not (meta.get("grade") or meta.get("task")):
            continue
        if meta.get("task"):
            kind = "task"
        elif not meta.get("solution"):
            kind = "test"
        else:
            kind = "code" if cell.cell_type == "code" else "written"
        gid = html_escape.escape(str(meta.get("grade_id", "")))
        if meta.get("grade_id") in waiting:
            waiting_points += float(meta.get("points") or 0)
            score = f'{words["awaiting"]} / {_points(meta.get("points"))}'
        else:
            score = f'{_points(meta.get("score"))} / {_points(meta.get("points"))}'
        rows.append(f'<tr><td><a href="#{gid}"><code>{gid}</code></a></td><td>{words[kind]}</td>'
                    f'<td class="points">{score}</td></tr>')
    grades = resources.get("nbgrader", {})
    adjustments = []
    if float(grades.get("late_penalty") or 0) > 0:
        from .deadlines import late_line

        why = late_line(resources, language, late)
        why = f'<br><span class="late-detail">{html_escape.escape(why)}</span>' if why else ""
        adjustments.append(f'<tr class="late-penalty"><td colspan="2">{words["late"]}{why}</td>'
                           f'<td class="points">-{_points(grades["late_penalty"])}</td></tr>')
    if waiting_points:
        provisional = words["provisional"].format(points=_points(waiting_points))
        adjustments.append(f'<tr class="awaiting-grading"><td colspan="2">{provisional}</td>'
                           f'<td class="points"></td></tr>')
    return (f'<table class="feedback-summary">\n<thead><tr><th>{words["part"]}</th><th>{words["kind"]}</th>'
            f'<th class="points">{words["score"]}</th></tr></thead>\n'
            f'<tbody class="parts">{"".join(rows)}</tbody>\n'
            f'<tbody class="adjustments">{"".join(adjustments)}</tbody>\n'
            f'<tfoot><tr class="total"><td colspan="2">{words["total"]}</td><td class="points">'
            f'{_points(grades.get("score"))} / {_points(grades.get("max_score"))}</td></tr></tfoot>\n</table>\n')


class RecordSummary(Preprocessor):
    """Last in the exporter's chain: keep the score table of the notebook as graded.

    The exporter's preprocessors (nbgrader's GetGrades among them) work on a copy of the notebook,
    so the scores of the parts exist only there; the table is made from that copy.
    """

    def preprocess(self, nb, resources):
        waiting, late = gradebook_facts(resources)
        resources["feedback_summary"] = summary_table(nb, resources, waiting, language_of(nb), late)
        return nb, resources


def gradebook_facts(resources: dict) -> tuple[frozenset, tuple | None]:
    """What the score table needs from nbgrader's gradebook, read with it opened once: the grade_ids of
    this notebook marked `needs_manual_grade`, and the submission's (seconds late, due date).

    GetGrades copies only each grade's score (0 for one nobody has graded) into the notebook, so the
    gradebook is asked, at the db_url and ids GenerateFeedback put in the resources. With no gradebook
    in the resources (an exporter run outside nbgrader) nothing waits and nothing is late.
    """
    ids = resources.get("nbgrader", {})
    if not all(ids.get(key) for key in ("db_url", "notebook", "assignment", "student")):
        return frozenset(), None
    from nbgrader.api import Gradebook, MissingEntry

    from .deadlines import lateness

    with Gradebook(ids["db_url"]) as gb:
        try:
            notebook = gb.find_submission_notebook(ids["notebook"], ids["assignment"], ids["student"])
        except MissingEntry:
            return frozenset(), None
        waiting = frozenset(grade.name for grade in notebook.grades if grade.needs_manual_grade)
        return waiting, lateness(gb, ids["assignment"], ids["student"])


def korean_page(html: str) -> str:
    """nbgrader's feedback template's words in Korean, and <html lang="ko">."""
    for english, korean in TEMPLATE_KO:
        html = html.replace(english, korean)
    html = _TEMPLATE_SCORE.sub(r"\1점수: ", html)
    html = _TEMPLATE_TITLE.sub(r"\1점수: ", html, count=1)
    return re.sub(r"<html(\s[^>]*)?>", lambda m: '<html lang="ko">' if "lang=" not in (m.group(0)) else
                  re.sub(r'lang="[^"]*"', 'lang="ko"', m.group(0)), html, count=1)


def course_root(resources: dict, config) -> Path | None:
    """The course being graded: where its gradebook is (as grading/deadlines.py finds it), else nbgrader's root."""
    db_url = resources.get("nbgrader", {}).get("db_url") or ""
    if db_url.startswith("sqlite:///"):
        return Path(db_url.removeprefix("sqlite:///")).parent
    root = config.CourseDirectory.get("root") if "CourseDirectory" in config else None
    return Path(root) if root else None


def retranslated(nb, resources: dict, config):
    """A Korean notebook's markdown in Korean again where grading put the English back (nbgrader's
    OverwriteCells restores locked cells from the gradebook's English source), from the course's
    catalogue locales/ko/LC_MESSAGES/exercises/<notebook>.po; another notebook as it is."""
    if language_of(nb) != "ko":
        return nb
    from rnn_course.notebook_i18n import catalogue_path, retranslate

    root, name = course_root(resources, config), resources.get("nbgrader", {}).get("notebook")
    if root is None or not name:
        return nb
    nb = copy.deepcopy(nb)
    retranslate(nb, catalogue_path(root, name))
    return nb


def student_page(html: str, table: str, language: str = "en") -> str:
    """The feedback page a student reads offline: no CDN script, long lines wrapped, and the score
    `table` under the page's heading (before nbgrader's list of links to the graded cells); in Korean
    for a Korean notebook."""
    html = offline_html(html)
    if language == "ko":
        html = korean_page(html)
    if "</head>" in html:
        html = html.replace("</head>", FEEDBACK_CSS + "</head>", 1)
    marker = '<div id="toc">'
    if marker in html:
        html = html.replace(marker, table + marker, 1)
    return html


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled Jinja templates kept for the life of the process (keyed by name, checked by source)."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._store.clear()


TEMPLATE_CACHE = _ProcessBytecodeCache()


MISSING_ALT = "No description has been provided for this image"
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt\s*=)", re.IGNORECASE)


def add_missing_alt(html: str) -> str:
    """Give every <img> without an alt attribute nbconvert's placeholder text, as HTMLExporter does."""
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{MISSING_ALT}"', html)


class CachedHTMLExporter(HTMLExporter):
    """The feedback exporter, doing what HTMLExporter does at a fraction of the cost per student.

    nbgrader's GenerateFeedback builds a new HTMLExporter, hence a new Jinja environment, for every
    run, and HTMLExporter then re-parses the whole page with BeautifulSoup. Per submission that was
    about 0.5 s to compile the templates and 0.45 s for the parse. Here the templates are compiled
    once per process (Jinja re-checks each against its source), and the parse is replaced by what it
    changes on a feedback page: images without alt text get nbconvert's placeholder text. (Its other
    change marks JupyterLab cells focusable; nbgrader's feedback template is the classic one, which
    has none.) `tests/test_feedback_exporter.py` checks that, with `student_page` off, the page
    equals HTMLExporter's, and with it on, differs only by what `student_page` adds.

    Only public nbconvert API is used: the `environment` property, `register_filter`, the filters'
    constructors and TemplateExporter's `from_notebook_node`, which prepares the resources itself.

    With `student_page` (the default) the page is also one a student reads offline: math converted
    to MathML at generation time (MathMLRenderer; inlining MathJax instead would add 1-2 MB to every
    student's page), long messages wrapped, a table of each part's score and the total at the top,
    and no script from the internet (`offline_html`). With it off, the page is HTMLExporter's.
    """

    student_page = Bool(True, help="MathML math, wrapped messages and a score table").tag(config=True)
    _summary_registered = False

    @pass_context
    def markdown2html(self, context, source):
        """HTMLExporter's markdown filter, with MathMLRenderer writing the math."""
        if not self.student_page:
            return super().markdown2html(context, source)
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return MarkdownWithMath(renderer=renderer, inline=JupyterMathInlineParser(hard_wrap=False)).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):
        if self.student_page and not self._summary_registered:
            # registered at the first conversion, after the preprocessors nbgrader registers at start
            self.register_preprocessor(RecordSummary, enabled=True)
            self._summary_registered = True
        # before any template is loaded into this exporter's environment: compiled code is shared
        self.environment.bytecode_cache = TEMPLATE_CACHE
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", widgets_filter(self, nb, resources))
        if self.student_page:
            nb = retranslated(nb, resources or {}, self.config)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        html = add_missing_alt(html)
        if self.student_page:
            html = student_page(html, resources.pop("feedback_summary", ""), language_of(nb))
        return html, resources


def widgets_filter(exporter, nb, resources) -> WidgetsDataTypeFilter:
    """HTMLExporter's output-type filter for `nb`: widget views are shown only when `nb` holds their state.

    HTMLExporter hands the filter the exporter's record of every converted notebook's metadata,
    keyed by the path the filter derives from `resources`; here it gets that one entry, keyed by the
    filter's own `notebook_path`. (The feedback preprocessors leave notebook metadata alone, so the
    notebook's metadata is the one the exporter would record.)
    """
    data_filter = WidgetsDataTypeFilter(notebook_metadata={}, parent=exporter, resources=resources)
    data_filter.metadata = {data_filter.notebook_path: nb.metadata}
    return data_filter
