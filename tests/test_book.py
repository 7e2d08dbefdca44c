"""The website: it builds from executed chapters, a failing cell fails the build, the cache works."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import ROOT, VENV_BIN, tool_env

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]
HTML = ROOT / "_build" / "html"


def page(relative: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / relative).read_text(encoding="utf-8"), "html.parser")


def test_book_builds(book_build):
    code, log = book_build
    assert code == 0, f"make book failed:\n{log[-4000:]}"
    assert (HTML / "index.html").is_file()
    assert (HTML / "intro.html").is_file()


def test_chapter_1_shows_executed_outputs_and_plot(book_build):
    assert book_build[0] == 0
    soup = page("chapters/01_recurrent_cell.html")
    outputs = "\n".join(div.get_text() for div in soup.select("div.cell_output"))
    # the textbook loop prints the collected hidden states growing one row per time step
    for step in range(1, 11):
        assert f"({step}, 8)" in outputs, f"missing the shape print for step {step}"
    match = re.search(r"largest difference from Keras over all 10 steps: ([0-9.e+-]+)", outputs)
    assert match and float(match.group(1)) < 1e-5, "the Keras comparison output is missing or too large"
    images = [img["src"] for img in soup.select("div.cell_output img")]
    assert images, "the first chapter shows no plot"
    for src in images:
        file = (HTML / "chapters" / src).resolve()
        assert file.is_file() and file.stat().st_size > 5_000, f"plot {src} missing or empty"
    assert "Traceback" not in outputs


def test_rebuild_with_no_change_executes_nothing(book_build):
    assert book_build[0] == 0
    result = subprocess.run([str(VENV_BIN / "jupyter-book"), "build", ".", "--all", "-W"], cwd=ROOT,
                            env=tool_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Executing notebook" not in result.stdout, "a no-change rebuild re-executed a notebook"
    assert "Using cached notebook" in result.stdout


def test_config_fails_on_errors():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["raise_on_error"] is True
    assert config["execute"].get("allow_errors", False) is False
    assert config["execute"]["execute_notebooks"] == "cache"


def test_a_raising_cell_fails_the_build(tmp_path):
    """A copy of the book whose chapter raises must exit non-zero and name the failing cell."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", book)
    (book / "intro.md").write_text("# Intro\n")
    (book / "chapters" / "99_broken.md").write_text(
        (ROOT / "chapters" / "01_recurrent_cell.md").read_text().split("# The recurrent cell")[0]
        + "# Broken\n\n```{code-cell} ipython3\nx = 1\n```\n\n"
        "```{code-cell} ipython3\nraise ZeroDivisionError('the broken chapter cell')\n```\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/99_broken\n")
    # no -W: raise_on_error alone must fail the build
    result = subprocess.run([str(VENV_BIN / "jupyter-book"), "build", str(book)], env=tool_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode != 0, "the build succeeded although a chapter cell raised"
    assert "99_broken" in result.stdout
    assert "the broken chapter cell" in result.stdout


def test_no_chapter_outputs_committed():
    tracked = subprocess.run(["git", "ls-files", "chapters"], cwd=ROOT, text=True,
                             capture_output=True).stdout.split()
    assert tracked, "no chapters tracked"
    assert all(name.endswith(".md") for name in tracked), f"chapters must be MyST markdown: {tracked}"


def test_toc_lists_every_chapter():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = {entry["file"] for part in toc["parts"] for entry in part["chapters"]}
    chapters = {f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("*.md")}
    assert chapters <= listed, f"chapters missing from _toc.yml: {sorted(chapters - listed)}"


def test_make_book_executes_before_sphinx_and_sphinx_executes_nothing(book_build):
    """`make book` runs the notebooks in parallel first; jupyter-book then finds each one in the cache.

    If the pre-execution stored its results under another key than the one myst-nb looks up, the build
    would quietly execute every chapter again, one after the other: this is what would show it.
    """
    code, log = book_build
    assert code == 0, log[-3000:]
    assert "rnn_course execute" in log, "make book no longer runs the parallel execution step"
    sphinx_part = log.split("jupyter-book build", 1)[-1]
    assert "Executing notebook" not in sphinx_part, "jupyter-book executed a notebook the parallel step had run"


def test_parallel_execution_caches_what_myst_nb_looks_up_and_names_a_failure(tmp_path, monkeypatch, capsys):
    """Two notebooks, one raising: the good one is cached under myst-nb's key, the bad one is named with its error."""
    from jupyter_cache import get_cache

    from rnn_course import execute

    header = (ROOT / "chapters" / "01_recurrent_cell.md").read_text().split("# The recurrent cell")[0]
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text(header + "# Good\n\n```{code-cell} ipython3\nprint(6 * 7)\n```\n")
    bad.write_text(header + "# Bad\n\n```{code-cell} ipython3\nraise ZeroDivisionError('the bad cell')\n```\n")
    monkeypatch.setattr(execute, "notebook_pages", lambda book: [good, bad])
    monkeypatch.setattr(execute, "CACHE", tmp_path / "_build" / ".jupyter_cache")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")

    assert execute.main(["--jobs", "2"]) == 1
    first = capsys.readouterr()
    assert "2 notebook(s)" in first.out and "bad.md raised an error" in first.err and "the bad cell" in first.err
    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    record = cache.match_cache_notebook(execute.read(good))  # raises KeyError if cached under another key
    _, merged = cache.merge_match_into_notebook(execute.read(good))
    assert merged.cells[-1].outputs[0]["text"] == "42\n" and record.uri == str(good)
    with pytest.raises(KeyError):
        cache.match_cache_notebook(execute.read(bad))
    assert execute.main(["--jobs", "1"]) == 1  # only the failed one runs again, and fails again
    assert "1 notebook(s)" in capsys.readouterr().out


def test_start_up_noise_is_dropped_and_other_stderr_kept():
    import nbformat

    from rnn_course.execute import without_start_up_noise

    cell = nbformat.v4.new_code_cell("import tensorflow")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=(
            "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            "I0000 00:00:1796175390.477092   21359 port.cc:153] oneDNN custom operations are on.\n")),
        nbformat.v4.new_output("stream", name="stderr", text=(
            "I0000 00:00:1796175362.179052   20525 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n"
            "/x.py:1: UserWarning: Do not pass an `input_shape`\n")),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 00:00:1.0   1 port.cc:1] printed by the lesson\n"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    outputs = without_start_up_noise(notebook).cells[0].outputs
    assert [(o["name"], o["text"]) for o in outputs] == [
        ("stderr", "/x.py:1: UserWarning: Do not pass an `input_shape`\n"),
        ("stdout", "I0000 00:00:1.0   1 port.cc:1] printed by the lesson\n")]


