"""Feedback preprocessors: what a student sees must name the mistake, never reveal the hidden tests.

Stock nbgrader restores hidden tests into the autograded notebook, so its feedback HTML shows their
source, and a failing hidden test's traceback shows the frames of the check code. `HideHiddenTests`
runs in `nbgrader generate_feedback` (see nbgrader_config.py): it removes the hidden region from
every test cell's source and reduces the error output of cells that held hidden tests to the
exception's one-line message, which the checks write for students.
"""

from __future__ import annotations

import re

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
