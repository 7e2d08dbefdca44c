"""Run a student's notebook in a kernel that cannot harm the grader, the gradebook or other students.

nbgrader's `Execute` preprocessor starts an ordinary kernel as the instructor. `SandboxedExecute`
replaces it (see `worker.py`): its kernel manager starts the kernel through `launch()` below, which

- applies resource limits: address space, file size, no core dumps, a process count;
- when the grader runs as root (as CI and a grading server do): moves the kernel into a new,
  empty network namespace (no network at all) and drops to a uid of its own, so student code
  cannot write the gradebook, the reference package or any file it was not given; in a mount
  namespace of its own the course's solutions, other submissions and gradebook are hidden;
- starts a new session, so the kernel and everything it spawns can be killed together.

The kernel talks to the grader over unix sockets (`transport="ipc"`), which work across the
network namespace. A watchdog thread kills the kernel's processes when they exceed the memory
limit or the submission's time limit and records why, so the submission ends with a named error.
Without root the limits still apply; file and network isolation are then not available.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import threading
import time
from dataclasses import asdict

from .limits import Limits

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_BIND, MS_REC, MS_PRIVATE, MNT_DETACH = 1, 4096, 16384, 1 << 18, 2


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def sandbox_uid() -> int | None:
    """A uid for this worker's kernels (unique per worker process on the machine); None without root."""
    if not is_root():
        return None
    return 200_000 + os.getpid() % 100_000


