"""The instructor command line: python -m grading {release,check,grade,report,export,manual,feedback} ..."""

from __future__ import annotations

import argparse
import sys

from pathlib import Path

from . import limits as limit_options
from .course import ROOT

# what a limit means outside the sandbox: `check` and `--stock` run an ordinary kernel
CHECK_LIMITS = ("cell_timeout",)
STOCK_LIMITS = ("cell_timeout",)


def course_option(parser: argparse.ArgumentParser) -> None:
    """--course, which every subcommand that reads the course takes."""
    parser.add_argument("--course", type=Path, default=ROOT, help="the course folder (default: this repository)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate student notebooks into release/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--korean", choices=["strict", "off"], default="strict",
                   help="strict (default): also write release/ko/<id>/ from locales/ko/LC_MESSAGES/exercises/, "
                        "failing on any untranslated or fuzzy message; off: English only (removes release/ko/<id>/)")
    course_option(p)
    p = sub.add_parser("check", help="run a notebook's visible tests; exit 1 if one fails")
    p.add_argument("notebook")
    limit_options.add_arguments(p, only=CHECK_LIMITS, title="limits (the grader's own)")
    p = sub.add_parser("grade", help="autograde submitted/*/ASSIGNMENT in parallel, isolated, resumable",
                       description="Autograde every new or changed submission of ASSIGNMENT. Every limit "
                                   "below is also a `make grade` variable (make grade ASSIGNMENT=<id> "
                                   "WORKERS=2 CELL_TIMEOUT=60 NETWORK=1 ...).")
    p.add_argument("assignment")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: the cores)")
    p.add_argument("--force", action="store_true", help="re-grade submissions already graded and unchanged")
    p.add_argument("--scheduler", default=None, help="a Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--stock", action="store_true",
                   help="stock sequential nbgrader instead (for comparison; of the limits only --cell-timeout applies)")
    course_option(p)
    limit_options.add_arguments(p)
    p = sub.add_parser("report", help="the class report: per test the fraction passed and the most common mistakes",
                       description="Write reports/ASSIGNMENT/grades.csv, grade_distribution.png, class_report.csv, "
                                   "mistakes.csv and class_report.png from the gradebook and the autograded "
                                   "notebooks, late penalties recomputed (make grade writes them too).")
    p.add_argument("assignment")
    course_option(p)
    p = sub.add_parser("late", help="recompute late penalties from course.yml's due date and policy; list who was late",
                       description="Set ASSIGNMENT's due date from course.yml and recompute every submission's late "
                                   "penalty in the gradebook (no notebook runs), rewrite reports/ASSIGNMENT/grades.csv "
                                   "and list the late submissions. Then make feedback shows the students.")
    p.add_argument("assignment")
    course_option(p)
    p = sub.add_parser("export", help="grades for an LMS: reports/lms/canvas_grades.csv or moodle_grades.csv",
                       description="Write the gradebook's scores (manual grades and late penalties included) as "
                                   "a Canvas gradebook import CSV or a Moodle grade import CSV into reports/lms/.")
    p.add_argument("lms", choices=["canvas", "moodle"])
    p.add_argument("--assignments", nargs="+", default=None,
                   help="assignment ids, one column each (default: every assignment in the gradebook)")
    course_option(p)
    p = sub.add_parser("manual", help="grade by hand without a browser: list what waits, set a score and comment",
                       description="Answers nbgrader's gradebook marks as needing manual grading (a03's written "
                                   "answers): `list` them, or `set` one's score and comment (then make feedback).")
    manual = p.add_subparsers(dest="manual_command", required=True)
    q = manual.add_parser("list", help="student, grade_id and points of every answer waiting")
    q.add_argument("assignment")
    course_option(q)
    q = manual.add_parser("set", help="record a score (0..the answer's points) and optionally a comment")
    q.add_argument("assignment")
    q.add_argument("student")
    q.add_argument("grade_id")
    q.add_argument("score", type=float)
    q.add_argument("--comment", default=None, help="shown to the student under the answer")
    course_option(q)
    p = sub.add_parser("feedback", help="regenerate feedback/ from autograded/ and the gradebook (after manual grading)",
                       description="Regenerate each student's feedback page through the course's exporter "
                                   "(no hidden-test source, no CDN script), e.g. after manual grading.")
    p.add_argument("assignment")
    p.add_argument("--students", nargs="+", default=None, help="only these students (default: every one graded)")
    course_option(p)
    args = parser.parse_args(argv)

    if args.command == "release":
        from .stock import release, release_translated, withdraw_translated
        for path in release(args.assignments, root=args.course.resolve()):
            print(f"released {path}")
        if args.korean == "strict":
            for path in release_translated(args.assignments, root=args.course.resolve()):
                print(f"released {path}")
        else:
            for path in withdraw_translated(args.assignments, root=args.course.resolve()):
                print(f"removed {path}: no Korean notebook in this release (--korean off)")
        return 0
    if args.command == "check":
        from .selfcheck import main as check
        return check(args.notebook, limits=limit_options.from_arguments(args, only=CHECK_LIMITS))
    if args.command == "grade":
        limits = limit_options.from_arguments(args)
        if args.stock:
            from .stock import grade
            grade(args.assignment, root=args.course, limits=limits)
            return 0
        from .pipeline import main as grade_main
        return grade_main(args.assignment, workers=args.workers, force=args.force, scheduler=args.scheduler,
                          limits=limits, root=args.course.resolve())
    if args.command == "report":
        from .reports import report
        for path in report(args.course.resolve(), args.assignment):
            print(path)
        return 0
    if args.command == "late":
        from .deadlines import main as late_main
        return late_main(args.course.resolve(), args.assignment)
    if args.command == "export":
        from .lms import export
        try:
            print(export(args.course.resolve(), args.lms, args.assignments))
        except (ValueError, FileNotFoundError) as err:
            print(f"export: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command in ("manual", "feedback"):
        from . import manual as manual_grading
        root = args.course.resolve()
        try:
            if args.command == "feedback":
                return manual_grading.main_feedback(root, args.assignment, args.students)
            if args.manual_command == "list":
                return manual_grading.main_list(root, args.assignment)
            score, points = manual_grading.set_grade(root, args.assignment, args.student, args.grade_id,
                                                     args.score, args.comment)
            print(f"{args.student} {args.grade_id}: {score:g} / {points:g} recorded; "
                  f"make feedback ASSIGNMENT={args.assignment} regenerates the feedback")
            return 0
        except manual_grading.ManualGradingError as err:
            print(f"{args.command}: {err}", file=sys.stderr)
            return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
