"""The launcher: what runs in a kernel's own process before the kernel, and then becomes the kernel.

`launch(settings, kernel_cmd)` starts a new session (so the kernel and everything it spawns can be
signalled together), applies the resource limits (address space, file size, no core dumps), isolates
the process (`isolation.isolate`: namespaces, mounts, uid, and a death signal so the kernel dies
with its grading worker), and then runs the kernel. It runs either in a process forked by the fork
server (`forkserver.py`) or, when there is none, as `python -m grading.launcher SETTINGS -- CMD`.
"""

from __future__ import annotations

import json
import os
import resource
import sys

from .isolation import isolate


def launch(settings: dict, kernel_cmd: list[str], parent: int | None = None) -> None:
    """Apply the sandbox described by `settings` to this process, then run `kernel_cmd` in it.

    `parent` is the process this one must not outlive (default: the one that started it).
    """
    if not kernel_cmd:
        raise ValueError("kernel_cmd is empty: expected a kernel command such as [python, -m, ipykernel_launcher, -f, FILE]")
    parent = parent if parent is not None else os.getppid()
    try:
        os.setsid()
    except PermissionError:
        pass  # jupyter_client already started us as a session leader
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (settings["address_space_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (settings["file_size_mb"] * mb,) * 2)
    if settings.get("isolation") == "uid" and "-f" in kernel_cmd:  # the connection file, before the uid changes
        settings = dict(settings, give=[*settings.get("give", []), kernel_cmd[kernel_cmd.index("-f") + 1]])
    isolate(settings, parent)  # also arms the death signal: a worker killed mid-run leaves no kernel behind
    if kernel_cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"]:
        become_ipykernel(kernel_cmd[3:], parent)
    else:
        os.execv(kernel_cmd[0], kernel_cmd)


def become_ipykernel(args: list[str], parent: int) -> None:
    """Run the IPython kernel in this process, as `python -m ipykernel_launcher ARGS` would.

    Exec'ing a new interpreter would repeat this one's start. And a grading kernel needs no
    debugger: with debugpy unavailable (as if not installed) ipykernel skips importing it, which
    was a fifth of the kernel's start-up time.

    The kernel is told its parent (`parent`, the process that started it), as jupyter_client tells
    every kernel it launches (JPY_PARENT_PID). ipykernel reads that variable when it is imported,
    which in a kernel forked from the fork server was before the fork; without a parent it takes
    itself for a terminal's `ipython kernel` and prints "Ctrl-C will not work" and how to connect
    to it to the grader's terminal, for every submission.
    """
    import runpy

    sys.modules["debugpy"] = None  # `import debugpy` raises ImportError; ipykernel then runs without it
    os.environ["JPY_PARENT_PID"] = str(parent)
    sys.argv = ["ipykernel_launcher", f"--IPKernelApp.parent_handle={parent}", *args]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


def main(argv: list[str]) -> None:
    """`python -m grading.launcher SETTINGS_JSON -- KERNEL_CMD...`"""
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: python -m grading.launcher SETTINGS_JSON -- KERNEL_CMD...")
    launch(json.loads(argv[0]), argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