# ------------------------------------------------------------------------------------------------
# The launcher: runs in the kernel's process before exec'ing the kernel
# ------------------------------------------------------------------------------------------------
def launch(settings: dict, kernel_cmd: list[str], parent: int | None = None) -> None:
    """Apply the sandbox described by `settings` to this process, then exec `kernel_cmd`.

    `parent` is the process this one must not outlive (default: the one that started it).
    """
    parent = parent if parent is not None else os.getppid()
    try:
        os.setsid()
    except PermissionError:
        pass  # jupyter_client already started us as a session leader
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (settings["address_space_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (settings["file_size_mb"] * mb,) * 2)
    uid = settings.get("uid")
    if uid is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        flags = CLONE_NEWNS | (0 if settings.get("network") else CLONE_NEWNET)
        if libc.unshare(flags) != 0:
            print(f"sandbox: unshare failed (errno {ctypes.get_errno()}); running without namespaces",
                  file=sys.stderr)
        else:
            _private_mounts(libc, settings)
        for path in settings.get("give", []):  # the kernel's own folders and its connection file
            for folder, dirs, files in os.walk(path):
                os.chown(folder, uid, uid)
                for name in files:
                    os.chown(os.path.join(folder, name), uid, uid)
        if "-f" in kernel_cmd:
            os.chown(kernel_cmd[kernel_cmd.index("-f") + 1], uid, uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (settings["max_processes"],) * 2)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    # die with the grading worker (set after setuid, which clears it); a worker killed mid-run
    # leaves no kernel behind
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the death signal was armed: it never will be
        os._exit(1)
    if kernel_cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"]:
        _become_ipykernel(kernel_cmd[3:])
    else:
        os.execv(kernel_cmd[0], kernel_cmd)


def _become_ipykernel(args: list[str]) -> None:
    """Run the IPython kernel in this process, as `python -m ipykernel_launcher ARGS` would.

    Exec'ing a new interpreter would repeat this one's start. And a grading kernel needs no
    debugger: with debugpy unavailable (as if not installed) ipykernel skips importing it, which
    was a fifth of the kernel's start-up time.
    """
    import runpy

    sys.modules["debugpy"] = None  # `import debugpy` raises ImportError; ipykernel then runs without it
    sys.argv = ["ipykernel_launcher", *args]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    encode = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def _blocked_ancestor(path: str) -> str | None:
    """The first ancestor of `path` that other users cannot traverse (e.g. /root, mode 0700)."""
    parts = os.path.abspath(path).split(os.sep)
    for i in range(2, len(parts) + 1):
        folder = os.sep.join(parts[:i])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _private_mounts(libc, settings: dict) -> None:
    """In the kernel's own mount namespace: expose the Python installation, hide the course's secrets.

    The interpreter of a pyenv/venv set-up often lives under a folder the sandbox uid cannot enter
    (/root). An empty tmpfs is mounted over that folder and only the interpreter's prefix is bound
    back into it, which also hides everything else there. Each path in `settings["hide"]`
    (the course's solutions, submissions, feedback and gradebook) is covered by an empty,
    read-only tmpfs or by /dev/null. Nothing here is visible outside the kernel.
    """
    import tempfile

    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    for prefix in {sys.base_prefix, sys.prefix}:
        blocked = _blocked_ancestor(prefix)
        if blocked is None:
            continue
        stage = tempfile.mkdtemp(prefix="sandbox-stage-")
        _mount(libc, prefix, stage, None, MS_BIND | MS_REC)
        _mount(libc, "tmpfs", blocked, "tmpfs", 0, "mode=0755")
        os.makedirs(prefix, exist_ok=True)
        _mount(libc, stage, prefix, None, MS_BIND | MS_REC)
        libc.umount2(stage.encode(), MNT_DETACH)
        os.rmdir(stage)
    for path in settings.get("hide", []):
        if os.path.isdir(path):
            _mount(libc, "tmpfs", path, "tmpfs", MS_RDONLY, "mode=0755")
        elif os.path.isfile(path):
            _mount(libc, "/dev/null", path, None, MS_BIND)


# ------------------------------------------------------------------------------------------------
# The fork server: kernels without paying for an interpreter and IPython's imports each time
# ------------------------------------------------------------------------------------------------
class ForkServer:
    """A process per grading worker that has imported ipykernel and forks a fresh kernel on request.

    Starting a kernel from scratch spent most of its CPU importing IPython and ipykernel: about
    0.45 s of every submission. The server (`python -m grading.sandbox forkserver FD`) imports them
    once; each kernel is a fork of it, so a new process with nothing of any other student's in it,
    which then applies the same sandbox as a launched kernel (`launch`) before running a line of
    student code. Only the worker holds the other end of its socket, and every forked kernel closes
    its copy first. It never imports numpy or anything a notebook could have changed.
    """

    def __init__(self):
        import socket
        import subprocess

        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen([sys.executable, "-m", "grading.sandbox", "forkserver",
                                         str(theirs.fileno())], pass_fds=[theirs.fileno()],
                                        stdin=subprocess.DEVNULL)
        theirs.close()
        self.channel = ours
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, request: dict) -> int:
        """Fork a kernel as `request` describes (settings, cmd, env, cwd); return its pid."""
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
    sys.modules["debugpy"] = None  # as in `_become_ipykernel`
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


# ------------------------------------------------------------------------------------------------
# Finding and killing a kernel's processes
# ------------------------------------------------------------------------------------------------
def kernel_processes(kernel, uid: int | None) -> list:
    """Every live process of the sandbox: by uid when there is one, else the kernel and its children.

    `kernel` is a psutil.Process taken while the kernel was alive, so a later process that happens
    to get the same pid is never mistaken for it.
    """
    import psutil

    if uid is not None:
        found = []
        for proc in psutil.process_iter(["uids"]):
            uids = proc.info.get("uids")
            if uids is not None and uids.real == uid:
                found.append(proc)
        return found
    try:
        if kernel is None or not kernel.is_running():
            return []
        return [kernel, *kernel.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_sandbox(kernel, uid: int | None) -> int:
    """SIGKILL every process of the sandbox, including background processes that left the kernel.

    Nothing is signalled by a bare pid once it may have been recycled: pids come round again within
    minutes on a busy machine (pid_max is 32768 here), and a late kill by number would hit whatever
    process has it now. With a uid, the uid finds everything; without, the kernel's session is
    killed only while the kernel is alive, when its pid is still its own.
    """
    import psutil

    killed = 0
    for _ in range(3):  # a process may fork while we kill; sweep until nothing is left
        procs = kernel_processes(kernel, uid)
        if uid is None and procs:
            try:
                os.killpg(kernel.pid, signal.SIGKILL)  # the kernel's session (it called setsid)
            except (ProcessLookupError, PermissionError):
                pass
        for proc in procs:
            try:
                proc.kill()
                killed += 1
            except psutil.NoSuchProcess:
                pass
        if not procs:
            break
        psutil.wait_procs(procs, timeout=2)
    return killed


class Watchdog(threading.Thread):
    """Kills the sandbox when it uses too much memory or time; `reason` says which."""

    def __init__(self, pid: int, uid: int | None, limits: Limits, started: float):
        import psutil

        super().__init__(daemon=True)
        self.pid, self.uid, self.limits, self.started = pid, uid, limits, started
        try:
            self.kernel = psutil.Process(pid)  # taken now, while the pid is surely the kernel's
        except psutil.NoSuchProcess:
            self.kernel = None
        self.reason: str | None = None
        self.peak_rss_mb = 0.0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        import psutil

        while not self._stop_event.wait(0.2):
            rss = 0
            for proc in kernel_processes(self.kernel, self.uid):
                try:
                    rss += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
            if rss > self.limits.memory_mb * 2**20:
                self.reason = f"memory limit exceeded ({self.limits.memory_mb} MB)"
            elif time.monotonic() - self.started > self.limits.submission_timeout:
                self.reason = f"time limit exceeded ({self.limits.submission_timeout} s for the whole notebook)"
            if self.reason:
                kill_sandbox(self.kernel, self.uid)
                return


# ------------------------------------------------------------------------------------------------
# The kernel manager and the Execute preprocessor nbgrader uses
# ------------------------------------------------------------------------------------------------
# Runs in the kernel at start-up: a notebook that prints a gigabyte is cut off in the kernel itself,
# before the output crosses to the grader. (Student code could undo it; it would only cost itself time.)
OUTPUT_LIMIT_STARTUP = """
import sys


def _limit_stream(stream, budget=BUDGET):
    write, state = stream.write, {"left": budget, "noted": False}

    def limited(text):
        if state["left"] <= 0:
            if not state["noted"]:
                state["noted"] = True
                write("\\n[grader: output limit reached; further output is discarded]\\n")
            return len(text)
        state["left"] -= len(text)
        return write(text if state["left"] >= 0 else text[: len(text) + state["left"]])

    stream.write = limited


for _stream in (sys.stdout, sys.stderr):
    _limit_stream(_stream)
del _stream, _limit_stream
"""


# The kernel's IPython profile: no input history database (a new SQLite file and a saving thread
# per submission, read by nobody).
KERNEL_CONFIG = "c.HistoryManager.enabled = False\n"


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class SandboxedKernelManager(AsyncKernelManager):
        """Starts the kernel through `python -m grading.sandbox launch SETTINGS -- KERNEL_CMD`."""

        sandbox_settings: dict = {}

        async def _async_pre_start_kernel(self, **kw):
            kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
            kernel_cmd = [sys.executable, "-m", "grading.sandbox", "launch",
                          json.dumps(self.sandbox_settings), "--", *kernel_cmd]
            env = dict(kw.get("env") or os.environ)
            env.update(self.sandbox_settings.get("env", {}))
            kw["env"] = env
            return kernel_cmd, kw

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            """Fork the kernel from this worker's fork server (see `ForkServer`); else start it as a command."""
            server = fork_server() if self.sandbox_settings.get("fork", True) else None
            inner = kernel_cmd[kernel_cmd.index("--") + 1:]
            if server is None or inner[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            cwd = str(kw.get("cwd") or os.getcwd())
            try:
                pid = server.spawn({"settings": self.sandbox_settings, "cmd": inner, "env": kw["env"], "cwd": cwd})
            except OSError as err:  # the server died: this submission still gets a kernel, the slow way
                self.log.warning("kernel fork server failed (%s); starting the kernel as a command", err)
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner
            provisioner.process = ForkedKernel(pid)
            # no pgid: jupyter_client would signal the group by number even after the kernel died;
            # ForkedKernel signals its session only while it is alive
            provisioner.pid, provisioner.pgid, provisioner.cwd = pid, None, cwd
            self._reconcile_connection_info(provisioner.connection_info)

    return SandboxedKernelManager


def sandboxed_execute_class():
    """nbgrader's Execute with a sandboxed kernel, a watchdog and bounded output (built lazily)."""
    from jupyter_core.utils import run_sync
    from nbgrader.preprocessors import Execute
    from traitlets import Bool, Dict, List, Unicode

    class SandboxedExecute(Execute):
        limits = Dict({}, help="Limits (see grading.sandbox.Limits) as a dict").tag(config=True)
        workdir = Unicode("", help="Folder the kernel may write (its home, ipc sockets)").tag(config=True)
        hide = List(Unicode(), help="Paths the kernel must not see (solutions, submissions, gradebook)").tag(config=True)
        fork_kernels = Bool(True, help="Fork kernels from a fork server that has imported ipykernel").tag(config=True)
        last = None  # the latest instance: a worker grades one submission at a time and reads its watchdog

        def __init__(self, *args, **kwargs):
            kwargs["kernel_manager_class"] = _kernel_manager_class()
            super().__init__(*args, **kwargs)
            self.watchdog: Watchdog | None = None
            self._output_bytes: dict[int, int] = {}
            type(self).last = self

        def _settings(self) -> tuple[Limits, dict]:
            limits = Limits(**self.limits)
            home = os.path.join(self.workdir, "home")
            startup = os.path.join(home, ".ipython", "profile_default", "startup")
            os.makedirs(startup, exist_ok=True)
            with open(os.path.join(startup, "00-output-limit.py"), "w") as f:
                f.write(OUTPUT_LIMIT_STARTUP.replace("BUDGET", str(limits.max_stream_mb * 2**20)))
            with open(os.path.join(startup, os.pardir, "ipython_kernel_config.py"), "w") as f:
                f.write(KERNEL_CONFIG)
            settings = asdict(limits)
            settings.update(uid=sandbox_uid(), give=[self.workdir], hide=list(self.hide), fork=self.fork_kernels,
                            env={"HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
                                 "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
                                 "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"})
            return limits, settings

        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            limits, settings = self._settings()
            cwd = self.resources.get("metadata", {}).get("path") if hasattr(self, "resources") else None
            if cwd:
                settings["give"].append(cwd)
            km.sandbox_settings = settings
            km.transport = "ipc"
            km.ip = os.path.join(self.workdir, "ipc", "kernel")
            os.makedirs(os.path.dirname(km.ip), exist_ok=True)
            km.connection_file = os.path.join(self.workdir, "ipc", "connection.json")
            self._limits = limits
            return km

        async def async_start_new_kernel(self, **kwargs):
            await super().async_start_new_kernel(**kwargs)
            pid = self.km.provisioner.process.pid
            self.watchdog = Watchdog(pid, self.km.sandbox_settings.get("uid"), self._limits, time.monotonic())
            self.watchdog.start()

        async def _async_cleanup_kernel(self):
            try:
                await super()._async_cleanup_kernel()
            finally:
                if self.watchdog is not None:
                    self.watchdog.stop()
                    kill_sandbox(self.watchdog.kernel, self.watchdog.uid)  # background processes too

        # nbclient's sync entry points wrap the *base* class's coroutines; re-wrap ours.
        start_new_kernel = run_sync(async_start_new_kernel)
        _cleanup_kernel = run_sync(_async_cleanup_kernel)

        def output(self, outs, msg, display_id, cell_index):
            """Keep at most `max_output_kb` of text per cell, so a flood cannot fill the grader's memory."""
            budget = Limits(**self.limits).max_output_kb * 1024
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
            used = self._output_bytes.get(cell_index, 0)
            self._output_bytes[cell_index] = used + size
            if used >= budget:
                return None
            if used + size > budget and msg["msg_type"] == "stream":
                msg = dict(msg, content=dict(content, text=content["text"][: budget - used]
                                             + f"\n[output truncated: more than {budget // 1024} KB]\n"))
            return super().output(outs, msg, display_id, cell_index)

    return SandboxedExecute


def __getattr__(name: str):
    """`grading.sandbox.SandboxedExecute` is built on first use (it needs nbgrader, the launcher does not)."""
    if name == "SandboxedExecute":
        globals()[name] = sandboxed_execute_class()
        return globals()[name]
    raise AttributeError(f"module 'grading.sandbox' has no attribute {name!r}")


def main(argv: list[str]) -> None:
    """`python -m grading.sandbox launch SETTINGS_JSON -- KERNEL_CMD...` or `... forkserver FD`"""
    if len(argv) == 2 and argv[0] == "forkserver":
        serve_forks(int(argv[1]))
        return
    if len(argv) < 4 or argv[0] != "launch" or argv[2] != "--":
        raise SystemExit("usage: python -m grading.sandbox launch SETTINGS_JSON -- KERNEL_CMD... | forkserver FD")
    launch(json.loads(argv[1]), argv[3:])


if __name__ == "__main__":
    main(sys.argv[1:])
