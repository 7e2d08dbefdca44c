"""Run a command as an unprivileged uid from a root test run, as an instructor without root would.

`as_user(cmd, uid)` returns a command that, started as root, makes a mount namespace of its own
where the Python installation and this repository are reachable by any uid (a checkout or a pyenv
under /root, mode 0700, is not: a tmpfs covers the folder that blocks them and they are bound back
into it, as `grading.isolation.cover` does for kernels), then drops to `uid` with setpriv
(util-linux) and runs `cmd`. Nothing of it is visible outside that command. Run by a normal user,
the command is returned unchanged: it already runs unprivileged.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADER_UID = 390_000 + os.getpid() % 10_000  # outside the sandbox range (200_000-299_999) the grader sweeps


def as_user(cmd: list[str], uid: int = GRADER_UID) -> list[str]:
    """`cmd` run as `uid` (see the module docstring); `cmd` itself when this process is not root."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("setpriv") is None:
        raise RuntimeError("setpriv (util-linux) is needed to run a command as an unprivileged uid")
    return [sys.executable, str(Path(__file__).resolve()), str(uid), "--", *cmd]


def chown_tree(folder: Path, uid: int = GRADER_UID) -> None:
    """Give `folder` and everything below it to `uid` (no-op when this process is not root)."""
    if os.geteuid() != 0:
        return
    for path, dirs, files in os.walk(folder):
        os.chown(path, uid, uid)
        for name in dirs + files:
            os.chown(os.path.join(path, name), uid, uid, follow_symlinks=False)


def _main(argv: list[str]) -> None:
    uid, cmd = int(argv[0]), argv[2:]
    sys.path.insert(0, str(ROOT))
    from grading import isolation

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(isolation.CLONE_NEWNS) != 0:
        raise SystemExit(f"unshare(CLONE_NEWNS) failed: {os.strerror(ctypes.get_errno())}")
    isolation._mount(libc, None, "/", None, isolation.MS_REC | isolation.MS_PRIVATE)
    keep = [sys.base_prefix, sys.prefix, str(ROOT)]
    blocked = [b for b in (isolation.blocked_ancestor(p) for p in keep) if b]
    isolation.cover(libc, blocked, keep)
    os.execvp("setpriv", ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *cmd])


if __name__ == "__main__" and len(sys.argv) > 3 and sys.argv[2] == "--":
    _main(sys.argv[1:])
