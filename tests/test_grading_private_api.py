"""Where the grader leans on nbgrader, nbconvert or SQLAlchemy beyond their public API, a test here fails
loudly when that changes.

- `grading.gradebook._save_auto_grades` drives nbgrader's SaveAutoGrades through the coordinator's open gradebook:
  it must write exactly what stock `SaveAutoGrades.preprocess` writes.
- `grading.gradebook._one_commit` shadows the session's `commit`: a `record` must commit once, and only then.
- `feedback.widgets_filter` keys HTMLExporter's output-type filter itself: widget outputs must render as
  HTMLExporter renders them.
"""

from __future__ import annotations

import copy
import re
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event

from conftest import ROOT
from submissions import grade_id, released_course

sys.path.insert(0, str(ROOT))
from grading import gradebook as records  # noqa: E402
from grading.feedback import CachedHTMLExporter  # noqa: E402
from grading.worker import Result  # noqa: E402

A = "a01_rnn_from_scratch"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A gradebook holding a01's source cells, and a01's released notebook, answered and 'executed'."""
    course = tmp_path_factory.mktemp("private")
    released_course(course, A)
    db = records.template_gradebook(course, A)
    nb = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    for cell in nb.cells:
        if grade_id(cell) == "rnn_cell_step":
            cell.source = "def rnn_cell_step(*args):\n    return 0"  # answered; simple_rnn_forward left as released
        if cell.cell_type == "code":
            cell.outputs = []
        if grade_id(cell) in ("test_rnn_cell_step_values", "test_simple_rnn_forward_shapes"):
            cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="wrong",
                                                   traceback=["AssertionError: wrong"])]
    return db, nb


def gradebook(tmp_path, data: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.update_or_create_student("alice")
        gb.update_or_create_submission(A, "alice")
    return f"sqlite:///{path}"


def written(url: str) -> dict:
    with Gradebook(url) as gb:
        notebook = gb.find_submission(A, "alice").notebooks[0]
        grades = {g.name: (g.auto_score, g.needs_manual_grade) for g in notebook.grades}
        comments = {c.name: c.auto_comment for c in notebook.comments}
    return {"grades": grades, "comments": comments}


def test_save_auto_grades_writes_what_stock_nbgrader_writes(template, tmp_path):
    db, nb = template
    stock_url = gradebook(tmp_path, db, "stock.db")
    resources = {"nbgrader": {"notebook": A, "assignment": A, "student": "alice", "db_url": stock_url}}
    SaveAutoGrades().preprocess(copy.deepcopy(nb), resources)
    ours_url = gradebook(tmp_path, db, "ours.db")
    with Gradebook(ours_url) as gb:
        with records._one_commit(gb):
            records._save_auto_grades(gb, copy.deepcopy(nb), Result(A, "alice", "graded"))
    stock, ours = written(stock_url), written(ours_url)
    assert ours == stock
    # not a vacuous comparison: full and zero scores, answered and unanswered solution cells
    assert stock["grades"]["test_rnn_cell_step_values"] == (0, False)
    assert stock["grades"]["test_rnn_cell_step_shape"] == (1, False)
    assert stock["comments"]["simple_rnn_forward"] == "No response."
    assert stock["comments"]["rnn_cell_step"] is None


def test_recording_a_result_commits_once(template, tmp_path):
    db, nb = template
    url = gradebook(tmp_path, db, "record.db")
    (tmp_path / "submitted" / "alice" / A).mkdir(parents=True)
    commits = []
    with Gradebook(url) as gb:
        session = gb.db()
        event.listen(session, "after_commit", lambda s: commits.append(1))
        gb.update_or_create_student("bob")  # nbgrader commits after each change...
        assert len(commits) == 1
        commits.clear()
        records.record(tmp_path, Result(A, "alice", "graded", notebook=nbformat.writes(nb),
                                         feedback_html="<html></html>"), gb)
        assert len(commits) == 1  # ...but a whole result is written in one commit
        assert "commit" not in vars(gb.db)  # and the session's own commit is back
    assert written(url)["grades"]["test_rnn_cell_step_values"] == (0, False)


WIDGET = "application/vnd.jupyter.widget-view+json"


def widget_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"known-model": {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
                                  "model_module_version": "2.0.0", "state": {"value": 3}}},
        "version_major": 2, "version_minor": 0}}
    nb.cells = [nbformat.v4.new_code_cell("slider", outputs=[
        nbformat.v4.new_output("display_data", data={
            WIDGET: {"model_id": model, "version_major": 2, "version_minor": 0},
            "text/plain": f"fallback text for {model}"})]) for model in ("known-model", "unknown-model")]
    return nb


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def dom(html: str) -> list:
    """Each element's name, attributes and own text (a widget view's random element id made equal)."""
    soup = BeautifulSoup(UUID.sub("<uuid>", html), "html.parser")
    return [(tag.name, sorted((k, " ".join(v) if isinstance(v, list) else v) for k, v in tag.attrs.items()),
             tag.string) for tag in soup.find_all(True)]


GRADES = {"score": 1.0, "max_score": 2.0, "late_penalty": 0.0, "notebook": "a01"}


@pytest.mark.parametrize("metadata", [None, {"name": "a01"}, {"name": "a01", "path": "feedback/alice"}])
def test_widget_outputs_render_as_htmlexporter_renders_them(metadata):
    resources = {"nbgrader": GRADES, **({"metadata": metadata} if metadata is not None else {})}
    config = GenerateFeedback(coursedir=CourseDirectory()).config
    config.CachedHTMLExporter.student_page = False  # HTMLExporter's page, without MathML and the score table
    nb = widget_notebook()
    stock, _ = HTMLExporter(config=config).from_notebook_node(copy.deepcopy(nb), copy.deepcopy(resources))
    ours, _ = CachedHTMLExporter(config=config).from_notebook_node(copy.deepcopy(nb), copy.deepcopy(resources))
    assert dom(ours) == dom(stock)
    assert "fallback text for unknown-model" in stock  # a widget without state falls back to its text
    assert "fallback text for known-model" not in stock  # one with state is rendered as a widget
