"""Kernel start: what each way of starting an isolated grading kernel costs, until the kernel answers.

    .venv/bin/python benchmarks/kernel_start.py            # 10 kernels per way; as root: isolation by uid
    .venv/bin/python benchmarks/kernel_start.py --as-user  # (run as root) the same as an unprivileged uid

Ways: forked from the fork server without isolation; forked and isolated as the grader does
(`isolation.mode()`: uid as root, a user namespace otherwise); a new interpreter through
`python -m grading.launcher` with the same isolation; and a new interpreter inside bubblewrap
(`bwrap`, Debian's `bubblewrap`, when installed) with the same kind of view (read-only root,
tmpfs over /tmp, the kernel's folder writable, no network, its own pid namespace and /proc).
Prints the mean wall time per kernel, from the request to the kernel's first reply, and each
way's ratio to the grader's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from grading.forkserver import ForkedKernel, ForkServer  # noqa: E402
from grading.isolation import default_covers, default_scratch, mode, sandbox_uid  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.watchdog import kill_sandbox  # noqa: E402


def settings_for(how: str, workdir: Path) -> dict:
    return dict(asdict(Limits()), isolation=how, uid=sandbox_uid() if how == "uid" else None, hide=[],
                keep=[str(ROOT)], cover=[*default_covers(), str(workdir.parent)], scratch=default_scratch(), give=[str(workdir)],
                env={})


def until_ready(start, workdir: Path) -> float:
    """Seconds from calling `start(connection_file)` until the kernel answers; the kernel is then killed."""
    import psutil
    from jupyter_client import BlockingKernelClient, write_connection_file

    (workdir / "ipc").mkdir(exist_ok=True)
    connection, _ = write_connection_file(str(workdir / "ipc" / "connection.json"), transport="ipc",
                                          ip=str(workdir / "ipc" / "kernel"))
    began = time.perf_counter()
    pid = start(connection)
    client = BlockingKernelClient(connection_file=connection)
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        seconds = time.perf_counter() - began
    finally:
        client.stop_channels()
    kill_sandbox(psutil.Process(pid), None)
    return seconds


def isolation_alone(how: str, times: int) -> list[float]:
    """Seconds `isolate` takes in a freshly forked process (namespaces, mounts, uid or capabilities)."""
    from grading.isolation import isolate

    found = []
    for _ in range(times):
        base = Path(tempfile.mkdtemp(prefix="rnn-bench-"))
        (base / "sandbox").mkdir()
        os.chmod(base, 0o755)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            began = time.perf_counter()
            isolate(settings_for(how, base / "sandbox"), os.getppid())
            os.write(write, str(time.perf_counter() - began).encode())
            os._exit(0)
        os.close(write)
        found.append(float(os.read(read, 100)))
        os.close(read)
        os.waitpid(pid, 0)
        shutil.rmtree(base, ignore_errors=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", type=int, default=10)
    parser.add_argument("--as-user", action="store_true", help="(root) run this benchmark as an unprivileged uid")
    args = parser.parse_args()
    if args.as_user:
        sys.path.insert(0, str(ROOT / "tests"))
        from _unprivileged import as_user, chown_tree

        home = Path(tempfile.mkdtemp(prefix="rnn-bench-home-"))
        chown_tree(home)
        command = [sys.executable, str(Path(__file__).resolve()), "--kernels", str(args.kernels)]
        env = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
        raise SystemExit(subprocess.run(as_user(command), env=env, cwd=home).returncode)

    how = mode()
    server = ForkServer()
    env = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"}
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f"]

    def forked(isolation: str):
        def start(connection: str) -> int:
            workdir = Path(connection).parent.parent
            return server.spawn({"settings": settings_for(isolation, workdir), "cmd": [*kernel, connection],
                                 "env": {**env, "HOME": str(workdir)}, "cwd": str(workdir)})
        return start

    def launched(connection: str) -> int:
        workdir = Path(connection).parent.parent
        settings = json.dumps(settings_for(how, workdir))
        return subprocess.Popen([sys.executable, "-m", "grading.launcher", settings, "--", *kernel, connection],
                                env={**env, "HOME": str(workdir), "PYTHONPATH": str(ROOT)}, cwd=workdir).pid

    def bubblewrapped(connection: str) -> int:
        workdir = Path(connection).parent.parent
        # the same launcher inside (limits, no debugger), so only the way of isolating differs
        settings = json.dumps(settings_for("none", workdir))
        command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                   "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--bind", str(workdir), str(workdir),
                   "--chdir", str(workdir), "--", sys.executable, "-m", "grading.launcher", settings, "--",
                   *kernel, connection]
        return subprocess.Popen(command, env={**env, "HOME": str(workdir), "PYTHONPATH": str(ROOT)}).pid

    ways = {"forked, no isolation": forked("none"), f"forked, isolated ({how}): the grader": forked(how),
            f"new interpreter via the launcher, isolated ({how})": launched}
    if shutil.which("bwrap"):
        ways["new interpreter in bubblewrap"] = bubblewrapped
    else:
        print("bwrap not found: install Debian's bubblewrap to compare with it")
    times: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for _ in range(args.kernels):  # interleaved, so a busy moment costs every way alike
            for name, start in ways.items():
                base = Path(tempfile.mkdtemp(prefix="rnn-bench-"))
                workdir = base / "sandbox"
                workdir.mkdir()
                os.chmod(base, 0o755)
                try:
                    times[name].append(until_ready(start, workdir))
                finally:
                    shutil.rmtree(base, ignore_errors=True)
    finally:
        server.close()
    reference = statistics.mean(times[f"forked, isolated ({how}): the grader"])
    alone = isolation_alone(how, 20)
    print(f"isolate() alone in a forked process ({how}): mean {statistics.mean(alone) * 1000:.1f} ms, "
          f"min {min(alone) * 1000:.1f} ms")
    print(f"kernel start, mean of {args.kernels}, uid {os.getuid()}, isolation {how}:")
    for name, values in times.items():
        mean = statistics.mean(values)
        print(f"  {name:55s} {mean * 1000:7.0f} ms  (x{mean / reference:.2f}; min {min(values) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
