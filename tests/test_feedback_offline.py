"""Feedback a student can read offline: math drawn as MathML, long messages wrapped, scores on top.

A small class of a08 (numpy only; its markdown is full of TeX such as $h_t = \\tanh(...)$) is graded by
the course's pipeline, and its feedback pages are opened in Debian's headless Chromium with every
request that leaves the local server blocked (tests/_browser.py). The page must load nothing but
itself, draw every formula (a <math> element with a size), keep no TeX outside code, wrap a long
single-line error message inside the window, and show each part's score and the total.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest

from _browser import VIEWPORT, browsing
from conftest import ROOT
from submissions import make_submission, released_course, submit

sys.path.insert(0, str(ROOT))
from grading.feedback import summary_table, tex_to_mathml  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import grade_assignment  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("feedback_offline")]
A = "a08_bptt"
SCREENSHOT = Path("/tmp/feedback_a08.png")
# One line, no spaces, longer than any window is wide: what a check's message can look like.
LONG = "expected_" + "0123456789" * 60
LONG_ANSWER = ("def rnn_step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel):\n"
               f"    raise ValueError('{LONG}')\n")

# What the page draws: every <math> element's box and display type, the page's text outside code
# (with the math elements' own text left out: it is what MathML draws, not TeX), the widest box
# holding the long message in an output (the student's own code keeps its lines, scrolling in its
# box), and the score table.
INSPECT_JS = """
(long) => {
  const maths = [...document.querySelectorAll("math")];
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll("math, code, pre, .highlight, .input_area").forEach(n => n.remove());
  const holders = [...document.querySelectorAll("div.output pre")].filter(n => n.textContent.includes(long));
  const table = document.querySelector("table.feedback-summary");
  return {
    maths: maths.map(m => {
      const box = m.getBoundingClientRect();
      return {width: box.width, height: box.height, display: getComputedStyle(m).display};
    }),
    text: clone.textContent,
    long_boxes: holders.map(n => ({width: n.getBoundingClientRect().width, right: n.getBoundingClientRect().right,
                                   scroll: n.scrollWidth, client: n.clientWidth})),
    page_width: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    rows: table ? [...table.querySelectorAll("tbody.parts tr")].map(r => r.innerText) : [],
    total: table ? table.querySelector("tfoot tr.total").innerText : "",
  };
}
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = released_course(tmp_path_factory.mktemp("feedback"), A)
    source, release = (course / folder / A / f"{A}.ipynb" for folder in ("exercises", "release"))
    submit(course, "solution", A, make_submission(release, source))
    submit(course, "long", A, make_submission(release, source, {"rnn_step_backward": LONG_ANSWER}))
    summary = grade_assignment(A, root=course, workers=2, progress=False,
                               limits=Limits(cell_timeout=60, submission_timeout=300, memory_mb=3072))
    assert summary.graded == 2 and summary.errors == 0, summary
    return course


def inspect(tab, screenshot: Path | None = None) -> dict:
    seen = tab.evaluate(INSPECT_JS, LONG)
    if screenshot:  # the top of the page: the score table, the first formulas and part 1's messages
        tab.screenshot(path=str(screenshot), full_page=True, clip={"x": 0, "y": 0, "width": VIEWPORT["width"],
                                                                  "height": 2600})
    return seen


@pytest.fixture(scope="module")
def pages(course) -> dict:
    """Each student's feedback page, loaded once offline; a screenshot of the one with the long message."""
    SCREENSHOT.unlink(missing_ok=True)
    with browsing(course / "feedback") as chromium:
        return {student: chromium.visit(
                    f"{student}/{A}/{A}.html",
                    inspect=lambda tab, s=student: inspect(tab, SCREENSHOT if s == "long" else None))
                for student in ("solution", "long")}


@pytest.mark.parametrize("student", ["solution", "long"])
def test_the_page_loads_nothing_from_the_network(pages, student):
    visit = pages[student]
    assert visit.problems() == []
    assert [url for url in visit.requests if not url.startswith("data:")] == [visit.final_url], visit.requests


