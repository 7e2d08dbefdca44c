"""What the Korean edition costs: a cached English build against the Korean build, in a temporary copy.

"Cached" is the build `make book` does once every notebook has run: the execution cache is full, so
Sphinx reads every page from it and executes nothing. The copy gets this course's execution cache
(`_build/.jupyter_cache`; run `make book` first), its sources, its catalogues as they are on disk, and
the generated `release/` and `_vendor/`. Then, with a fresh Sphinx environment each:

1. the English build alone (`jupyter-book build`, as `make book` runs it);
2. the Korean build alone (`python -m rnn_course i18n build`);
3. both at once, as `make book` runs them (the Korean build on the second core);
4. a no-change rebuild of each;
5. the whole of `make book`'s recipe, cached, with a fresh Sphinx environment: the English edition alone
   (`grading release --korean off`, `rnn_course execute`, `jupyter-book build`) against both editions
   (`grading release`, which also writes release/ko/, `rnn_course execute`, then both builds at once).

Prints the times, the ratios (the issue's bound: the Korean edition adds at most 25% to a cached build)
and how many notebooks each build executed (0: the Korean build reads the English build's cache).
Run: `.venv/bin/python benchmarks/book_ko.py` (or `make bench`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_time import BIN, ROOT, copy_sources, env  # noqa: E402  -- the same copy and environment


def start(*command: str, log: Path) -> tuple[subprocess.Popen, float]:
    handle = log.open("w")
    return subprocess.Popen(command, env=env(), text=True, stdout=handle, stderr=subprocess.STDOUT), time.perf_counter()


def finish(process: subprocess.Popen, started: float, log: Path) -> tuple[float, str]:
    code = process.wait()
    elapsed = time.perf_counter() - started
    text = log.read_text()
    if code != 0:
        raise SystemExit(f"{' '.join(process.args)} failed:\n{text[-3000:]}")
    return elapsed, text


def english(book: Path, log: Path):
    return start(str(BIN / "jupyter-book"), "build", str(book), "-W", "--keep-going", log=log)


def korean(book: Path, log: Path):
    return start(sys.executable, "-m", "rnn_course", "i18n", "build", "--book", str(book), log=log)


def fresh(book: Path) -> None:
    """Forget every Sphinx environment and output; keep the execution cache."""
    for name in ("html", ".doctrees", "ko", "jupyter_execute"):
        shutil.rmtree(book / "_build" / name, ignore_errors=True)


def make_book(book: Path, logs: Path, korean_edition: bool) -> float:
    """`make book`'s steps in the copy, as the Makefile runs them (the toc check, the same either way, left
    out): the release, the execution check (every notebook cached: nothing runs), then the build(s)."""
    started = time.perf_counter()
    korean_flag = "strict" if korean_edition else "off"
    for step, command in (("release", [sys.executable, "-m", "grading", "release", "--korean", korean_flag,
                                       "--course", str(book)]),
                          ("execute", [sys.executable, "-m", "rnn_course", "execute", "--book", str(book)])):
        finish(*start(*command, log=logs / f"recipe-{step}.log"), logs / f"recipe-{step}.log")
    en = english(book, logs / "recipe-en.log")
    ko = korean(book, logs / "recipe-ko.log") if korean_edition else None
    finish(*en, logs / "recipe-en.log")
    if ko is not None:
        finish(*ko, logs / "recipe-ko.log")
    return time.perf_counter() - started


def main() -> None:
    cache = ROOT / "_build" / ".jupyter_cache"
    if not cache.is_dir():
        raise SystemExit(f"no execution cache in {cache}: run `make book` first")
    with tempfile.TemporaryDirectory(prefix="rnn-bench-ko-") as tmp:
        book, logs = Path(tmp) / "book", Path(tmp) / "logs"
        logs.mkdir()
        copy_sources(book)
        shutil.rmtree(book / "locales", ignore_errors=True)
        shutil.copytree(ROOT / "locales", book / "locales", ignore=shutil.ignore_patterns("*.mo"))
        shutil.copytree(cache, book / "_build" / ".jupyter_cache")

        t_en, log_en = finish(*english(book, logs / "en.log"), logs / "en.log")
        t_ko, log_ko = finish(*korean(book, logs / "ko.log"), logs / "ko.log")
        fresh(book)
        en, ko = english(book, logs / "en2.log"), korean(book, logs / "ko2.log")
        both_start = min(en[1], ko[1])
        finish(*en, logs / "en2.log")
        finish(*ko, logs / "ko2.log")
        t_both = time.perf_counter() - both_start
        t_en_again, _ = finish(*english(book, logs / "en3.log"), logs / "en3.log")
        t_ko_again, _ = finish(*korean(book, logs / "ko3.log"), logs / "ko3.log")

        recipe_en, recipe_both = [], []
        for _ in range(2):  # alternated, so that a slower moment of a shared machine hits both
            fresh(book)
            recipe_en.append(make_book(book, logs, korean_edition=False))
            fresh(book)
            recipe_both.append(make_book(book, logs, korean_edition=True))

    print(f"cached English build (jupyter-book, every page read from the cache): {t_en:6.1f} s")
    print(f"Korean build (language = ko, the same cache), after it:             {t_ko:6.1f} s")
    print(f"  ratio Korean / English:                                          {t_ko / t_en:6.2f}")
    print(f"  one after the other, Korean adds:                                {100 * t_ko / t_en:5.0f} %")
    print(f"both at once, as make book runs them:                               {t_both:6.1f} s")
    print(f"  Korean adds to the cached English build:                         {100 * (t_both - t_en) / t_en:5.0f} %"
          "  (the issue's bound: 25 %)")
    print(f"no-change rebuild: English {t_en_again:.1f} s, Korean {t_ko_again:.1f} s"
          f"  (one after the other, Korean adds {100 * t_ko_again / t_en_again:.0f} %)")
    for en_only, both in zip(recipe_en, recipe_both):
        print(f"make book's recipe, cached: English only {en_only:.1f} s, both editions {both:.1f} s"
              f"  (the Korean edition adds {100 * (both - en_only) / en_only:.0f} %)")
    print(f"notebooks executed: English {log_en.count('Executing notebook')}, Korean {log_ko.count('Executing notebook')}"
          f"; read from the cache by the Korean build: {log_ko.count('Using cached notebook')}")


if __name__ == "__main__":
    main()
