"""Execute the book's notebooks in parallel into Jupyter Book's execution cache, before Sphinx reads them.

With `execute_notebooks: cache`, myst-nb executes every notebook that has no cached result one after
the other, while Sphinx reads the pages: on 2 cores, one core idles through the whole cold build.
`python -m rnn_course execute` (which `make book` runs first) does the same executions `--jobs` at a
time, longest first, and stores each result in the same jupyter-cache (`_build/.jupyter_cache`) under
the key myst-nb looks it up by: the hash of the notebook as myst-nb's own reader reads it. The build
that follows finds every notebook cached and executes nothing; Sphinx still renders and warns as usual.

It executes as myst-nb would (jupyter-cache's `single_nb_execution`, the notebook's folder as working
directory, `execute.timeout` from _config.yml, errors not allowed). A notebook that fails stops the
command with the notebook's name and traceback, after the others have finished and been cached, so a
rerun redoes only the failed one. Without this step the build is the same, only slower.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

from .manifest import MANIFEST, load

ROOT = MANIFEST.parent
CACHE = ROOT / "_build" / ".jupyter_cache"


def notebook_pages(book: Path = ROOT) -> list[Path]:
    """Every page of the book that myst-nb reads as a notebook (a MyST Markdown file with a notebook header)."""
    from myst_nb.core.read import is_myst_markdown_notebook

    course = load(book / MANIFEST.name)
    slugs = ["intro", *(c.slug for c in course.chapters), *course.reference,
             *(f"assignments/{a.id}" for a in course.assignments)]
    pages = [book / f"{slug}.md" for slug in slugs]
    return [p for p in pages if p.is_file() and is_myst_markdown_notebook(p.read_text(encoding="utf-8"))]


# TensorFlow's C++ start-up log, which TF_CPP_MIN_LOG_LEVEL no longer silences (absl writes it before
# its logging is initialised): it says nothing about the lesson, and every TensorFlow chapter printed it.
# Only these lines go; anything else a cell writes to stderr (a Keras warning a chapter shows) stays.
START_UP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} [\d:.]+ +\d+ (port|cpu_feature_guard|cuda_\w+)\.cc:\d+\] .*)\n?", re.M)


def without_start_up_noise(notebook):
    """Drop TensorFlow's start-up log lines from every cell's stderr (an emptied stream goes too).

    The stream outputs that an emptied stderr kept apart are joined again: the kernel sends a print in
    chunks, and a chunk boundary next to TensorFlow's log would otherwise show as a line break in the
    middle of a printed line (`GRU(reset_after=True):` on one line, its numbers on the next).
    """
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = START_UP_NOISE.sub("", output["text"])
                if not output["text"].strip():
                    continue
            previous = kept[-1] if kept else None
            if (previous is not None and output.get("output_type") == "stream" == previous.get("output_type")
                    and output.get("name") == previous.get("name")):
                previous["text"] += output["text"]
                continue
            kept.append(output)
        cell["outputs"] = kept
    return notebook


def read(path: Path):
    """The notebook as myst-nb's reader builds it from the page: the one whose hash the build looks up."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"))


def _execute(path: str, timeout: int) -> tuple[str, dict | None, float, str | None]:
    """Run in a worker process: (path, executed notebook or None, seconds, traceback or None)."""
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = read(Path(path))
    # The kernel inherits this process's stderr, where it writes its start-up chatter ("running over TCP
    # without encryption", TensorFlow's absl lines) over the build's progress: keep it in a file, and
    # show it only with a failure, where it may explain one.
    with tempfile.TemporaryFile(mode="w+") as kernel_stderr:
        saved = os.dup(2)
        os.dup2(kernel_stderr.fileno(), 2)
        try:
            result = single_nb_execution(notebook, cwd=str(Path(path).parent), allow_errors=False,
                                         timeout=timeout, meta_override=True)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if result.err is not None:
            kernel_stderr.seek(0)
            chatter = kernel_stderr.read().strip()
            error = result.exc_string or repr(result.err)
            return path, None, result.time, error + (f"\n(kernel stderr)\n{chatter}" if chatter else "")
    return path, without_start_up_noise(notebook), result.time, None


def last_seconds(cache, path: Path) -> float:
    """How long the page took last time it was executed (0 if never): longest first keeps both cores busy."""
    records = [r for r in cache.list_cache_records() if r.uri == str(path)]
    return max((float((r.data or {}).get("execution_seconds") or 0) for r in records), default=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_course execute", description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, default=ROOT, help="the book's folder (default: this course)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks executed at once (default: the number of cores)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    book = args.book.resolve()
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    timeout = int(config.get("execute", {}).get("timeout", 30))
    cache_path = CACHE if book == ROOT else book / CACHE.relative_to(ROOT)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(cache_path))

    todo = []
    for path in notebook_pages(book):
        try:
            cache.match_cache_notebook(read(path))
        except KeyError:
            todo.append(path)
    if not todo:
        print("execute: every notebook is cached")
        return 0
    todo.sort(key=lambda p: -last_seconds(cache, p))
    print(f"execute: {len(todo)} notebook(s), {min(args.jobs, len(todo))} at a time", flush=True)
    start, failed = time.perf_counter(), []
    with ProcessPoolExecutor(max_workers=min(args.jobs, len(todo))) as pool:
        futures = [pool.submit(_execute, str(p), timeout) for p in todo]
        for future in as_completed(futures):
            path, notebook, seconds, error = future.result()
            name = os.path.relpath(path, book)
            if error is not None:
                failed.append((name, error))
                print(f"  {name}: FAILED after {seconds:.1f} s", flush=True)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(notebook, path, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"  {name}: {seconds:.1f} s", flush=True)
    print(f"execute: done in {time.perf_counter() - start:.1f} s")
    for name, error in failed:
        print(f"\n{name} raised an error (fix it; the other notebooks are cached):\n{error}", file=sys.stderr)
    return 1 if failed else 0
