"""What was graded, with which grader: the fingerprint of the grader, the ledger, and the run's log.

`grader_key` hashes everything besides a submission that decides its grade; the ledger
(reports/<id>/ledger.jsonl) records each finished submission with the fingerprint it was graded
under, so a re-run grades only what is new or changed; `RunLog` (reports/<id>/grading.log) keeps
every outcome and why each error happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from .course import ROOT
from .limits import Limits
from .worker import Result

GRADER_FILES = ["nbgrader_config.py"]  # and every module of grading/ (see grader_key)


def grader_key(root: Path, assignment: str, limits: Limits | None = None) -> str:
    """A hash of what decides a grade besides the submission: the source notebook, the checks, the
    grader's code and configuration, and the limits (a run with a changed limit re-grades everyone)."""
    digest = hashlib.sha256()
    limits = limits or Limits()
    digest.update(json.dumps(limits.as_dict(), sort_keys=True).encode() + b"\0")
    paths = [root / "exercises" / assignment / f"{assignment}.ipynb"]
    paths += [ROOT / name for name in GRADER_FILES]
    paths += sorted((ROOT / "grading").glob("*.py"))
    # the reference package, less the other assignments' check modules (no check imports another's):
    # adding or changing one assignment's checks does not re-grade the others
    package = ROOT / "solutions" / "rnn_reference"
    paths += sorted(p for p in package.rglob("*.py")
                    if not (p.parent.name == "checks" and p.name.startswith("a") and p.stem != assignment))
    for path in paths:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Ledger:
    """reports/<assignment>/ledger.jsonl: one line per finished submission, appended and fsynced."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.latest: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash: that submission is graded again
                self.latest[entry["student"]] = entry

    def append(self, entry: dict) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.latest[entry["student"]] = entry


class RunLog:
    """reports/<assignment>/grading.log: each run's settings, every submission's outcome, and below it
    what the worker returned of nbgrader's log: for a submission that could not be graded the
    traceback and the whole log, for a graded one nbgrader's warnings (appended, flushed line by line,
    so a stopped run keeps what it wrote)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("a", encoding="utf-8")

    def write(self, text: str) -> None:
        self.file.write(text if text.endswith("\n") else text + "\n")
        self.file.flush()

    def submission(self, result: Result) -> None:
        if result.status == "graded":
            line = f"{result.student}: graded {result.score:g}/{result.max_score:g} ({result.seconds:.1f} s)"
            lost = [f"{name} {g['auto_score']:g}/{g['max_score']:g}" for name, g in sorted(result.grades.items())
                    if g.get("auto_score") is not None and g.get("max_score") is not None
                    and g["auto_score"] < g["max_score"]]
            if lost:
                line += "; lost points: " + ", ".join(lost)
            if not result.feedback_html:
                line += "; no feedback page"
        else:
            line = f"{result.student}: error: {result.error} ({result.seconds:.1f} s)"
        if result.notes:
            line += "; repairs: " + "; ".join(result.notes)
        if result.log.strip():  # an error's traceback and log; a graded one's warnings
            line += "\n" + "\n".join("    | " + ln for ln in result.log.rstrip().splitlines())
        self.write(line)

    def close(self) -> None:
        self.file.close()


def utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
