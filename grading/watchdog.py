"""The watchdog: kills a kernel's processes when they use too much memory or time, and says why.

It runs as a thread of the grading worker while a submission's kernel is alive. Its verdict (why
it killed the sandbox, if it did, and the peak memory it saw) is written to a JSON file the worker
names (outside anything the kernel can write) and read back with `read_verdict` once nbgrader is
done with the notebook. `kill_sandbox` also ends whatever a kernel left running when it is shut down.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass

from .limits import Limits


@dataclass
class Verdict:
    reason: str | None = None      # why the sandbox was killed (a limit), None if it was not
    peak_rss_mb: float = 0.0       # the most resident memory the kernel and its children used at once


def read_verdict(path: str | os.PathLike) -> Verdict:
    """The verdict a watchdog wrote to `path`; an empty one when no kernel was watched (it never started)."""
    try:
        with open(path, encoding="utf-8") as f:
            return Verdict(**json.load(f))
    except FileNotFoundError:
        return Verdict()


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
    """Kills the sandbox of kernel `pid` when it uses too much memory or time; writes its verdict to `verdict_path`."""

    def __init__(self, pid: int, uid: int | None, limits: Limits, started: float, verdict_path: str):
        import psutil

        if not verdict_path:
            raise ValueError("verdict_path is empty: the watchdog needs a file to write its verdict to")
        super().__init__(daemon=True)
        self.pid, self.uid, self.limits, self.started = pid, uid, limits, started
        self.verdict_path = verdict_path
        try:
            self.kernel = psutil.Process(pid)  # taken now, while the pid is surely the kernel's
        except psutil.NoSuchProcess:
            self.kernel = None
        self.verdict = Verdict()
        self._stop_event = threading.Event()

    def stop(self) -> Verdict:
        """Stop watching, kill whatever is left of the sandbox, and return (and write) the verdict."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=10)
        kill_sandbox(self.kernel, self.uid)  # background processes too
        return self.verdict

    def run(self) -> None:
        try:
            self._watch()
        finally:
            self._write()

    def _watch(self) -> None:
        import psutil

        while not self._stop_event.wait(0.2):
            rss = 0
            for proc in kernel_processes(self.kernel, self.uid):
                try:
                    rss += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.verdict.peak_rss_mb = max(self.verdict.peak_rss_mb, rss / 2**20)
            if rss > self.limits.memory_mb * 2**20:
                self.verdict.reason = f"memory limit exceeded ({self.limits.memory_mb} MB)"
            elif time.monotonic() - self.started > self.limits.submission_timeout:
                self.verdict.reason = (f"time limit exceeded ({self.limits.submission_timeout} s "
                                       "for the whole notebook)")
            if self.verdict.reason:
                kill_sandbox(self.kernel, self.uid)
                return

    def _write(self) -> None:
        temporary = f"{self.verdict_path}.part"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(asdict(self.verdict), f)
        os.replace(temporary, self.verdict_path)
