"""Where things are in the course repository, and running nbgrader's command line inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manifest(root: Path = ROOT):
    """The course manifest of the course at `root`: its own course.yml, else this repository's."""
    from rnn_course.manifest import MANIFEST, load

    own = Path(root) / "course.yml"
    return load(own if own.is_file() else MANIFEST)


def assignment_ids(root: Path = ROOT) -> list[str]:
    """The assignments of the course at `root`, in course order: the manifest's, where exercises/<id>/<id>.ipynb exists."""
    return [a.id for a in manifest(root).assignments
            if (Path(root) / "exercises" / a.id / f"{a.id}.ipynb").is_file()]


def require_assignment(assignment: str, root: Path = ROOT) -> None:
    """Raise SystemExit naming the problem when `assignment` is not in the manifest or has no notebook."""
    course = manifest(root)
    if assignment not in course.assignment_ids:
        raise SystemExit(f"unknown assignment {assignment!r}; the course manifest lists: "
                         f"{', '.join(course.assignment_ids)}")
    notebook = Path(root) / "exercises" / assignment / f"{assignment}.ipynb"
    if not notebook.is_file():
        raise SystemExit(f"assignment {assignment!r} is in the manifest but {notebook} does not exist")


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


def load_config(root: Path):
    """The course's nbgrader configuration (root/nbgrader_config.py), rooted at `root`."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def nbgrader_api(root: Path, config=None):
    """nbgrader's own Python API on the course at `root`: its commands without a new interpreter each.

    A `nbgrader` command spends about 4 s of its 6 s importing; in-process the same converters run
    in a fraction of a second once nbgrader is imported.
    """
    import warnings

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from sqlalchemy.exc import SAWarning

    # nbgrader's gradebook code trips SQLAlchemy 2's autoflush warnings ("Object of type
    # <SubmittedAssignment> not in session"); nothing an instructor can act on, so not on their screen
    warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.api")
    bin_dir = os.path.dirname(sys.executable)  # nbgrader runs `alembic` by name for a new gradebook
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    config = config if config is not None else load_config(root)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def generate_assignment(assignment: str, root: Path = ROOT) -> None:
    """`nbgrader generate_assignment ASSIGNMENT --force`, in this process; SystemExit with nbgrader's log on failure."""
    outcome = nbgrader_api(root).generate_assignment(assignment, force=True, create=True)
    if not outcome["success"]:
        raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n{outcome.get('error', '')}\n"
                         f"{outcome.get('log', '')}")
