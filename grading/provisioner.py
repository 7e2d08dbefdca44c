"""How jupyter_client starts a grading kernel: a kernel provisioner that forks it or launches it sandboxed.

jupyter_client's public way to change how a kernel process is started is a kernel provisioner
(`LocalProvisioner` "is intended to be subclassed for customizing local kernel environments").
`SandboxedProvisioner.launch_kernel` forks the kernel from this worker's fork server
(`forkserver.py`), or, when that is not possible, runs the kernel's command through
`python -m grading.launcher`; either way the kernel applies `settings` before any student code.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Dict

from .forkserver import ForkedKernel, fork_server


class SandboxedProvisioner(LocalProvisioner):
    """A LocalProvisioner whose kernels are sandboxed as `settings` says (see `launcher.launch`)."""

    settings = Dict(help="the sandbox: limits, isolation, uid, cover, keep, give, hide, env")
    fork = Bool(True, help="fork kernels from the worker's fork server (else launch a new interpreter)")

    async def launch_kernel(self, cmd: list[str], **kwargs):
        env = dict(kwargs.get("env") or os.environ)
        env.update(self.settings.get("env", {}))
        kwargs["env"] = env
        server = fork_server() if self.fork else None
        if server is not None and cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"]:
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = server.spawn({"settings": self.settings, "cmd": cmd, "env": env, "cwd": cwd})
            except OSError as err:  # the server died: this submission still gets a kernel, the slow way
                self.log.warning("kernel fork server failed (%s); starting the kernel as a command", err)
            else:
                self.process = ForkedKernel(pid)
                # no pgid: jupyter_client would signal the group by number even after the kernel died;
                # ForkedKernel signals its session only while it is alive
                self.pid, self.pgid, self.cwd = pid, None, cwd
                return self.connection_info
        # -P: the kernel's folder (the submission's) is not put first on sys.path, so a submitted
        # grading/ package cannot stand in for the launcher, which runs before the sandbox applies
        launcher = [sys.executable, "-P", "-m", "grading.launcher", json.dumps(self.settings), "--"]
        return await super().launch_kernel(launcher + list(cmd), **kwargs)


def attach_provisioner(km, settings: dict, fork: bool = True) -> SandboxedProvisioner:
    """Make kernel manager `km` start its kernel through a new SandboxedProvisioner; return the provisioner.

    The one place that relies on jupyter_client behaviour that is not public: a provisioner is
    chosen by name from the kernel spec (an entry point) only when `km.provisioner` is None, and
    one already set is kept (`KernelManager._async_pre_start_kernel`: "will not be None on
    restarts"). tests/test_sandbox_provisioner.py fails when that changes.
    """
    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    km.provisioner = SandboxedProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km,
                                          settings=settings, fork=fork)
    return km.provisioner
