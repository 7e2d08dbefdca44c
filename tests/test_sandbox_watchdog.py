"""The watchdog kills a kernel over its memory or time limit and hands its verdict to the worker as a file."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from grading.limits import Limits
from grading.watchdog import Verdict, Watchdog, read_verdict

ALLOCATE = "import time; big = bytearray(400 * 2**20); time.sleep(60)"


def watch(code: str, limits: Limits, tmp_path) -> tuple[Verdict, float]:
    """Watch a process running `code` (which would take 60 s); return the verdict and the seconds it lived."""
    started = time.monotonic()
    kernel = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    watchdog = Watchdog(kernel.pid, None, limits, time.monotonic(), str(tmp_path / "verdict.json"))
    watchdog.start()
    watchdog.join(timeout=30)  # it returns by itself once it has killed the sandbox
    if watchdog.is_alive():
        watchdog.stop()
    kernel.wait(timeout=10)  # (the watchdog reaped it: Popen sees no status of its own)
    return read_verdict(tmp_path / "verdict.json"), time.monotonic() - started


def test_over_the_memory_limit_the_kernel_is_killed_and_the_verdict_says_why(tmp_path):
    verdict, lived = watch(ALLOCATE, Limits(memory_mb=100, submission_timeout=60), tmp_path)
    assert verdict.reason == "memory limit exceeded (100 MB)"
    assert verdict.peak_rss_mb > 100 and lived < 30


def test_over_the_time_limit_the_kernel_is_killed_and_the_verdict_says_why(tmp_path):
    verdict, lived = watch("import time; time.sleep(60)", Limits(submission_timeout=1), tmp_path)
    assert verdict.reason == "time limit exceeded (1 s for the whole notebook)"
    assert lived < 30


def test_a_kernel_within_its_limits_gets_an_empty_verdict_and_is_cleaned_up(tmp_path):
    kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    watchdog = Watchdog(kernel.pid, None, Limits(), time.monotonic(), str(tmp_path / "verdict.json"))
    watchdog.start()
    time.sleep(0.6)
    verdict = watchdog.stop()
    assert kernel.poll() is not None  # stopping the watchdog ends what is left of the sandbox
    assert verdict.reason is None and verdict.peak_rss_mb > 0
    assert json.loads((tmp_path / "verdict.json").read_text()) == {"reason": None, "peak_rss_mb": verdict.peak_rss_mb}


def test_no_verdict_file_means_no_kernel_was_watched(tmp_path):
    assert read_verdict(tmp_path / "verdict.json") == Verdict(reason=None, peak_rss_mb=0.0)


def test_a_watchdog_needs_a_verdict_file():
    with pytest.raises(ValueError, match="verdict_path is empty"):
        Watchdog(1, None, Limits(), time.monotonic(), "")
