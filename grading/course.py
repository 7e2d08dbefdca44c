"""Where things are in the course repository, and running nbgrader's command line inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def assignment_ids(root: Path = ROOT) -> list[str]:
    """Every assignment: a folder exercises/<id>/ holding <id>.ipynb."""
    exercises = root / "exercises"
    return sorted(p.name for p in exercises.iterdir() if (p / f"{p.name}.ipynb").is_file())


def require_assignment(assignment: str, root: Path = ROOT) -> None:
    """Raise SystemExit with the known ids when `assignment` does not exist."""
    known = assignment_ids(root)
    if assignment not in known:
        raise SystemExit(f"unknown assignment {assignment!r}; known: {', '.join(known)}")


def tool_env() -> dict[str, str]:
    """The environment for nbgrader and kernels: the venv's bin/ first on PATH.

    nbgrader runs `alembic` by name when it opens a gradebook, so a caller that did not activate
    the venv (make, a test, a Dask worker) would otherwise fail with "No such file: 'alembic'".
    """
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def nbgrader(*args: str, root: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course root (it reads nbgrader_config.py from there)."""
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=root, text=True, capture_output=True, env=tool_env())
    if check and result.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
