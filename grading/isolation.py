"""What a kernel may see and touch: namespaces, mounts and uid, applied in the kernel's process.

`isolate(settings)` runs in the kernel's own process before any student code (see `launcher.py`).
Two ways to the same result, chosen by `mode()`:

- "uid" (the grader is root, as CI and a grading server are): new mount and network namespaces,
  then a uid of the sandbox's own, so file permissions decide what it may write;
- "userns" (a normal user, where the kernel allows unprivileged user namespaces, as Debian, Ubuntu
  and most distributions do): new user, mount, network and pid namespaces, the whole file system
  remounted read-only except the kernel's own folders, then every capability dropped; the kernel
  is the first process of a pid namespace with a /proc of its own, so whatever it starts dies
  with it (as root, the sandbox uid finds everything) and it cannot reach the grader's processes.

Either way the kernel has no network (an empty network namespace), and its mount namespace shows
an empty tmpfs over the temporary folders and the grader's home (with the Python installation,
the course repository and the kernel's own folders bound back), and over each hidden path (the
course's exercises, submissions, feedback and gradebook). Nothing here is visible outside the
kernel. "none" (neither root nor user namespaces): the limits only; `describe()` says so.

Hand-written rather than bubblewrap, because bubblewrap is exec-based: a kernel forked from the
fork server applies this in 2-6 ms as root and 8-16 ms in a user namespace, while a kernel started
inside bwrap is a new interpreter, ready in 0.78-0.98 s instead of 0.45-0.51 s (means of 8 on 2
busy cores; `benchmarks/kernel_start.py`, which measures both).
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import subprocess
import sys
import tempfile

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
SYS_MOUNT_SETATTR = 442  # the same number on every architecture (syscalls from 424 on are shared)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
LINUX_CAPABILITY_VERSION_3 = 0x20080522
MODES = ("uid", "userns", "none")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def sandbox_uid() -> int | None:
    """A uid for this worker's kernels (unique per worker process on the machine); None without root."""
    if not is_root():
        return None
    return 200_000 + os.getpid() % 100_000


def mode() -> str:
    """How this process isolates its kernels: "uid" as root, else "userns" where available, else "none"."""
    if is_root():
        return "uid"
    return "none" if "error" in probe() else "userns"  # user namespaces work here (describe() says what holds)


# ------------------------------------------------------------------------------------------------
# In the kernel's process
# ------------------------------------------------------------------------------------------------
def isolate(settings: dict, parent: int) -> None:
    """Apply `settings["isolation"]` to this (single-threaded) process; see the module docstring.

    Settings read here: isolation (one of MODES), uid (mode "uid"), network, cover (folders shown
    empty: the grader's home, the temporary course), scratch (folders shown empty but writable:
    /tmp and the like, where other submissions are graded), keep (folders inside those
    that stay visible: the course repository; the Python installation always stays), give (folders
    the kernel may write: its workdir and the notebook's folder) and hide (paths shown empty).
    It also arms the death signal that kills this process when `parent` (the grading worker's
    fork server, or the worker) dies: after a uid change, which clears it, and before a fork.
    """
    how = settings.get("isolation", "none")
    if how not in MODES:
        raise ValueError(f"settings['isolation'] must be one of {', '.join(MODES)}, got {how!r}")
    libc = ctypes.CDLL(None, use_errno=True)
    flags = CLONE_NEWNS | (0 if settings.get("network") else CLONE_NEWNET)
    if how == "userns":
        uid, gid = os.getuid(), os.getgid()
        _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | flags), "unshare(CLONE_NEWUSER)")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        scratch = private_view(libc, settings)
        _read_only_except(libc, settings.get("give", []), scratch)
        _die_with(parent)
        _become_pid_namespace_init(libc)
        _drop_capabilities(libc)
    elif how == "uid":
        if libc.unshare(flags) != 0:
            print(f"sandbox: unshare failed ({os.strerror(ctypes.get_errno())}); running without namespaces",
                  file=sys.stderr)
        else:
            private_view(libc, settings)
        _become(settings)
        _die_with(parent)
    else:
        _die_with(parent)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid program gives any of it back


def _die_with(parent: int) -> None:
    """Be killed when `parent` dies (a worker killed mid-run leaves no kernel behind)."""
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the death signal was armed: it never will be
        os._exit(1)


