"""`make test` runs `-n 2 --dist loadgroup`: the tests of one `xdist_group` must run on one worker.

The groups matter: one group builds the book once, and one graded class per assignment is graded
once; split over two workers, each repeats the group's fixture (two concurrent `make book`s, every
class graded twice). conftest.py restores the grouping pytest 9 broke in pytest-xdist 3.8; this
runs a small suite the way `make test` does and fails if a group is split again.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, tool_env

SUITE = '''
import os, pytest


def record(group):
    with open(os.environ["GROUP_LOG"], "a") as log:
        log.write(f"{group} {os.environ['PYTEST_XDIST_WORKER']}\\n")

@pytest.mark.parametrize("i", range(6))
@pytest.mark.xdist_group("one")
def test_one(i):
    record("one")

@pytest.mark.parametrize("i", range(6))
@pytest.mark.xdist_group("two")
def test_two(i):
    record("two")

@pytest.mark.parametrize("i", range(6))
def test_free(i):
    pass
'''


def test_a_group_runs_on_one_worker(tmp_path):
    (tmp_path / "test_groups.py").write_text(SUITE)
    (tmp_path / "conftest.py").write_text(  # the course's hook, loaded under another module name
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('course_conftest', {str(ROOT / 'tests' / 'conftest.py')!r})\n"
        "course_conftest = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(course_conftest)\n"
        "pytest_collection_modifyitems = course_conftest.pytest_collection_modifyitems\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
                             "-p", "no:cacheprovider", "-c", "/dev/null", "--rootdir", str(tmp_path), str(tmp_path)],
                            cwd=tmp_path, env={**tool_env(), "GROUP_LOG": str(tmp_path / "groups.log")},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    workers: dict[str, set[str]] = {}
    for line in (tmp_path / "groups.log").read_text().splitlines():
        group, worker = line.split()
        workers.setdefault(group, set()).add(worker)
    assert set(workers) == {"one", "two"}
    assert all(len(w) == 1 for w in workers.values()), f"a group ran on more than one worker: {workers}"