def test_a_printed_line_split_around_the_noise_is_one_line_again():
    """The kernel sends a print in chunks; with TensorFlow's log between two chunks and the log removed, the
    two stdout chunks are joined (else the page shows the line broken in two)."""
    import nbformat

    from rnn_course.execute import without_start_up_noise

    cell = nbformat.v4.new_code_cell("print(...)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="GRU(reset_after=True): "),
        nbformat.v4.new_output("stream", name="stderr", text=(
            "I0000 00:00:1796175390.477092   21359 port.cc:153] oneDNN custom operations are on.\n")),
        nbformat.v4.new_output("stream", name="stdout", text=" [(5, 9), (3, 9), (2, 9)] -> 90\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning the lesson shows\n"),
        nbformat.v4.new_output("stream", name="stdout", text="after it\n"),
    ]
    outputs = without_start_up_noise(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs
    assert [(o["name"], o["text"]) for o in outputs] == [
        ("stdout", "GRU(reset_after=True):  [(5, 9), (3, 9), (2, 9)] -> 90\n"),
        ("stderr", "a warning the lesson shows\n"),
        ("stdout", "after it\n")]


def _one_chapter_book(book, repository_url: str) -> subprocess.CompletedProcess:
    """The course's _config.yml (its own static files left out) on a one-chapter book, with this repository URL."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = repository_url
    config["sphinx"]["config"]["html_static_path"] = []
    config["sphinx"]["config"].pop("html_css_files", None)
    (book / "lesson").mkdir(parents=True)
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "intro.md").write_text("# Intro\n")
    (book / "lesson" / "one.md").write_text(
        (ROOT / "chapters" / "01_recurrent_cell.md").read_text().split("# The recurrent cell")[0]
        + "# One\n\n```{code-cell} ipython3\nprint(6 * 7)\n```\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: lesson/one\n")
    return subprocess.run([str(VENV_BIN / "jupyter-book"), "build", str(book), "-W"], env=tool_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_named_repository_gets_a_binder_button_and_a_source_link(tmp_path):
    """The buttons _config.yml's comment promises once a repository is named: Binder and the source link, no Colab
    (Colab cannot open a MyST Markdown chapter), and the notebook's set-up cell says how to clone it."""
    result = _one_chapter_book(tmp_path, "https://github.com/someone/rnn-course")
    assert result.returncode == 0, result.stdout[-3000:]
    page = BeautifulSoup((tmp_path / "_build/html/lesson/one.html").read_text(), "html.parser")
    links = {" ".join(a.get_text().split()): a["href"] for a in page.select(".dropdown-launch-buttons a")}
    assert links == {"Binder": "https://mybinder.org/v2/gh/someone/rnn-course/main?urlpath=tree/lesson/one.md"}
    assert page.select_one("a.btn-source-repository-button")["href"] == "https://github.com/someone/rnn-course"
    notebook = (tmp_path / "_build/html/_sources/lesson/one.ipynb").read_text()
    assert "git clone https://github.com/someone/rnn-course.git" in notebook


def test_a_repository_url_that_cannot_be_launched_fails_the_build(tmp_path):
    result = _one_chapter_book(tmp_path, "rnn-course on our server")
    assert result.returncode != 0
    assert "repository.url in _config.yml must be https://github.com/<owner>/<name>" in result.stdout
