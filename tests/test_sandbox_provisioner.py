"""The grader starts kernels through jupyter_client's public provisioner API, forked or launched.

`attach_provisioner` relies on one thing jupyter_client does not document: that a provisioner set
on a kernel manager before `start_kernel` is the one that starts the kernel (it picks one from the
kernel spec only when there is none). If a jupyter_client release changes that, the first test
fails and says so, instead of kernels silently starting without the sandbox.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

import psutil
import pytest
from jupyter_client.manager import AsyncKernelManager

from grading.forkserver import ForkedKernel
from grading.limits import Limits
from grading.provisioner import SandboxedProvisioner, attach_provisioner


def start_and_run(tmp_path, fork: bool, code: str) -> tuple[SandboxedProvisioner, str, list[str]]:
    """Start a kernel with our provisioner, run `code`, return (provisioner, its stdout, the kernel's command line)."""
    settings = dict(asdict(Limits()), isolation="none", give=[str(tmp_path)], env={"RNN_SANDBOXED": "yes"})

    async def go():
        km = AsyncKernelManager(kernel_name="python3")
        km.transport, km.ip = "ipc", str(tmp_path / "kernel")
        km.connection_file = str(tmp_path / "connection.json")
        provisioner = attach_provisioner(km, settings, fork=fork)
        await km.start_kernel(cwd=str(tmp_path))
        cmdline = psutil.Process(provisioner.pid).cmdline()
        client = km.client()
        client.start_channels()
        out = []
        try:
            await client.wait_for_ready(timeout=60)
            await client.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(
                msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
        finally:
            client.stop_channels()
            assert km.provisioner is provisioner, "jupyter_client replaced the sandbox's provisioner"
            await km.shutdown_kernel(now=True)
        return provisioner, "".join(out), cmdline

    return asyncio.run(go())


def test_the_provisioner_set_before_start_is_the_one_that_starts_the_kernel(tmp_path):
    provisioner, out, _ = start_and_run(tmp_path, fork=True, code="import os; print(os.environ['RNN_SANDBOXED'])")
    assert out.strip() == "yes"  # the settings' environment reached the kernel: our provisioner started it
    assert isinstance(provisioner.process, ForkedKernel) or provisioner.process is None  # None once shut down


def test_a_forked_kernel_is_a_child_of_the_fork_server(tmp_path):
    from grading.forkserver import fork_server

    _, out, _ = start_and_run(tmp_path, fork=True, code="import os; print(os.getppid())")
    assert int(out) == fork_server().process.pid


def test_without_the_fork_server_the_kernel_is_launched_through_the_launcher(tmp_path):
    _, out, cmdline = start_and_run(tmp_path, fork=False, code="import os; print(os.getsid(0) == os.getpid())")
    assert cmdline[1:4] == ["-P", "-m", "grading.launcher"] and "--" in cmdline
    assert "ipykernel_launcher" in cmdline  # the launcher became the kernel: no second interpreter
    assert out.strip() == "True"  # a session of its own


@pytest.mark.parametrize("fork", [True, False])
def test_a_grading_package_in_the_submission_is_not_the_grader(tmp_path, fork):
    """A submitted grading/ beside the notebook (the kernel's folder) is never imported as the launcher, which
    runs before the sandbox applies: had it been, its __init__ would leave a mark and stop the kernel."""
    fake = tmp_path / "grading"
    fake.mkdir()
    mark = tmp_path / "the-grader-ran-submitted-code"
    (fake / "__init__.py").write_text(f"open({str(mark)!r}, 'w').close()\nraise SystemExit(3)\n")
    (fake / "launcher.py").write_text("")
    _, out, _ = start_and_run(tmp_path, fork=fork, code="print('kernel ran')")
    assert out.strip() == "kernel ran" and not mark.exists()


def test_a_fork_request_without_its_fields_is_named():
    from grading.forkserver import ForkServer

    server = ForkServer()
    try:
        with pytest.raises(ValueError, match=r"missing \['cwd', 'env'\]"):
            server.spawn({"settings": {}, "cmd": ["true"]})
    finally:
        server.close()
