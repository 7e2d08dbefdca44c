"""Where things are in the course repository, and running nbgrader's command line inside it."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
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


def generate_assignment(assignment: str, root: Path = ROOT) -> Path:
    """`nbgrader generate_assignment ASSIGNMENT --force`, in this process; return the published release folder.

    nbgrader removes release/<id>/ and writes it file by file, so a book build or a second release
    running meanwhile could read a half-written folder. Here nbgrader writes into a fresh staging
    folder beside it (release/.staging-<id>-*/, on the same file system), and the finished folder
    replaces release/<id>/ in one rename (`publish`). The gradebook is updated as nbgrader does.
    Releases of one course take turns (a lock file, release/.lock): two of them creating the
    gradebook at once would otherwise collide in SQLite. SystemExit with nbgrader's log on failure.
    """
    import fcntl

    config = load_config(root)
    release_dir = Path(root) / config.CourseDirectory.get("release_directory", "release")
    release_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{assignment}-", dir=release_dir))
    lock = open(release_dir / ".lock", "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config.CourseDirectory.release_directory = str(staging.relative_to(root))
        outcome = nbgrader_api(root, config).generate_assignment(assignment, force=True, create=True)
        if not outcome["success"]:
            raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n{outcome.get('error', '')}\n"
                             f"{outcome.get('log', '')}")
        return publish(staging / assignment, release_dir / assignment)
    finally:
        lock.close()  # releases the lock
        shutil.rmtree(staging, ignore_errors=True)


AT_FDCWD, RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.ENOTSUP):
        return False  # a file system without the exchange: the caller falls back
    raise OSError(err, os.strerror(err), str(b))


def publish(staged: Path, target: Path) -> Path:
    """Put the finished folder `staged` at `target` in one rename; a reader sees the old or the new, whole.

    A target that exists is swapped with the staged folder in one step (RENAME_EXCHANGE) and the old
    one removed; where the file system cannot swap, the old one is renamed aside first (a reader may
    then, for a moment, find no folder, but never a half-written one). Concurrent publishers each
    leave a whole folder; the last one wins.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        try:
            os.rename(staged, target)  # no target yet: done
            return target
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        if _exchange(staged, target):
            shutil.rmtree(staged)  # it holds the old release now
            return target
        aside = staged.with_name(staged.name + ".old")
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            continue  # another publisher moved it meanwhile: try again
        shutil.rmtree(aside)
    raise RuntimeError(f"could not publish {staged} at {target}: other processes kept replacing it")
