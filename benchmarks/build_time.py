"""Cold build of the whole book as `make book` does it (notebooks executed in parallel first, then
jupyter-book) vs the obvious alternative (jupyter-book alone, executing the notebooks one after the
other), and a no-change rebuild, each in a fresh temporary copy of the sources.

Prints the times, their ratios, and each notebook's execution time (longest first), so the slowest
chapter is visible. Run: `make bench` or `.venv/bin/python benchmarks/build_time.py [--jobs N]`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GENERATED = ["release", "_vendor"]  # built by `make release` / `make install`, not tracked


def env() -> dict:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    environment["PATH"] = f"{BIN}{os.pathsep}{environment['PATH']}"
    return environment


def run(*command: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, env=env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}")
    return elapsed, result.stdout


def copy_sources(book: Path) -> None:
    """Every tracked file (so a new page or course.yml is never forgotten) and the generated inputs."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (book / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, book / name)
    for name in GENERATED:
        shutil.copytree(ROOT / name, book / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel executions (default: cores)")
    jobs = parser.parse_args().jobs
    if not (ROOT / "release").is_dir():
        subprocess.run([sys.executable, "-m", "grading", "release"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="rnn-bench-book-") as tmp:
        serial_book, book = Path(tmp) / "serial", Path(tmp) / "parallel"
        copy_sources(serial_book)
        copy_sources(book)
        serial, serial_log = run(str(BIN / "jupyter-book"), "build", str(serial_book), "-W")
        execute, execute_log = run(sys.executable, "-m", "rnn_course", "execute", "--book", str(book),
                                   "--jobs", str(jobs))
        sphinx, sphinx_log = run(str(BIN / "jupyter-book"), "build", str(book), "-W")
        cached, cached_log = run(str(BIN / "jupyter-book"), "build", str(book), "-W", "--all")
    cold = execute + sphinx
    print(f"cold build, make book's way ({jobs} at a time):   {cold:7.1f} s"
          f"  (execute {execute:.1f} s + jupyter-book {sphinx:.1f} s)")
    print(f"cold build, jupyter-book alone (serial):  {serial:7.1f} s")
    print(f"ratio serial / parallel:                  {serial / cold:7.2f}x")
    print(f"no-change rebuild (--all, cached):        {cached:7.1f} s")
    print(f"ratio cold / cached:                      {cold / cached:7.1f}x")
    print(f"notebooks executed by jupyter-book after the parallel step: {sphinx_log.count('Executing notebook')}")
    print(f"notebooks re-executed by the rebuild:     {cached_log.count('Executing notebook')}")
    print("each notebook's execution (serial build; the parallel step's in brackets):")
    parallel = dict(re.findall(r"^  (\S+\.md): ([0-9.]+) s$", execute_log, re.M))
    for name, seconds in sorted(re.findall(r"/([\w/]+\.md): Executed notebook in ([0-9.]+) seconds", serial_log),
                                key=lambda c: -float(c[1])):
        name = name.split(str(serial_book.name) + "/")[-1]
        print(f"  {name:40s} {float(seconds):6.1f} s  [{parallel.get(name, '-')}]")


if __name__ == "__main__":
    main()
