"""`make release` publishes release/<id>/ in one rename: a book build, or a second release, running at the
same time reads the old folder or the new one, whole, never a half-written one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, tool_env

sys.path.insert(0, str(ROOT))
from grading import course as course_module  # noqa: E402
from grading.course import publish  # noqa: E402

A = "a01_rnn_from_scratch"
RELEASE = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from grading import stock
for _ in range(int(sys.argv[2])):
    stock.release([{A!r}], root=Path(sys.argv[1]))
"""


def folder(path: Path, text: str) -> Path:
    path.mkdir(parents=True)
    (path / "notebook.ipynb").write_text(text)
    (path / "data.txt").write_text(text * 3)
    return path


@pytest.mark.parametrize("exchange", [True, False], ids=["rename-exchange", "rename-aside"])
def test_publish_replaces_a_folder_whole(tmp_path, monkeypatch, exchange):
    if not exchange:  # a file system without RENAME_EXCHANGE
        monkeypatch.setattr(course_module, "_exchange", lambda a, b: False)
    target = tmp_path / "release" / A
    assert publish(folder(tmp_path / "s1", "old"), target) == target
    assert (target / "notebook.ipynb").read_text() == "old" and not (tmp_path / "s1").exists()
    publish(folder(tmp_path / "s2", "new"), target)
    assert (target / "notebook.ipynb").read_text() == "new" and (target / "data.txt").read_text() == "new" * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]  # the old folder is gone


def test_renameat2_exchange_is_available_here(tmp_path):
    """The system call publish relies on for a gap-free swap (else it falls back, still never half-written)."""
    a, b = folder(tmp_path / "a", "a"), folder(tmp_path / "b", "b")
    assert course_module._exchange(a, b) is True
    assert (a / "notebook.ipynb").read_text() == "b" and (b / "notebook.ipynb").read_text() == "a"


class Reader(threading.Thread):
    """Reads release/<id>/<id>.ipynb as fast as it can, as a book build would, and records what it saw."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.running = path, True
        self.reads, self.contents, self.problems = 0, set(), []

    def run(self):
        seen = False
        while self.running:
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                if seen:
                    self.problems.append("the released notebook vanished")
                continue
            seen = True
            self.reads += 1
            try:
                cells = json.loads(text)["cells"]
            except (json.JSONDecodeError, KeyError) as err:
                self.problems.append(f"a half-written notebook ({len(text)} bytes): {err}")
                continue
            self.contents.add(text)
            if not cells:
                self.problems.append("a notebook without cells")


def test_two_concurrent_releases_never_show_a_half_written_folder(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "exercises" / A, course / "exercises" / A)
    reader = Reader(course / "release" / A / f"{A}.ipynb")
    reader.start()
    command = [sys.executable, "-c", RELEASE, str(course), "3"]
    runs = [subprocess.Popen(command, cwd=course, env=tool_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    reader.running = False
    reader.join()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert reader.problems == [], reader.problems[:5]
    assert reader.reads > 0 and len(reader.contents) == 1  # every read saw the same, whole notebook
    release = course / "release"
    assert sorted(os.listdir(release)) == [".lock", A]  # no staging folder left behind
    assert sorted(os.listdir(release / A)) == sorted(os.listdir(ROOT / "exercises" / A))
