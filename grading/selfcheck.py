"""`make check NOTEBOOK=path`: run a notebook's visible tests and exit non-zero when one fails.

`nbgrader validate` always exits 0; a student (or a CI job of a student's own) needs a command
whose exit code says whether the visible tests pass. The notebook is executed in a fresh kernel
in a temporary copy of its folder; the student's file is never written.
"""

from __future__ import annotations

import ast
import atexit
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .limits import Limits


@dataclass
class TestResult:
    grade_id: str
    points: float
    status: str  # "passed", "failed", "hidden"
    message: str = ""


def is_hidden_only(source: str) -> bool:
    """True when a test cell holds no code besides a docstring and comments (its tests are hidden)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    body = [node for node in tree.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    return not body


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A frame's header in IPython's traceback: "Cell In[3], line 3, in rnn_cell_step(x_t)" or "File /a.py:12, in f(x)"
_FRAME = re.compile(r"^(?:Cell In\[\d+\], line \d+|File \S.*?:\d+), in (\w+)\(", re.M)


def error_message(error: dict) -> str:
    """One line for a test cell's error output: its exception, or which function is not implemented yet.

    A function left as released raises a bare `NotImplementedError()`; "NotImplementedError: " tells
    a student nothing, so the function is named from the traceback's innermost frame.
    """
    if error.get("ename") != "NotImplementedError" or error.get("evalue"):
        return f"{error.get('ename')}: {error.get('evalue')}"
    functions = _FRAME.findall(_ANSI.sub("", "\n".join(error.get("traceback", []))))
    if functions:
        return f"`{functions[-1]}` is not implemented yet (replace its `raise NotImplementedError()` with your code)"
    return "a function this test calls is not implemented yet (it still raises NotImplementedError)"


def kernel_over_ipc(folder: Path):
    """Configuration for a kernel that talks to this process over unix sockets in `folder`.

    Over TCP (jupyter_client's default) the kernel warns on every start that it "is running over TCP
    without encryption"; unix sockets in a private temporary folder are not readable by anyone else,
    so the warning does not apply and a student's `make check` output is the tests' alone.
    """
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(folder / "kernel")  # sockets kernel-1, kernel-2, ...: absolute, not in the cwd
    return config


def run_visible_tests(path: Path, limits: Limits | None = None) -> list[TestResult]:
    """Execute the notebook at `path` and return the result of every graded test cell.

    A cell may run for `limits.cell_timeout` seconds (the grader's own limit, so a notebook that
    passes here is not cut off when graded).
    """
    limits = limits or Limits()
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"no notebook at {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # invalid JSON, not a notebook
        raise SystemExit(f"{path} is not a readable notebook: {err}") from None
    with tempfile.TemporaryDirectory(prefix="rnn-check-") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(path.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        client = NotebookClient(nb, timeout=limits.cell_timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}}, config=kernel_over_ipc(Path(tmp)))
        try:
            client.execute()
        except RuntimeError as err:  # nbclient's "Kernel died before replying to kernel_info", DeadKernelError
            atexit.unregister(client._cleanup_kernel)  # nbclient's own, left registered: it would fail at exit
            raise SystemExit(f"{path}: the notebook's kernel stopped ({err}); its own message, if it left one, "
                             "is above") from None
    results = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        grade_id, points = meta.get("grade_id", "?"), float(meta.get("points", 0))
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            results.append(TestResult(grade_id, points, "failed", error_message(errors[0])))
        elif is_hidden_only(cell.source):
            results.append(TestResult(grade_id, points, "hidden"))
        else:
            results.append(TestResult(grade_id, points, "passed"))
    return results


def main(path: str, limits: Limits | None = None) -> int:
    """Print one line per test cell and a summary; return 1 when a visible test failed."""
    results = run_visible_tests(Path(path), limits)
    if not results:
        print(f"{path}: no graded test cells found (is this an assignment notebook?)")
        return 1
    for r in results:
        label = {"passed": "PASS", "failed": "FAIL", "hidden": "hidden"}[r.status]
        note = "graded after you submit" if r.status == "hidden" else r.message
        print(f"{label:6} {r.grade_id} ({r.points:g} pt){': ' + note if note else ''}")
    passed = sum(r.status == "passed" for r in results)
    failed = sum(r.status == "failed" for r in results)
    hidden = sum(r.status == "hidden" for r in results)
    print(f"{passed} passed, {failed} failed ({hidden} hidden tests run only when graded)")
    return 1 if failed else 0
