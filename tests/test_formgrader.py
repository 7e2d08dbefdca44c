"""Manual grading in nbgrader's formgrader, as `make formgrader` starts it, in headless Chromium, offline.

A class of two graded a03 submissions (a03 has two written answers a person grades); formgrader is
started on that course by grading/formgrader.py's command on a free port with a known token; the
browser opens one submission's manual-grading page, types a score into a written answer's score
field and leaves it, as a grader would; nbgrader's Gradebook API then has that manual score. Every
request the page makes goes to the local server (the route blocks and records any other), and its
math is typeset by the course's own MathJax.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from nbgrader.api import Gradebook

from _browser import Browser, Visit
from conftest import ROOT
from submissions import make_submission, released_course, submit

from grading import formgrader  # noqa: E402
from grading.gradebook import db_url  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import grade_assignment  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("formgrader")]
A = "a03_parameter_counting"
CLASS = ("ada", "ben")
GRADED = ("ben", "answer_1", 1.5)  # who, which written answer, the score typed into formgrader
TOKEN = "formgrader-test-token"
SCREENSHOT = Path("/tmp/formgrader_a03.png")
START_TIMEOUT = 90  # seconds for the server to answer, on two shared cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formgrader:
    """The server as _browser.Browser needs a site: an origin, url(path), is_local(url)."""

    def __init__(self, port: int):
        self.origin = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return f"{self.origin}/{path.lstrip('/')}"

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or f"{parts.scheme}://{parts.netloc}" == self.origin


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Two a03 submissions graded by `make grade`'s pipeline, and the course's MathJax beside them."""
    course = released_course(tmp_path_factory.mktemp("formgrader"), A)
    source = course / "exercises" / A / f"{A}.ipynb"
    release = course / "release" / A / f"{A}.ipynb"
    for student in CLASS:
        submit(course, student, A, make_submission(release, source))
    summary = grade_assignment(A, root=course, workers=1, limits=Limits(submission_timeout=120), progress=False)
    assert summary.graded == len(CLASS), summary
    mathjax = ROOT / "_vendor" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").exists(), "the course's MathJax is missing: make install"
    shutil.copytree(mathjax, course / "_vendor" / "mathjax")
    return course


@pytest.fixture(scope="module")
def server(course):
    """formgrader on `course`, started as `make formgrader` starts it; killed afterwards."""
    port = free_port()
    log = open(course / "formgrader.log", "w+b")
    process = subprocess.Popen(formgrader.command(course, port=port, token=TOKEN), cwd=course,
                               env=formgrader.environment(),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(formgrader.url(port, TOKEN, path="api/status"), timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"formgrader did not start (exit {process.poll()}):\n{log.read().decode()[-3000:]}")
                time.sleep(0.5)
        yield Formgrader(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_command_names_a_directory_that_is_not_a_course(tmp_path):
    with pytest.raises(FileNotFoundError, match="no nbgrader_config.py"):
        formgrader.command(tmp_path, port=1, token=TOKEN)


def test_a_score_typed_into_formgrader_is_saved_in_the_gradebook(course, server):
    student, cell, score = GRADED
    with Gradebook(db_url(course), "rnn-course") as gb:
        submission_id = gb.find_submission_notebook(A, A, student).id
        before = gb.find_grade(cell, A, A, student)
        assert before.manual_score is None and before.needs_manual_grade, "a written answer waits for a person"

    browser = Browser(server)
    visit = Visit(f"formgrader/submissions/{submission_id}/")
    try:
        page = browser.open(visit)
        page.goto(server.url(f"formgrader/submissions/{submission_id}/?token={TOKEN}"), wait_until="load")
        browser.settle(page, visit)
        # the page has run formgrade.js (it needs MathJax's Startup signal to select the first input)
        try:
            page.wait_for_function("window.MathJax && MathJax.loaded === true", timeout=30_000)
        except PlaywrightTimeout:
            pytest.fail(f"formgrade.js never saw MathJax finish: {visit.problems()}, MathJax: "
                        f"{page.evaluate('JSON.stringify(Object.keys(window.MathJax || {}))')}")
        field = page.locator(f"input.score#{cell}")
        field.click()
        field.fill(str(score))
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                  and r.request.method == "PUT") as response:
            field.press("Tab")  # leaving the field is what saves it
        assert response.value.ok, response.value.status
        browser.settle(page, visit)
        math = page.evaluate("document.querySelectorAll('mjx-container').length")
        # the written answer as the grader sees it after leaving the field: the score and its saved mark
        page.locator(".nbgrader_cell", has=field).screenshot(path=str(SCREENSHOT))
        page.close()
    finally:
        browser.close()

    assert visit.problems() == [], visit.problems()
    assert math > 0, "formgrader's page typeset no math with the course's MathJax"
    with Gradebook(db_url(course), "rnn-course") as gb:
        after = gb.find_grade(cell, A, A, student)
        assert after.manual_score == score
        assert not after.needs_manual_grade
        other = gb.find_grade(cell, A, A, CLASS[0])
        assert other.manual_score is None, "only the graded submission changed"