def _become_pid_namespace_init(libc) -> None:
    """Mode "userns": continue as the first process of the pid namespace `isolate` opened.

    This process forks; the child returns and becomes the kernel, the pid namespace's init, so
    every process the notebook starts (even one in a session of its own) is killed when the kernel
    dies, and it gets a /proc of its own: through the grader's /proc it could reach any of the
    grader's processes, and their view of the files (/proc/PID/root). This process stays as the
    kernel's parent, in its session, waits for it and exits with its status; the kernel dies with
    it (a death signal), so killing this process kills them all.
    """
    import select
    import signal

    alive = os.pipe()
    pid = os.fork()
    if pid:
        os.close(alive[0])
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt sent to the session is the kernel's
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
    os.close(alive[1])
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if select.select([alive[0]], [], [], 0)[0]:  # end of file: the parent died before the signal was armed
        os._exit(1)
    os.close(alive[0])
    _mount(libc, "proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def private_view(libc, settings: dict) -> list[str]:
    """In this process's new mount namespace: cover what the kernel must not see, keep what it needs.

    Returns the scratch folders now covered by a private, writable tmpfs (/tmp and the like).
    """
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    keep = [p for p in (sys.base_prefix, sys.prefix, *settings.get("keep", []), *settings.get("give", []))
            if os.path.isdir(p)]
    covers = {blocked_ancestor(p) for p in keep} | set(settings.get("cover", [])) | set(settings.get("scratch", []))
    covered = cover(libc, [c for c in covers if c and c != "/" and os.path.isdir(c)], keep,
                    scratch=settings.get("scratch", []))
    for path in settings.get("hide", []):
        if os.path.isdir(path):
            _mount(libc, "tmpfs", path, "tmpfs", MS_RDONLY, "mode=0755")
        elif os.path.isfile(path):
            _mount(libc, "/dev/null", path, None, MS_BIND)
    return [c for c in covered if c in {os.path.realpath(s) for s in settings.get("scratch", [])}]


def cover(libc, folders: list[str], keep: list[str], scratch: list[str] = ()) -> list[str]:
    """Mount an empty tmpfs over each of `folders`; bind each path of `keep` inside one back at its place.

    A folder of `scratch` gets a tmpfs anyone may write (mode 1777, like /tmp), the others one only
    root may. Returns the folders covered (a folder inside another is not covered twice). Also used
    by the tests to start a grader as an unprivileged uid in a root-owned checkout.
    """
    folders = sorted({os.path.realpath(f) for f in folders})
    folders = [f for f in folders if not any(_inside(f, g) for g in folders if g != f)]
    keep = sorted({os.path.realpath(k) for k in keep})
    keep = [k for k in keep if any(_inside(k, f) for f in folders) and not any(_inside(k, j) for j in keep if j != k)]
    held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in keep]  # reachable once covered
    scratch = {os.path.realpath(s) for s in scratch}
    for folder in folders:
        _mount(libc, "tmpfs", folder, "tmpfs", 0, "mode=1777" if folder in scratch else "mode=0755")
    for path, fd in held:
        os.makedirs(path, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    return folders


def default_covers() -> list[str]:
    """Folders a kernel sees empty: the grader's home (what the kernel needs of it is bound back)."""
    return [os.path.expanduser("~")]


def default_scratch() -> list[str]:
    """Temporary folders a kernel sees empty but may write (other submissions being graded are there)."""
    return [tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"]


def _read_only_except(libc, writable: list[str], scratch: list[str]) -> None:
    """Every mount read-only, then `writable` bound over itself read-write, and `scratch` (the private
    tmpfs over /tmp and the like, not what is bound back inside) writable again."""
    _mount_setattr(libc, "/", set_=MOUNT_ATTR_RDONLY)
    for path in writable:
        _mount(libc, path, path, None, MS_BIND | MS_REC)
        _mount_setattr(libc, path, clear=MOUNT_ATTR_RDONLY)
    for path in scratch:
        _mount_setattr(libc, path, clear=MOUNT_ATTR_RDONLY, recursive=False)


def _become(settings: dict) -> None:
    """Root only: hand the kernel its folders and become the sandbox uid (which drops every capability)."""
    import resource

    uid = settings["uid"]
    for path in settings.get("give", []):
        if os.path.isfile(path):
            os.chown(path, uid, uid)
        for folder, _, files in os.walk(path):
            os.chown(folder, uid, uid)
            for name in files:
                os.chown(os.path.join(folder, name), uid, uid)
    resource.setrlimit(resource.RLIMIT_NPROC, (settings["max_processes"],) * 2)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _drop_capabilities(libc) -> None:
    """The user namespace gave this process every capability in it: keep none (it could unmount the covers)."""
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable, twice: all empty
    _check(libc.capset(header, data), "capset")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    encode = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    _check(libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {source} on {target}")


def _mount_setattr(libc, path: str, set_: int = 0, clear: int = 0, recursive: bool = True) -> None:
    attr = (ctypes.c_uint64 * 4)(set_, clear, 0, 0)  # struct mount_attr
    _check(libc.syscall(ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD), path.encode(),
                        ctypes.c_uint(AT_RECURSIVE if recursive else 0), attr, ctypes.c_size_t(ctypes.sizeof(attr))),
           f"mount_setattr {path}")


def _check(code: int, what: str) -> None:
    if code != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def blocked_ancestor(path: str) -> str | None:
    """The first ancestor of `path` that other users cannot traverse (e.g. /root, mode 0700)."""
    parts = os.path.abspath(path).split(os.sep)
    for i in range(2, len(parts) + 1):
        folder = os.sep.join(parts[:i])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


# ------------------------------------------------------------------------------------------------
# What this machine allows: probed once per process by isolating a short-lived child
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def probe() -> dict:
    """Which protections `isolate` achieves here, found by trying: {"mode", "network", "hidden", "read_only", ...}."""
    how = "uid" if is_root() else "userns"
    with tempfile.TemporaryDirectory(prefix="rnn-probe-") as tmp:
        os.chmod(tmp, 0o755)
        secret, own = os.path.join(tmp, "secret"), os.path.join(tmp, "own")
        with open(secret, "w") as f:
            f.write("secret")
        os.mkdir(own)
        settings = {"isolation": how, "uid": sandbox_uid(), "max_processes": 64, "network": False,
                    "cover": default_covers(), "scratch": default_scratch(), "hide": [secret], "give": [own],
                    "keep": [tmp]}
        try:
            done = subprocess.run([sys.executable, "-m", "grading.isolation", "probe", json.dumps(settings)],
                                  capture_output=True, text=True, timeout=30,
                                  cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            found = json.loads(done.stdout.strip().splitlines()[-1])
        except Exception as err:  # could not even try: report it as nothing
            found = {"error": f"{type(err).__name__}: {err}"}
    return {"mode": how, **found}


def _probe_child(settings: dict) -> dict:
    """In the probe's child: isolate as a kernel would, then test what holds."""
    import socket

    try:
        isolate(settings, os.getppid())
    except OSError as err:
        return {"error": str(err)}
    found = {"separate_uid": os.getuid() != 0 and settings["isolation"] == "uid"}
    try:
        found["hidden"] = open(settings["hide"][0]).read() != "secret"
    except OSError:
        found["hidden"] = True
    found["network"] = sorted(name for _, name in socket.if_nameindex()) == ["lo"]
    try:
        with open(os.path.join(settings["give"][0], "x"), "w") as f:
            f.write("x")
        found["writes_own_folder"] = True
    except OSError:
        found["writes_own_folder"] = False
    try:
        open(os.path.join(settings["keep"][0], "elsewhere"), "w").close()
        found["read_only"] = False
    except OSError:
        found["read_only"] = True
    return found


def describe(keep_network: bool = False) -> str:
    """One line for the run's header: which protections the kernels get on this machine.

    `keep_network` is the `network` limit: the kernels then keep the network, and the line says so.
    """
    found = probe()
    if "error" in found and found["mode"] == "uid":
        return f"isolation: own uid per worker, rlimits, watchdog (root, but namespaces failed: {found['error']})"
    if found["mode"] == "uid":
        parts = ["own uid per worker (running as root)"]
    elif "error" not in found:
        parts = ["user namespace (not root)", "writes only to its own folders" if found.get("read_only")
                 else "NOT read-only elsewhere"]
    else:
        reason = found.get("error", "user namespaces are not available")
        return (f"isolation: rlimits and watchdog only (not root, and {reason}): the notebook can read and write "
                "whatever you can, and use the network")
    network = ("network kept (--network)" if keep_network
               else "no network" if found.get("network") else "network NOT separated")
    parts += [network,
              "course solutions, submissions and gradebook hidden" if found.get("hidden") else "files NOT hidden",
              "rlimits", "watchdog"]
    return "isolation: " + ", ".join(parts)


if __name__ == "__main__":
    if sys.argv[1:2] != ["probe"] or len(sys.argv) != 3:
        raise SystemExit("usage: python -m grading.isolation probe SETTINGS_JSON")
    print(json.dumps(_probe_child(json.loads(sys.argv[2]))))
