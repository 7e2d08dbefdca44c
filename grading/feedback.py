"""Feedback preprocessors: what a student sees must name the mistake, never reveal the hidden tests.

Stock nbgrader restores hidden tests into the autograded notebook, so its feedback HTML shows their
source, and a failing hidden test's traceback shows the frames of the check code. `HideHiddenTests`
runs in `nbgrader generate_feedback` (see nbgrader_config.py): it removes the hidden region from
every test cell's source and reduces the error output of cells that held hidden tests to the
exception's one-line message, which the checks write for students.
"""

from __future__ import annotations

import re

from jinja2 import BytecodeCache
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

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
    has none.) `tests/test_feedback_exporter.py` checks that the page equals HTMLExporter's.

    Only public nbconvert API is used: the `environment` property, `register_filter`, the filters'
    constructors and TemplateExporter's `from_notebook_node`, which prepares the resources itself.
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        # before any template is loaded into this exporter's environment: compiled code is shared
        self.environment.bytecode_cache = TEMPLATE_CACHE
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", widgets_filter(self, nb, resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return add_missing_alt(html), resources


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
