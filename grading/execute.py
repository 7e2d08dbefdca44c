"""nbgrader's Execute preprocessor with a sandboxed kernel, a watchdog and bounded output.

`worker.py` puts `SandboxedExecute` in place of nbgrader's `Execute`. It describes the sandbox
(limits, what the kernel sees and may write) as settings, hands them to the kernel manager's
provisioner (`provisioner.py`), watches the running kernel (`watchdog.py`, whose verdict goes to
`verdict_file`) and keeps each cell's output within a budget. The kernel talks to the grader over
unix sockets (`transport="ipc"`) in its workdir, which work across its network namespace.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict

from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, List, Unicode

from .course import ROOT
from .isolation import default_covers, default_scratch, mode, sandbox_uid
from .limits import Limits
from .provisioner import attach_provisioner
from .watchdog import Watchdog

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


class SandboxedExecute(Execute):
    limits = Dict({}, help="Limits (see grading.limits.Limits) as a dict").tag(config=True)
    workdir = Unicode("", help="Folder the kernel may write (its home, tmp, ipc sockets); the rest of the "
                               "folder holding it is hidden from the kernel").tag(config=True)
    hide = List(Unicode(), help="Paths the kernel must not see (solutions, submissions, gradebook)").tag(config=True)
    verdict_file = Unicode("", help="Where the watchdog writes its verdict (default: next to workdir)").tag(config=True)
    fork_kernels = Bool(True, help="Fork kernels from a fork server that has imported ipykernel").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.watchdog: Watchdog | None = None
        self.provisioner = None
        self._output_bytes: dict[int, int] = {}

    def sandbox_settings(self, cwd: str | None) -> dict:
        """What the kernel's launcher applies (see launcher.launch, isolation.isolate); writes its profile."""
        if not self.workdir:
            raise ValueError("SandboxedExecute.workdir is not set: the kernel needs a folder of its own")
        limits = Limits(**self.limits)
        home = os.path.join(self.workdir, "home")
        startup = os.path.join(home, ".ipython", "profile_default", "startup")
        os.makedirs(startup, exist_ok=True)
        os.makedirs(os.path.join(self.workdir, "tmp"), exist_ok=True)
        with open(os.path.join(startup, "00-output-limit.py"), "w") as f:
            f.write(OUTPUT_LIMIT_STARTUP.replace("BUDGET", str(limits.max_stream_mb * 2**20)))
        with open(os.path.join(startup, os.pardir, "ipython_kernel_config.py"), "w") as f:
            f.write(KERNEL_CONFIG)
        settings = asdict(limits)
        settings.update(isolation=mode(), uid=sandbox_uid(), hide=list(self.hide), keep=[str(ROOT)],
                        cover=[*default_covers(), os.path.dirname(os.path.abspath(self.workdir))],
                        scratch=default_scratch(),
                        give=[self.workdir, *([cwd] if cwd else [])],
                        env={"HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
                             "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
                             "TMPDIR": os.path.join(self.workdir, "tmp"),
                             "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"})
        return settings

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        cwd = self.resources.get("metadata", {}).get("path") if hasattr(self, "resources") else None
        settings = self.sandbox_settings(cwd)
        km.transport = "ipc"
        km.ip = os.path.join(self.workdir, "ipc", "kernel")
        os.makedirs(os.path.dirname(km.ip), exist_ok=True)
        km.connection_file = os.path.join(self.workdir, "ipc", "connection.json")
        self.provisioner = attach_provisioner(km, settings, fork=self.fork_kernels)
        return km

    async def async_start_new_kernel(self, **kwargs):
        await super().async_start_new_kernel(**kwargs)
        verdict = self.verdict_file or os.path.normpath(self.workdir) + ".verdict.json"
        self.watchdog = Watchdog(self.provisioner.pid, self.provisioner.settings.get("uid"),
                                 Limits(**self.limits), time.monotonic(), verdict)
        self.watchdog.start()

    async def _async_cleanup_kernel(self):
        try:
            await super()._async_cleanup_kernel()
        finally:
            if self.watchdog is not None:
                self.watchdog.stop()  # kills background processes too, writes the verdict

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
