"""What `make check` tells a student about each catalogued mistake, through the real path.

    .venv/bin/python tests/visible_catch.py                       # every assignment
    .venv/bin/python tests/visible_catch.py a01_rnn_from_scratch  # one or more

Every wrong case of tests/cases/<id>.py (WRONG and MORE_WRONG) is written as a student's notebook
(the release with the source solutions, the case's cells replaced; a training cell the case leaves
alone stays as released) and run by `grading.selfcheck.run_visible_tests`, the function behind
`make check`: a fresh kernel, the hidden tests absent. It prints, per assignment, how many cases the
visible tests catch and, per case, the first failing test's message; it exits 1 when a case's claim
(`visible` / `hidden_only`) is not what the run shows or when fewer than VISIBLE_CATCH_FLOOR are caught.

tests/test_checks_notebooks.py holds the same claims in-process on every `make test`; this runs
real kernels (about a second or two per numpy case, more for Keras), and tests/test_assignments.py
runs it for one assignment so that the two paths cannot disagree unseen.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS), str(TESTS.parent)]

from cases import VISIBLE_CATCH_FLOOR, all_wrong, for_assignment, trains, training_cell  # noqa: E402
from submissions import make_submission, released_course  # noqa: E402

from grading.selfcheck import run_visible_tests  # noqa: E402
from rnn_course.manifest import load  # noqa: E402


@dataclass
class Outcome:
    case: str
    claimed_visible: bool
    failed: dict[str, str]  # visible grade_id -> message, of the tests that failed

    @property
    def caught(self) -> bool:
        return bool(self.failed)

    def agrees(self, expected_text: str) -> bool:
        if not self.claimed_visible:
            return not self.caught
        return any(expected_text in message for message in self.failed.values())


def check_assignment(assignment: str, workers: int = 2) -> tuple[list[Outcome], list[str]]:
    """Run every wrong case of `assignment` through make check; return the outcomes and the disagreements."""
    module = for_assignment(assignment)
    cases = all_wrong(module)
    with tempfile.TemporaryDirectory(prefix=f"catch-{assignment}-") as tmp:
        course = released_course(Path(tmp), assignment)
        source = course / "exercises" / assignment / f"{assignment}.ipynb"
        release = course / "release" / assignment / f"{assignment}.ipynb"
        untrained = () if training_cell(module) is None else (training_cell(module),)
        paths = []
        for index, case in enumerate(cases):
            folder = Path(tmp) / f"case{index:03d}"
            shutil.copytree(release.parent, folder)  # the data files a student downloads beside the notebook
            nb = make_submission(release, source, case.overrides, unsolved=() if trains(case, module) else untrained)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            paths.append(folder / f"{assignment}.ipynb")

        def run(path: Path) -> dict[str, str]:
            return {r.grade_id: r.message for r in run_visible_tests(path) if r.status == "failed"}

        with ThreadPoolExecutor(max_workers=workers) as pool:
            failures = list(pool.map(run, paths))
    outcomes = [Outcome(case.name, bool(case.visible), failed) for case, failed in zip(cases, failures)]
    wrong = [f"{o.case!r}: marked {'visible' if o.claimed_visible else 'hidden_only'}, make check "
             + (f"failed {sorted(o.failed)} with {list(o.failed.values())[:1]}" if o.caught else "passed")
             for o, case in zip(outcomes, cases) if not o.agrees(case.visible)]
    return outcomes, wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every one in course.yml)")
    parser.add_argument("--workers", type=int, default=2, help="notebooks run at once (default 2)")
    args = parser.parse_args(argv)
    ids = args.assignments or [a.id for a in load().assignments]
    status = 0
    rows = []
    for assignment in ids:
        outcomes, wrong = check_assignment(assignment, args.workers)
        caught = sum(o.caught for o in outcomes)
        rows.append((assignment, len(outcomes), caught))
        print(f"\n{assignment}: make check catches {caught} of {len(outcomes)} wrong cases")
        cases = {c.name: c for c in all_wrong(for_assignment(assignment))}
        for o in outcomes:
            if o.caught:
                gid, message = next(iter(o.failed.items()))
                print(f"  caught  {o.case}: {gid}: {message[:140]}")
            else:
                print(f"  hidden  {o.case}: {cases[o.case].hidden_only}")
        for line in wrong:
            print(f"  CLAIM DISAGREES  {line}")
        if wrong or caught < VISIBLE_CATCH_FLOOR * len(outcomes):
            status = 1
    print(f"\n{'assignment':28} {'wrong cases':>11} {'caught':>7} {'share':>6}")
    for assignment, total, caught in rows:
        print(f"{assignment:28} {total:11d} {caught:7d} {caught / total:6.0%}")
    return status


if __name__ == "__main__":
    sys.exit(main())
