"""The instructor command line: python -m grading {release,check,grade} ..."""

from __future__ import annotations

import argparse
import sys

from pathlib import Path

from .course import ROOT
from .limits import Limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate student notebooks into release/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p = sub.add_parser("check", help="run a notebook's visible tests; exit 1 if one fails")
    p.add_argument("notebook")
    p = sub.add_parser("grade", help="autograde submitted/*/ASSIGNMENT in parallel, isolated, resumable")
    p.add_argument("assignment")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: the cores)")
    p.add_argument("--force", action="store_true", help="re-grade submissions already graded and unchanged")
    p.add_argument("--scheduler", default=None, help="a Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--cell-timeout", type=int, default=Limits.cell_timeout, help="seconds per cell")
    p.add_argument("--submission-timeout", type=int, default=Limits.submission_timeout,
                   help="seconds per notebook")
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb, help="resident memory per kernel")
    p.add_argument("--stock", action="store_true", help="stock sequential nbgrader instead (for comparison)")
    p.add_argument("--course", type=Path, default=ROOT, help="the course folder (default: this repository)")
    args = parser.parse_args(argv)

    if args.command == "release":
        from .stock import release
        for path in release(args.assignments):
            print(f"released {path}")
        return 0
    if args.command == "check":
        from .selfcheck import main as check
        return check(args.notebook)
    if args.command == "grade":
        if args.stock:
            from .stock import grade
            grade(args.assignment, root=args.course)
            return 0
        from .pipeline import main as grade_main
        limits = Limits(cell_timeout=args.cell_timeout, submission_timeout=args.submission_timeout,
                        memory_mb=args.memory_mb)
        return grade_main(args.assignment, workers=args.workers, force=args.force, scheduler=args.scheduler,
                          limits=limits, root=args.course.resolve())
    return 2


if __name__ == "__main__":
    sys.exit(main())
