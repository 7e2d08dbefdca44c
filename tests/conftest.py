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


def tool_env() -> dict[str, str]:
    """Environment for subprocesses: the venv first on PATH, TensorFlow quiet."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


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
