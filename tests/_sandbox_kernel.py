"""Start one sandboxed "kernel" from a fork server, as the grader does, and print what it could do (JSON).

`python tests/_sandbox_kernel.py MODE` (MODE: uid, userns, none) lays out a course (submissions and
gradebook hidden), a temporary course (its gradebook, the kernel's workdir and notebook folder),
and another submission's temporary folder, then forks a kernel that runs KERNEL below in place of
ipykernel. Run by tests/test_sandbox_isolation.py as root and as an unprivileged uid.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from grading.forkserver import ForkedKernel, ForkServer  # noqa: E402
from grading.isolation import default_covers, default_scratch, sandbox_uid  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.watchdog import kill_sandbox  # noqa: E402

KERNEL = r"""
import ctypes, json, os, socket, subprocess, sys
paths = json.loads(PATHS)
report = {"uid": os.getuid(), "pid": os.getpid()}

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as err:
        return type(err).__name__

def write(path):
    try:
        with open(path, "w") as f:
            f.write("vandalised")
        return "written"
    except OSError as err:
        return type(err).__name__

for name in ("real_gradebook", "submission", "temp_gradebook", "other_temp", "secret_in_home", "repository_file"):
    report["read_" + name] = read(paths[name])
report["list_submitted"] = os.listdir(paths["submitted"]) if os.path.isdir(paths["submitted"]) else "missing"
for name in ("real_gradebook", "temp_gradebook", "repository_file", "temp_course_file", "other_temp"):
    report["write_" + name] = write(paths[name])
report["write_workdir"] = write(os.path.join(paths["workdir"], "mine"))
report["write_cwd"] = write(os.path.join(os.getcwd(), "answer.txt"))
report["write_tmp"] = write(os.path.join("/tmp", paths["marker"]))  # a private /tmp, as a program expects
report["interfaces"] = sorted(name for _, name in socket.if_nameindex())
try:
    socket.create_connection(("10.255.255.1", 80), timeout=2).close()
    report["connect"] = "connected"
except OSError as err:
    report["connect"] = type(err).__name__
libc = ctypes.CDLL(None, use_errno=True)
report["umount"] = libc.umount2(paths["submitted"].encode(), 2) == 0
report["grader_root"] = read(f"/proc/{paths['grader_pid']}/root{paths['real_gradebook']}")
pid = os.fork()  # in a user namespace of its own, with every capability in it: still cannot uncover
if pid == 0:
    ok = libc.unshare(0x10000000 | 0x00020000) == 0 and libc.umount2(paths["submitted"].encode(), 2) == 0
    os._exit(0 if ok else 1)
report["nested_umount"] = os.waitpid(pid, 0)[1] == 0
subprocess.Popen(["sleep", paths["marker"]], start_new_session=True)  # outlives the kernel unless killed
with open(os.path.join(paths["workdir"], "report.json"), "w") as f:
    json.dump(report, f)
"""


def main(mode: str) -> dict:
    import psutil

    base = Path(tempfile.mkdtemp(prefix="rnn-isolation-"))
    course, grade = base / "course", base / "rnn-grade-bob"
    workdir, cwd = grade / "sandbox", grade / "autograded" / "bob" / "a01"
    other = Path(tempfile.mkdtemp(prefix="rnn-grade-alice-"))
    home = Path(os.path.expanduser("~"))
    for folder in (course / "submitted" / "alice" / "a01", workdir, cwd):
        folder.mkdir(parents=True)
    paths = {"real_gradebook": course / "gradebook.db", "submission": course / "submitted" / "alice" / "a01" / "a01.ipynb",
             "temp_gradebook": grade / "gradebook.db", "temp_course_file": grade / "nbgrader_config.py",
             "other_temp": other / "gradebook.db", "repository_file": course / "nbgrader_config.py",
             "secret_in_home": home / ".rnn-isolation-secret", "submitted": course / "submitted"}
    for name, path in paths.items():
        if name != "submitted":
            path.write_text(f"secret {name}")
    os.chmod(grade / "gradebook.db", 0o600)
    os.chmod(paths["secret_in_home"], 0o600)
    for folder, _, _ in [*os.walk(base), (str(other), 0, 0)]:
        os.chmod(folder, 0o755)
    marker = f"{600 + os.getpid() % 1000}.{time.time_ns() % 10**6}"
    settings = dict(asdict(Limits()), isolation=mode, uid=sandbox_uid() if mode == "uid" else None,
                    hide=[str(course / "submitted"), str(course / "gradebook.db")], keep=[str(course)],
                    cover=[*default_covers(), str(grade)], scratch=default_scratch(), give=[str(workdir), str(cwd)],
                    env={})
    arguments = {**{k: str(v) for k, v in paths.items()}, "workdir": str(workdir), "marker": marker,
                 "grader_pid": os.getpid()}
    server = ForkServer()
    from jupyter_client import BlockingKernelClient, write_connection_file

    (workdir / "ipc").mkdir()
    (workdir / "home").mkdir()
    connection, _ = write_connection_file(str(workdir / "ipc" / "connection.json"), transport="ipc",
                                          ip=str(workdir / "ipc" / "kernel"))
    try:
        # a real kernel, in the process the sandbox was applied to, as the grader runs it (no exec)
        pid = server.spawn({"settings": settings, "cmd": [sys.executable, "-m", "ipykernel_launcher", "-f", connection],
                            "env": {"PATH": os.environ["PATH"], "HOME": str(workdir / "home")}, "cwd": str(cwd)})
        kernel, handle = psutil.Process(pid), ForkedKernel(pid)
        client = BlockingKernelClient(connection_file=connection)
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive(KERNEL.replace("PATHS", repr(json.dumps(arguments))), timeout=60,
                                               output_hook=lambda msg: None)
        finally:
            client.stop_channels()
        handle.kill()  # as the grader's immediate shutdown does
        handle.wait(timeout=10)
        time.sleep(0.5)

        def leftovers():
            return [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", marker]]

        report = json.loads((workdir / "report.json").read_text()) if (workdir / "report.json").exists() else {}
        report["status"] = reply["content"]["status"]
        report["background_after_kernel"] = len(leftovers())
        kill_sandbox(kernel, settings["uid"])  # what the watchdog does when a submission is done
        report["background_after_cleanup"] = len(leftovers())
        for proc in leftovers():  # never leave one behind, whatever the test finds
            proc.kill()
        report["files_after"] = {name: path.read_text() for name, path in paths.items() if path.is_file()}
        report["tmp_shared"] = os.path.exists(os.path.join("/tmp", marker))
        if report["tmp_shared"]:
            os.unlink(os.path.join("/tmp", marker))
        return report
    finally:
        server.close()
        paths["secret_in_home"].unlink()
        import shutil

        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
