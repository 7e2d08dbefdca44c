"""What a sandboxed kernel can see and touch, run as root (its own uid) and as a normal user (a user namespace).

Each run forks one "kernel" from a fork server with the grader's settings (tests/_sandbox_kernel.py)
that tries to read and write the course's gradebook and submissions, its temporary course's
gradebook, another submission's temporary folder and a secret in the grader's home; to reach the
network; to uncover what is hidden; to reach the grader's files through /proc; and to leave a
process behind. Without isolation (mode "none") the same kernel does all of it, so these checks
can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from _unprivileged import as_user, chown_tree
from conftest import ROOT, tool_env

sys.path.insert(0, str(ROOT))
from grading import isolation  # noqa: E402

SCRIPT = str(ROOT / "tests" / "_sandbox_kernel.py")
SECRETS = ("real_gradebook", "submission", "temp_gradebook", "other_temp", "secret_in_home")


def run(mode: str, unprivileged: bool) -> dict:
    """The kernel's report, run by this process (`unprivileged` False) or by a normal user."""
    with tempfile.TemporaryDirectory(prefix="rnn-isolation-home-") as home:
        os.chmod(home, 0o755)
        chown_tree(Path(home))
        env = dict(tool_env(), HOME=home)
        command = [sys.executable, SCRIPT, mode]
        done = subprocess.run(as_user(command) if unprivileged else command, env=env, cwd=home,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_isolated(report: dict) -> None:
    assert report.get("status") == "ok", f"the kernel did not run its report: {report}"
    for name in SECRETS:
        assert "secret" not in report["read_" + name], f"the kernel read {name}: {report}"
    assert report["read_repository_file"] == "secret repository_file"  # the course's code stays visible
    assert report["list_submitted"] == []
    assert report["files_after"] == {name: f"secret {name}" for name in report["files_after"]}, report
    assert "secret" not in report["grader_root"]
    assert report["write_workdir"] == report["write_cwd"] == "written"
    assert report["write_tmp"] == "written" and report["tmp_shared"] is False  # its own /tmp
    assert report["interfaces"] == ["lo"] and report["connect"] != "connected"
    assert report["umount"] is False and report["nested_umount"] is False
    assert report["background_after_cleanup"] == 0


@pytest.mark.skipif(not isolation.is_root(), reason="a uid of the sandbox's own needs root (CI runs as root)")
def test_as_root_the_kernel_gets_its_own_uid_and_sees_nothing_of_the_course():
    report = run("uid", unprivileged=False)
    check_isolated(report)
    assert 200_000 <= report["uid"] < 300_000


def user_probe() -> dict:
    """What `isolation.probe()` finds when a normal user runs it."""
    script = "import json; from grading.isolation import describe, probe; print(json.dumps(probe())); print(describe())"
    done = subprocess.run(as_user([sys.executable, "-c", script]), env=dict(tool_env(), PYTHONPATH=str(ROOT)),
                          cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=60)
    found, line = done.stdout.splitlines()[-2:]
    return dict(json.loads(found), line=line)


def test_as_a_normal_user_a_user_namespace_gives_the_same_isolation():
    probe = user_probe()
    if "error" in probe:
        pytest.skip(f"this kernel does not allow unprivileged user namespaces: {probe['error']}")
    report = run("userns", unprivileged=True)
    check_isolated(report)
    assert report["uid"] != 0 and report["pid"] == 1  # the grader's own uid; the first process of its pid namespace
    assert report["background_after_kernel"] == 0  # gone with the kernel, before any clean-up


def test_without_isolation_the_same_kernel_reaches_everything():
    """The control: mode "none" is what the checks above would see if isolation did nothing."""
    report = run("none", unprivileged=True)
    assert report["read_real_gradebook"] == "secret real_gradebook"
    assert report["read_temp_gradebook"] == "secret temp_gradebook"
    assert report["list_submitted"] == ["alice"]
    assert report["files_after"]["temp_gradebook"] == "vandalised"
    assert report["background_after_kernel"] == 1
    assert report["tmp_shared"] is True


def test_the_run_header_says_which_protections_apply():
    probe = user_probe()
    line = probe["line"]
    assert line.startswith("isolation: ") and probe["mode"] == "userns"
    if "error" not in probe:
        assert "user namespace" in line and "no network" in line and "hidden" in line
    else:
        assert "rlimits and watchdog only" in line and "not root" in line
    if isolation.is_root():
        assert isolation.mode() == "uid" and "own uid per worker" in isolation.describe()


def test_an_unknown_mode_is_named():
    with pytest.raises(ValueError, match="must be one of uid, userns, none, got 'chroot'"):
        isolation.isolate({"isolation": "chroot"}, os.getppid())


@pytest.mark.parametrize("found, expected", [
    ({"mode": "uid", "separate_uid": True, "hidden": True, "network": True, "read_only": True},
     "isolation: own uid per worker (running as root), no network, course solutions, submissions and gradebook "
     "hidden, rlimits, watchdog"),
    ({"mode": "userns", "hidden": True, "network": True, "read_only": True},
     "isolation: user namespace (not root), writes only to its own folders, no network, course solutions, "
     "submissions and gradebook hidden, rlimits, watchdog"),
    ({"mode": "userns", "error": "unshare(CLONE_NEWUSER): Operation not permitted"},
     "isolation: rlimits and watchdog only (not root, and unshare(CLONE_NEWUSER): Operation not permitted): "
     "the notebook can read and write whatever you can, and use the network"),
    ({"mode": "userns", "hidden": False, "network": False, "read_only": False},
     "isolation: user namespace (not root), NOT read-only elsewhere, network NOT separated, files NOT hidden, "
     "rlimits, watchdog"),
])
def test_the_header_says_plainly_what_holds(monkeypatch, found, expected):
    monkeypatch.setattr(isolation, "probe", lambda: found)
    assert isolation.describe() == expected
    assert isolation.mode() == ("uid" if isolation.is_root() else "none" if "error" in found else "userns")


def test_the_header_says_when_the_network_limit_keeps_the_network(monkeypatch):
    found = {"mode": "userns", "hidden": True, "network": True, "read_only": True}
    monkeypatch.setattr(isolation, "probe", lambda: found)
    assert "no network" in isolation.describe()
    kept = isolation.describe(keep_network=True)
    assert "network kept (--network)" in kept and "no network" not in kept
