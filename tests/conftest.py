"""Shared fixtures: the repository root and one build of the book per test session."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# nbgrader opens gradebooks by running `alembic` by name: keep the venv on PATH in-process too.
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


from grading.course import tool_env  # noqa: E402,F401 -- one definition, shared with the grading tools


def xdist_group_names(item) -> list[str]:
    """The names of the `xdist_group` marks on a test, as pytest-xdist reads them."""
    return sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                   for m in item.iter_markers("xdist_group")})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make `--dist loadgroup` group again: give each grouped test's id the `@group` suffix.

    pytest-xdist 3.8 marks a test's group by rewriting `item._nodeid`, but pytest 9 builds
    `item.nodeid` from `item._id`, so the suffix is lost and every `xdist_group` is ignored: the
    tests of one group (one build of the book, one graded class per assignment) are spread over
    both workers, and each worker repeats the group's module fixture. This sets the suffix where
    pytest 9 reads it. It is one use of a private attribute; tests/test_xdist_groups.py runs a
    small suite under `-n 2 --dist loadgroup` and fails if a group is ever split again.
    """
    if not getattr(config.option, "loadgroup", False):  # only in an xdist worker of a `--dist loadgroup` run
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = xdist_group_names(item)
        if names and not item.nodeid.endswith("@" + "_".join(names)):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def book_build() -> tuple[int, str]:
    """Run `make book` once (cold on a fresh clone, cached afterwards); return (exit code, log)."""
    log_path = ROOT / "_build" / "make-book.log"
    result = subprocess.run(["make", "book"], cwd=ROOT, env=tool_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log_path.parent.mkdir(exist_ok=True)
    log_path.write_text(result.stdout)
    return result.returncode, result.stdout
