"""Where the sandbox's parts used to live, kept so that older imports still work.

The sandbox is split by concern: `launcher.py` (what runs in the kernel's process first),
`isolation.py` (namespaces, mounts, uid), `forkserver.py` (kernels forked from a warm process),
`watchdog.py` (memory and time limits, leftover processes), `provisioner.py` (how jupyter_client
starts the kernel) and `execute.py` (nbgrader's Execute with all of it).
"""

from __future__ import annotations

from .forkserver import ForkedKernel, ForkServer, fork_server  # noqa: F401
from .isolation import is_root, sandbox_uid  # noqa: F401
from .launcher import launch  # noqa: F401
from .watchdog import Watchdog, kernel_processes, kill_sandbox  # noqa: F401


def __getattr__(name: str):
    """`grading.sandbox.SandboxedExecute` imports nbgrader only when asked for (the launcher does not need it)."""
    if name == "SandboxedExecute":
        from .execute import SandboxedExecute

        return SandboxedExecute
    raise AttributeError(f"module 'grading.sandbox' has no attribute {name!r}")
