"""The fork server: kernels without paying for an interpreter and IPython's imports each time.

Starting a kernel from scratch spent most of its CPU importing IPython and ipykernel: about 0.45 s
of every submission. A fork server (`python -m grading.forkserver FD`, one per grading worker)
imports them once; each kernel is a fork of it, so a new process with nothing of any other
student's in it, which then applies the same sandbox as a launched kernel (`launcher.launch`)
before running a line of student code. Only the worker holds the other end of its socket, and
every forked kernel closes its copy first. It never imports numpy or anything a notebook could
have changed. `ForkedKernel` is the handle jupyter_client polls and signals in place of a Popen.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time

from .isolation import PR_SET_PDEATHSIG
from .launcher import launch


class ForkServer:
    """A process per grading worker that has imported ipykernel and forks a fresh kernel on request."""

    def __init__(self):
        import socket
        import subprocess

        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen([sys.executable, "-P", "-m", "grading.forkserver", str(theirs.fileno())],
                                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self.channel = ours
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, request: dict) -> int:
        """Fork a kernel as `request` describes (settings, cmd, env, cwd); return its pid."""
        missing = {"settings", "cmd", "env", "cwd"} - set(request)
        if missing:
            raise ValueError(f"a fork request needs settings, cmd, env and cwd; missing {sorted(missing)}")
        with self.lock:
            _send_message(self.channel, request)
            reply = _receive_message(self.channel)
        if not reply or "pid" not in reply:
            raise OSError(f"the kernel fork server did not start a kernel: {reply}")
        return reply["pid"]

    def close(self) -> None:
        self.channel.close()
        try:
            self.process.wait(timeout=5)
        except Exception:
            self.process.kill()


_FORK_SERVER: ForkServer | None = None


def fork_server() -> ForkServer | None:
    """This process's fork server, started on first use and again if it died; None where fork is missing."""
    global _FORK_SERVER
    if not hasattr(os, "fork"):
        return None
    if _FORK_SERVER is None or not _FORK_SERVER.alive():
        _FORK_SERVER = ForkServer()
    return _FORK_SERVER


def _send_message(channel, message: dict) -> None:
    data = json.dumps(message).encode()
    channel.sendall(len(data).to_bytes(4, "big") + data)


def _receive_message(channel) -> dict | None:
    def exactly(n: int) -> bytes | None:
        chunks, left = [], n
        while left:
            chunk = channel.recv(left)
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    head = exactly(4)
    body = exactly(int.from_bytes(head, "big")) if head else None
    return json.loads(body) if body is not None else None


def serve_forks(fd: int) -> None:
    """The fork server's loop: import the kernel's code once, then fork one kernel per request."""
    import socket
    import traceback

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with its worker
    sys.modules["debugpy"] = None  # as in `launcher.become_ipykernel`
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.zmqshell  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished kernels are reaped by the system
    channel = socket.socket(fileno=fd)
    while True:
        request = _receive_message(channel)
        if request is None:
            return  # the worker has gone
        request["parent"] = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                _run_forked_kernel(request)
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
            except BaseException:
                traceback.print_exc()
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:
                        pass
                os._exit(code)
        _send_message(channel, {"pid": pid})


def _run_forked_kernel(request: dict) -> None:
    """In a fresh fork of the server: become the process `launch` would have started, then the kernel."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the student's own subprocesses are theirs to wait for
    os.closerange(3, 1 << 16)  # above all, the server's socket: a kernel must not ask for forks
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = request["cwd"]  # as `python -m ...` started in that folder would have it
    launch(request["settings"], request["cmd"], parent=request["parent"])


class ForkedKernel:
    """What jupyter_client uses of a kernel's Popen object, for a kernel forked by the fork server."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self._pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and not self._alive():
            self.returncode = -signal.SIGKILL  # its parent, the server, collected the real status
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def _alive(self) -> bool:
        if self._pidfd is not None:
            import select

            return not select.select([self._pidfd], [], [], 0)[0]
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                import subprocess

                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal the kernel's session (it called setsid), or the kernel alone; never a recycled pid."""
        if self.poll() is not None:
            return
        try:
            os.killpg(self.pid, signum)  # alive, so the number is still its own
        except OSError:  # not yet a session leader
            try:
                if self._pidfd is not None:
                    signal.pidfd_send_signal(self._pidfd, signum)
                else:
                    os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        raise SystemExit("usage: python -m grading.forkserver FD (a socket the grading worker holds the other end of)")
    serve_forks(int(sys.argv[1]))
