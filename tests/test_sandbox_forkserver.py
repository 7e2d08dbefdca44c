"""The kernel fork server: each kernel it forks starts clean, as a launched kernel would.

A forked kernel must hold none of the server's file descriptors (above all not the socket that
asks for forks), run in the folder and environment it was given, with stdin closed and the default
SIGCHLD handling, and in a process of its own; the handle jupyter_client polls must see it die.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import asdict

import pytest

from grading.limits import Limits
from grading.forkserver import ForkedKernel, ForkServer

REPORT = """
import json, os, signal, sys
fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))
json.dump({"fds": fds, "cwd": os.getcwd(), "env": dict(os.environ), "pid": os.getpid(), "ppid": os.getppid(),
           "stdin": os.readlink('/proc/self/fd/0'), "sigchld": signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL,
           "pgid": os.getpgid(0)}, open('report.json', 'w'))
"""


@pytest.fixture
def server():
    server = ForkServer()
    yield server
    server.close()


def settings() -> dict:
    return dict(asdict(Limits()), uid=None, give=[], hide=[], env={})


def wait_for(path, seconds=30):
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return json.loads(path.read_text())


def test_a_forked_process_starts_clean(server, tmp_path):
    env = {"PATH": os.environ["PATH"], "ONLY_THIS": "1"}
    pid = server.spawn({"settings": settings(), "cmd": [sys.executable, "-c", REPORT], "env": env,
                        "cwd": str(tmp_path)})
    report = wait_for(tmp_path / "report.json")
    assert report["pid"] == pid and report["ppid"] == server.process.pid
    assert report["pgid"] == pid  # a session of its own: the whole sandbox can be signalled at once
    assert report["cwd"] == str(tmp_path)
    assert report["env"]["ONLY_THIS"] == "1" and "PYTEST_CURRENT_TEST" not in report["env"]
    assert report["stdin"] == os.devnull and report["sigchld"]
    assert [fd for fd in report["fds"] if fd > 2] in ([], [3])  # at most listdir's own descriptor


def test_the_handle_sees_the_kernel_die(server, tmp_path, monkeypatch):
    pid = server.spawn({"settings": settings(), "cmd": [sys.executable, "-c", "import time; time.sleep(60)"],
                        "env": {"PATH": os.environ["PATH"]}, "cwd": str(tmp_path)})
    handle = ForkedKernel(pid)
    assert handle.poll() is None
    handle.send_signal(signal.SIGKILL)
    assert handle.wait(timeout=10) is not None
    assert handle.poll() is not None

    def by_number(*args):
        raise AssertionError(f"signalled a pid that may belong to another process by now: {args}")

    monkeypatch.setattr(os, "kill", by_number)  # the server reaped the kernel: its pid is free for reuse
    monkeypatch.setattr(os, "killpg", by_number)
    handle.send_signal(signal.SIGKILL)


def test_a_dead_kernel_is_never_killed_by_number(monkeypatch):
    import subprocess

    import psutil

    from grading.watchdog import kill_sandbox

    child = subprocess.Popen(["sleep", "30"], start_new_session=True)
    kernel = psutil.Process(child.pid)
    child.kill()
    child.wait()
    monkeypatch.setattr(os, "killpg", lambda *a: pytest.fail(f"killpg{a} on a dead kernel's number"))
    assert kill_sandbox(kernel, None) == 0


def test_a_kernel_dies_with_its_server(tmp_path):
    server = ForkServer()
    pid = server.spawn({"settings": settings(), "cmd": [sys.executable, "-c", "import time; time.sleep(60)"],
                        "env": {"PATH": os.environ["PATH"]}, "cwd": str(tmp_path)})
    handle = ForkedKernel(pid)
    server.process.kill()  # a grading worker killed mid-run takes its kernels with it
    assert handle.wait(timeout=10) is not None
    server.close()


def test_a_dead_server_is_reported_and_replaced(tmp_path):
    from grading import forkserver

    server = forkserver.fork_server()
    server.process.kill()
    server.process.wait()
    with pytest.raises(OSError):  # the kernel manager then starts the kernel as a command
        server.spawn({"settings": settings(), "cmd": [sys.executable, "-c", "pass"],
                      "env": {"PATH": os.environ["PATH"]}, "cwd": str(tmp_path)})
    replacement = forkserver.fork_server()
    assert replacement is not server and replacement.alive()
    replacement.close()
