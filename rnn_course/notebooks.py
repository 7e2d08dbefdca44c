"""Sphinx extension: the notebook a page offers, and launch buttons only where they lead somewhere.

Registered in _config.yml's `sphinx.config.extensions` as `rnn_course.notebooks`.

Launch buttons. sphinx-book-theme builds its Binder link and the source link from `repository.url`
in _config.yml, and Jupyter Book 1 fills an absent one with its own repository
(executablebooks/jupyter-book), so every button would open someone else's project. Here the course's
_config.yml leaves the URL empty until the course is published. Then this extension removes the launch
buttons and the source link (with an empty URL the theme would otherwise fail), and a URL that is not a
GitHub or GitLab repository is refused with a warning, which `-W` turns into an error. Once a URL is
set, the Binder button and the source link appear. The Colab button is never configured: Colab opens
only .ipynb files from GitHub, and the chapters are MyST Markdown.

The notebook download. The theme copies a page's executed notebook into `_sources/` for its download
button only while it builds launch buttons. This extension does that copy for every notebook page
whatever the configuration. Every copy then gets a first Markdown cell that says what the notebook
needs (the course's package `rnn_reference` and the pinned Keras / TensorFlow) and how to install it,
because a notebook opened outside the course's environment fails at its first `import rnn_reference`.
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)
REPOSITORY = re.compile(r"https://(github|gitlab)\.com/[\w.-]+/[\w.-]+/?")
SETUP_TAG = "rnn-course-setup"  # cell metadata tag: the cell this extension inserted (never twice)


def configure_buttons(app: Sphinx, config: Config) -> None:
    """Keep the launch buttons and the source link only for a repository URL that can be launched."""
    options = config.html_theme_options
    url = (options.get("repository_url") or "").strip()
    if url and not REPOSITORY.fullmatch(url):
        logger.warning(f"repository.url in _config.yml must be https://github.com/<owner>/<name> (or "
                       f"gitlab.com), got {url!r}: the site gets no launch buttons and no source link")
        url = ""
    if not url:
        options.pop("launch_buttons", None)
        options["use_repository_button"] = False
        options["repository_url"] = ""
    else:
        options["use_repository_button"] = True
        options.get("launch_buttons", {}).pop("colab_url", None)


def executed_notebook(app: Sphinx, pagename: str) -> Path:
    """Where myst-nb wrote the page's executed notebook (`_build/jupyter_execute/<page>.ipynb`)."""
    return Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"


def offer_notebook(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Copy a notebook page's executed notebook into _sources/ and point the download button at it."""
    source = executed_notebook(app, pagename)
    if doctree is None or not source.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def pinned(distribution: str, name: str) -> str:
    """'Keras 3.15.1': the version the build itself ran with (so the cell cannot go stale)."""
    try:
        return f"{name} {version(distribution)}"
    except PackageNotFoundError:
        return name


def setup_text(app: Sphinx, title: str) -> str:
    """The first cell of a downloaded notebook: what it needs and how to get it."""
    url = (app.config.html_theme_options.get("repository_url") or "").strip().rstrip("/")
    where = (f"the course's repository, {url}" if url
             else "the course's source folder (the repository this site is built from: ask your instructor)")
    lines = [
        f"**Running this notebook yourself.** This is *{title}* from the course "
        f"*{app.config.html_title or app.config.project}*, downloaded with its outputs.",
        "",
        "Its code imports the course's Python package `rnn_reference` (the reference implementations the "
        f"chapters use) and runs on the versions the course pins: Python {sys.version_info.major}."
        f"{sys.version_info.minor}, {pinned('keras', 'Keras')} with {pinned('tensorflow-cpu', 'TensorFlow')}, "
        f"{pinned('numpy', 'numpy')}, {pinned('matplotlib', 'matplotlib')} and {pinned('myst-nb', 'myst-nb')}. "
        "A plain Jupyter or Colab has no `rnn_reference`, so the first cell that imports it would fail there.",
        "",
        f"To get all of it, take {where} and run, in that folder:",
        "",
        "```",
        *([f"git clone {url}.git && cd {url.rsplit('/', 1)[-1]}"] if url else []),
        "make install              # creates .venv/ with the pinned environment",
        ".venv/bin/jupyter lab     # then open this notebook and run it from the top",
        "```",
    ]
    return "\n".join(lines)


def add_setup_cells(app: Sphinx, exception: Exception | None) -> None:
    """Give every notebook offered for download its set-up cell (once, whatever rebuilt it)."""
    if exception is not None or app.builder.format != "html":
        return
    for pagename in app.env.found_docs:
        target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
        if not target.is_file():
            continue
        notebook = nbformat.read(target, as_version=4)
        if notebook.cells and SETUP_TAG in notebook.cells[0].get("metadata", {}).get("tags", []):
            continue
        title = app.env.titles[pagename].astext() if pagename in app.env.titles else pagename
        cell = nbformat.v4.new_markdown_cell(setup_text(app, title), metadata={"tags": [SETUP_TAG]})
        notebook.cells.insert(0, cell)
        for c in notebook.cells:  # nbformat 4.5 wants an id on every cell
            c.setdefault("id", nbformat.v4.new_markdown_cell().id)
        nbformat.write(notebook, target)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure_buttons)
    app.connect("html-page-context", offer_notebook, priority=500)  # before the theme's buttons (501)
    app.connect("build-finished", add_setup_cells)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
