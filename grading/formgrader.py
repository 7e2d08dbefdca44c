"""nbgrader's formgrader on the course's gradebook, on localhost: `make formgrader` (python -m grading.formgrader).

A Jupyter server whose root is the course root (so nbgrader reads its nbgrader_config.py and
gradebook.db, and formgrader's pages find autograded/), with nbgrader's formgrader extension enabled
(nbgrader's installation enables it too; the flag makes sure). Everything the manual-grading page
loads comes from this server: formgrader's scripts and styles from the installed nbgrader package,
and MathJax from the course's _vendor/mathjax (`make install`) through grading/formgrader_templates/,
whose mathjax.html.j2 replaces nbconvert's MathJax macro for formgrader's page (nbgrader calls it
with its default url, MathJax 2 on cdnjs; offline, formgrade.js then stops at `MathJax is not
defined` before a score can be entered).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from .course import ROOT

TEMPLATES = Path(__file__).resolve().parent / "formgrader_templates"
EXTENSION = "nbgrader.server_extensions.formgrader"


def command(root: Path, *, port: int, token: str, ip: str = "127.0.0.1") -> list[str]:
    """The argv that starts formgrader on `root` at http://ip:port/formgrader (run it with cwd=root
    and env=environment())."""
    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{root} is not a course root: it has no nbgrader_config.py")
    argv = [sys.executable, "-m", "jupyter_server",
            f"--ServerApp.root_dir={root}", f"--ServerApp.ip={ip}", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", "--ServerApp.open_browser=False",
            f"--IdentityProvider.token={token}",
            # the login cookie for the whole server: formgrader's handlers give Jupyter a base_url of ""
            # (nbgrader strips its "/"), so a page opened by its own link with ?token= (a submission's
            # /formgrader/submissions/<id>/) would set a cookie only for that folder, and the page's
            # calls to /formgrader/api/ and /files/ would go to the login page
            "--IdentityProvider.cookie_options=path=/",
            f"--ServerApp.jpserver_extensions={EXTENSION}=True"]
    if os.geteuid() == 0:  # a container's root, as in CI: Jupyter refuses root unless told
        argv.append("--allow-root")
    return argv


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: `base` (os.environ) with the course's templates first on JUPYTER_PATH.

    nbconvert looks a template's files up in <jupyter data dir>/nbconvert/templates/<template name>
    (after nbgrader's own formgrade folder, which has no mathjax.html.j2), so the course's
    formgrade/mathjax.html.j2 is the one formgrader's page imports."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), env.get("JUPYTER_PATH")]))
    return env


def url(port: int, token: str, ip: str = "127.0.0.1", path: str = "formgrader") -> str:
    return f"http://{ip}:{port}/{path.lstrip('/')}?token={token}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.formgrader", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8890, help="the port on localhost (default: 8890)")
    parser.add_argument("--token", default=os.environ.get("FORMGRADER_TOKEN") or None,
                        help="the login token (default: $FORMGRADER_TOKEN, else a new random one)")
    parser.add_argument("--course", type=Path, default=ROOT, help="the course root (default: this course)")
    args = parser.parse_args(argv)
    if not (args.course / "gradebook.db").exists():
        print(f"note: {args.course / 'gradebook.db'} does not exist yet: `make grade ASSIGNMENT=<id>` "
              "creates it; formgrader shows no submissions before.", file=sys.stderr)
    if not (args.course / "_vendor" / "mathjax" / "tex-mml-chtml.js").exists():
        print("note: _vendor/mathjax is missing (`make install`): formgrader's pages will show raw TeX.",
              file=sys.stderr)
    token = args.token or secrets.token_hex(16)
    argv = command(args.course, port=args.port, token=token)
    print(f"formgrader: {url(args.port, token)}", flush=True)
    os.chdir(args.course.resolve())
    os.execve(argv[0], argv, environment())


if __name__ == "__main__":
    sys.exit(main())
