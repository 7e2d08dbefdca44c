"""The instructor command line: python -m grading {release,check,grade} ..."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate student notebooks into release/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p = sub.add_parser("check", help="run a notebook's visible tests; exit 1 if one fails")
    p.add_argument("notebook")
    p = sub.add_parser("grade", help="autograde submitted/*/ASSIGNMENT")
    p.add_argument("assignment")
    p.add_argument("--workers", type=int, default=None)
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
        from .stock import grade
        grade(args.assignment)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
