"""Cold build of the whole book vs a no-change rebuild, in a temporary copy of the sources.

Prints both times, their ratio, and each chapter's execution time (from myst-nb's log), so the
slowest chapter is visible. Run: `make bench` or `.venv/bin/python benchmarks/build_time.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["_config.yml", "_toc.yml", "intro.md", "glossary.md", "chapters", "assignments", "release", "data", "_vendor"]


def build(book: Path, *extra: str) -> tuple[float, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    start = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(book), "-W", *extra],
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout[-3000:]}")
    return elapsed, result.stdout


def main() -> None:
    if not (ROOT / "release").is_dir():
        subprocess.run([sys.executable, "-m", "grading", "release"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="rnn-bench-book-") as tmp:
        book = Path(tmp)
        for name in SOURCES:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, book / name)
            elif src.is_file():
                shutil.copy(src, book / name)
        cold, log = build(book)
        cached, cached_log = build(book, "--all")
    chapters = re.findall(r"/([\w]+)\.md: Executed notebook in ([0-9.]+) seconds", log)
    print(f"cold build (executes every chapter): {cold:7.1f} s")
    print(f"no-change rebuild (--all, cached):    {cached:7.1f} s")
    print(f"ratio cold / cached:                  {cold / cached:7.1f}x")
    print(f"notebooks re-executed by the rebuild: {cached_log.count('Executing notebook')}")
    for name, seconds in sorted(chapters, key=lambda c: -float(c[1])):
        print(f"  {name:32s} {float(seconds):6.1f} s")


if __name__ == "__main__":
    main()
