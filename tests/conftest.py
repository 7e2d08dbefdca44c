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