@pytest.mark.parametrize("student", ["solution", "long"])
def test_math_is_drawn_as_mathml(pages, student):
    seen = pages[student].inspection
    assert len(seen["maths"]) >= 20, "a08's markdown has dozens of formulas"
    flat = [m for m in seen["maths"] if not (m["width"] > 0 and m["height"] > 0)]
    assert flat == [], f"{len(flat)} formulas have no size"
    assert {m["display"] for m in seen["maths"]} <= {"math", "block math", "inline math"}, \
        "Chromium did not lay the formulas out as MathML"
    for tex in ("\\tanh", "h_{t-1}", "$h_t", "\\frac"):
        assert tex not in seen["text"], f"raw TeX {tex!r} is left on the page outside code"


def test_a_long_message_wraps_inside_the_window(pages):
    seen = pages["long"].inspection
    assert seen["long_boxes"], "the long message is not on the page"
    for box in seen["long_boxes"]:
        assert box["right"] <= VIEWPORT["width"] and box["scroll"] <= box["client"], box
    assert seen["page_width"] <= seen["viewport"]
    assert SCREENSHOT.stat().st_size > 0


@pytest.mark.parametrize("student", ["solution", "long"])
def test_the_score_table_shows_each_part_and_the_total(pages, student):
    seen = pages[student].inspection
    label, score = seen["total"].split("\t")
    assert label == "Total", seen["total"]
    total = [float(n) for n in score.split(" / ")]
    if student == "solution":
        assert total == [18, 20]  # every automatic point; the written answer waits for a person
    else:
        assert total[1] == 20 and total[0] < 18
    parts = {}
    for row in seen["rows"]:
        gid, kind, points = row.split("\t")
        score, max_points = points.split(" / ")
        parts[gid] = (kind, None if score == "awaiting grading" else float(score), float(max_points))
    assert [sum(p[1] or 0 for p in parts.values()), sum(p[2] for p in parts.values())] == total
    assert parts["answer_1"] == ("written answer", None, 2)  # graded by hand, not yet: never shown as 0
    assert parts["test_rnn_step_backward_shapes"] == ("test", 0 if student == "long" else 1, 1)
    assert parts["test_rnn_step_backward_hidden"][2] == 3


def test_tex_that_cannot_be_converted_stays_readable():
    for tex in ("\\notacommand x", "\\frac{a}{", "\\left( x", "x^", "a < b \\notacommand",
                "\\begin{aligned} a &= b \\end{aligned}"):
        shown = tex_to_mathml(tex)
        assert shown.startswith('<code class="tex">'), shown
        assert html.unescape(re.sub(r"<[^>]+>", "", shown)) == f"${tex}$"
    assert tex_to_mathml("h_t", display=True).startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" '
                                                          'display="block">')


MARKDOWN = r"""Inline $a_t$, \\(b_t\\) and \(c_t\), display $$d_t$$, \\[e_t\\] and \[f_t\],
\begin{align} g_t &= 1 \end{align}, and code stays code: `$x_t$` and

```
$y_t = \tanh(z)$ \(w_t\)
```
"""


def test_every_math_delimiter_becomes_mathml_and_code_stays_code():
    import nbformat
    from nbconvert.exporters import HTMLExporter
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    from grading.feedback import CachedHTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MARKDOWN)])
    resources = {"nbgrader": {"score": 0, "max_score": 0, "late_penalty": 0, "notebook": "n"}}
    config = GenerateFeedback(coursedir=CourseDirectory()).config
    page, _ = CachedHTMLExporter(config=config).from_notebook_node(nb, dict(resources))
    body = page[page.index("<body"):]
    maths = re.findall(r"<math .*?</math>", body, re.S)
    assert [next((n for n in "abcdefg" if f"<mi>{n}</mi>" in m), None) for m in maths] == list("abcdefg")
    assert body.count('display="block"') == 4
    assert "<code>$x_t$</code>" in body and "$y_t = \\tanh(z)$ \\(w_t\\)" in body
    stock, _ = HTMLExporter(config=config).from_notebook_node(nb, dict(resources))
    assert "(c_t)" in stock and "<math" not in stock  # what stock nbconvert makes of one backslash


def test_the_late_penalty_has_its_line_in_the_table():
    import nbformat

    nb = nbformat.v4.new_notebook()
    resources = {"nbgrader": {"score": 7.5, "max_score": 10, "late_penalty": 1.5}}
    table = summary_table(nb, resources)
    assert "Late submission penalty" in table and "-1.5" in table and "7.5 / 10" in table
    assert "Late submission" not in summary_table(nb, {"nbgrader": dict(resources["nbgrader"], late_penalty=0)})
