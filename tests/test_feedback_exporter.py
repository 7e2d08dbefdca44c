"""The grading workers' feedback exporter renders the page nbconvert's HTMLExporter renders, faster.

`grading.feedback.CachedHTMLExporter` compiles nbgrader's feedback templates once per process and
replaces HTMLExporter's BeautifulSoup pass by the one change it makes to a feedback page (alt text
for images without any). These tests hold it to the stock exporter's output.
"""

from __future__ import annotations

import copy
import re

import jinja2
import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory

from grading.feedback import MISSING_ALT, TEMPLATE_CACHE, CachedHTMLExporter, add_missing_alt

PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def feedback_config(student_page: bool = False):
    """The configuration nbgrader's GenerateFeedback gives its exporter (template, paths); without
    `student_page` the course's exporter renders exactly HTMLExporter's page."""
    config = GenerateFeedback(coursedir=CourseDirectory()).config
    config.CachedHTMLExporter.student_page = student_page
    return config


def notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n![](plot.png), <img src='a.png' alt='described'> and "
                                      "<IMG SRC=b.png/>\n\n$h_t = \\tanh(x_t W_x + h_{t-1} W_h + b)$"),
        nbformat.v4.new_code_cell("import numpy as np\nprint('<img src=not-a-tag>')", outputs=[
            nbformat.v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"}),
            nbformat.v4.new_output("stream", text="<img src=not-a-tag>\n")]),
        nbformat.v4.new_code_cell("assert False, 'the bias is missing'", outputs=[
            nbformat.v4.new_output("error", ename="AssertionError", evalue="the bias is missing",
                                   traceback=["AssertionError: the bias is missing"])]),
    ]
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 2, "solution": False,
                                        "locked": True, "schema_version": 3, "score": 0.0}
    return nb


NOTEBOOK = notebook()  # built once: new cells get random ids
RESOURCES = {"nbgrader": {"score": 1.0, "max_score": 2.0, "late_penalty": 0.0, "notebook": "n"},
             "metadata": {"name": "n"}}


def render(exporter_class, student_page: bool = False) -> str:
    html, _ = exporter_class(config=feedback_config(student_page)).from_notebook_node(copy.deepcopy(NOTEBOOK),
                                                                                  copy.deepcopy(RESOURCES))
    return html


def dom(html: str) -> list:
    """Each element's name, attributes (in any order) and own text: what a browser builds from the page."""
    soup = BeautifulSoup(html, "html.parser")
    return [(tag.name, sorted((k, " ".join(v) if isinstance(v, list) else v) for k, v in tag.attrs.items()),
             tag.string) for tag in soup.find_all(True)]


def test_the_page_is_the_one_htmlexporter_renders():
    stock, ours = render(HTMLExporter), render(CachedHTMLExporter)
    assert dom(ours) == dom(stock)
    assert ours.count(MISSING_ALT) == stock.count(MISSING_ALT) == 2  # <IMG SRC=b.png/> and the plot
    assert "alt='described'" in ours and "&lt;img src=not-a-tag&gt;" in ours


def test_the_student_page_is_that_page_with_mathml_a_score_table_and_no_cdn():
    """What student_page (the default) adds to HTMLExporter's page, and nothing else of it changes."""
    stock, ours = render(HTMLExporter), render(CachedHTMLExporter, student_page=True)
    assert "\\tanh" in stock and "\\tanh" not in ours
    assert ours.count("<math ") == 1 and "<mi>tanh</mi>" in ours
    cdn = re.compile(r"<script[^>]*src=[\"']?https?://")
    assert cdn.search(stock) and not cdn.search(ours)
    table = BeautifulSoup(ours, "html.parser").select_one("table.feedback-summary")
    assert [row.get_text("|") for row in table.select("tbody.parts tr")] == ["t|test|0 / 2"]
    assert table.select_one("tfoot").get_text("|") == "Total|1 / 2"
    assert "white-space: pre-wrap" in ours
    # the rest of the page is HTMLExporter's: its text outside the math, the table and the styles
    def rest(html):
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup.select("math, table.feedback-summary, style, script, head"):
            tag.decompose()
        return re.sub(r"\$[^$]*\$", "", soup.get_text()).split()
    assert rest(ours) == rest(stock)


def test_templates_are_compiled_once_per_process(monkeypatch):
    compiled = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return original(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    TEMPLATE_CACHE.clear()
    first = render(CachedHTMLExporter)
    assert len(compiled) > 3  # the feedback template and those it extends
    compiled.clear()
    assert render(CachedHTMLExporter) == first
    assert [name for name in compiled if name and name.endswith(".j2")] == []


@pytest.mark.parametrize("html, expected", [
    ('<img src="x.png">', f'<img alt="{MISSING_ALT}" src="x.png">'),
    ("<img src='x.png' alt=''>", "<img src='x.png' alt=''>"),
    ("<IMG ALT=x SRC=y>", "<IMG ALT=x SRC=y>"),
    ("<imgur>", "<imgur>"),
])
def test_alt_text_is_added_only_where_missing(html, expected):
    assert add_missing_alt(html) == expected
