"""nbgrader configuration for the course. Source notebooks live in exercises/ (with solutions and hidden tests)."""

import os

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "rnn-course"
c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# The exchange: the folder through which nbgrader's release_assignment, fetch_assignment, submit,
# collect, release_feedback and fetch_feedback pass notebooks on one machine (a JupyterHub server).
# nbgrader's own default folder, or $RNN_COURSE_EXCHANGE; students' own nbgrader_config.py (or
# /etc/jupyter/nbgrader_config.py) names the same folder and course_id. README says how to set it up.
c.Exchange.root = os.environ.get("RNN_COURSE_EXCHANGE", "/usr/local/share/nbgrader/exchange")

# Late penalties: course.yml's due dates and late policy (grading/deadlines.py). `make grade`, `make late`
# and `make feedback` recompute them from the gradebook; this plugin makes `nbgrader autograde` run by
# hand charge the same (nbgrader calls it only when the gradebook has a due date: make late sets it).
c.AssignLatePenalties.plugin_class = "grading.deadlines.CourseLatePolicy"

# The released stub: a student sees exactly where to write and gets a clear error until they do.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# One cell's time limit, from the grader's one definition of its limits (grading/limits.py), so that
# nbgrader run by hand, `make grade`, `make check` and the stock comparison agree.
from grading.limits import Limits  # noqa: E402

c.Execute.timeout = Limits().cell_timeout
c.Execute.interrupt_on_timeout = True

# Feedback names the mistake but never shows hidden test source or check-code tracebacks.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "grading.feedback.HideHiddenTests",
]
# ... written by the course's exporter, also when an instructor runs stock `nbgrader generate_feedback`:
# MathML math, no CDN script, a score table saying which answers await manual grading.
c.GenerateFeedback.exporter_class = "grading.feedback.CachedHTMLExporter"
