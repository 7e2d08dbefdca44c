"""The grader's limits: one definition (grading/limits.py), every limit settable from the command line
and from `make grade`, the same limit in the pipeline, `make check` and the stock comparison."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest

from conftest import ROOT, tool_env

sys.path.insert(0, str(ROOT))
from grading import limits as limit_options  # noqa: E402
from grading.__main__ import main as cli  # noqa: E402
from grading.limits import Limits, names  # noqa: E402

# a value for every limit that differs from its default
CHANGED = {f.name: (not f.default) if isinstance(f.default, bool) else f.default + 7
           for f in dataclasses.fields(Limits)}


def parsed(argv: list[str], monkeypatch) -> Limits:
    """The Limits `python -m grading grade ARGV` hands to the pipeline (which is not run)."""
    seen = {}

    def fake_main(assignment, *, limits, **kw):
        seen["limits"] = limits
        return 0

    monkeypatch.setattr("grading.pipeline.main", fake_main)
    assert cli(["grade", *argv]) == 0
    return seen["limits"]


def test_every_limit_is_a_documented_option(capsys):
    with pytest.raises(SystemExit):
        cli(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(Limits):
        assert limit_options.option(f.name) in text, f.name
        assert f"{limit_options.make_variable(f.name)}=" in text, f.name
        assert " ".join(f.metadata["help"].split()) in text, f.name


def test_every_limit_reaches_the_pipeline_from_the_command_line(monkeypatch):
    assert parsed(["a01_rnn_from_scratch"], monkeypatch) == Limits()
    argv = ["a01_rnn_from_scratch"]
    for name, value in CHANGED.items():
        if isinstance(value, bool):
            argv.append(limit_options.option(name) if value else "--no-" + limit_options.option(name)[2:])
        else:
            argv += [limit_options.option(name), str(value)]
    assert parsed(argv, monkeypatch) == Limits(**CHANGED)


def make_grade_command(**variables) -> list[str]:
    """The command `make grade` runs with these variables (make -n: printed, not run)."""
    out = subprocess.run(["make", "-n", "grade", "ASSIGNMENT=a01_rnn_from_scratch",
                          *(f"{k}={v}" for k, v in variables.items())],
                         cwd=ROOT, env=tool_env(), text=True, capture_output=True, check=True).stdout
    line = out.replace("\\\n", " ").splitlines()
    command = next(ln for ln in line if "-m grading grade \"a01_rnn_from_scratch\"" in ln)
    import shlex

    words = shlex.split(command)
    return words[words.index("grade") + 1:]


def test_every_limit_reaches_the_pipeline_from_make_grade(monkeypatch):
    variables = {limit_options.make_variable(name): (1 if value is True else 0 if value is False else value)
                 for name, value in CHANGED.items()}
    assert parsed(make_grade_command(**variables), monkeypatch) == Limits(**CHANGED)
    assert parsed(make_grade_command(), monkeypatch) == Limits()
    assert parsed(make_grade_command(NETWORK=1), monkeypatch).network is True


def test_make_grade_lists_every_limit():
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^LIMITS := ((?:.*\\\n)*.*)$", makefile, re.M).group(1).replace("\\\n", " ").split()
    assert listed == [limit_options.make_variable(name) for name in names()]
    usage = subprocess.run(["make", "-s", "grade"], cwd=ROOT, env=tool_env(), text=True, capture_output=True)
    assert usage.returncode == 2
    for name in names():
        assert f"[{limit_options.make_variable(name)}=" in usage.stdout


@pytest.mark.parametrize("argv, message", [
    (["--cell-timeout", "0"], "expected a positive whole number, got 0"),
    (["--memory-mb", "lots"], "expected a positive whole number, got 'lots'"),
])
def test_a_bad_limit_on_the_command_line_is_named(argv, message, capsys, monkeypatch):
    monkeypatch.setattr("grading.pipeline.main", lambda *a, **k: 0)
    with pytest.raises(SystemExit) as stop:
        cli(["grade", "a01_rnn_from_scratch", *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert argv[0] in err and message in err


@pytest.mark.parametrize("values, message", [
    ({"cell_timeout": -1}, "limit cell_timeout must be a positive whole number of seconds, got -1"),
    ({"memory_mb": 1.5}, "limit memory_mb must be a positive whole number of megabytes, got 1.5"),
    ({"max_processes": True}, "limit max_processes must be a positive whole number, got True"),
    ({"network": "no"}, "limit network must be True or False, got 'no'"),
])
def test_a_bad_limit_in_code_is_named(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Limits(**values)


def test_unknown_limits_are_named():
    with pytest.raises(ValueError, match="unknown limit\\(s\\) cpu_seconds; the limits are: cell_timeout, "):
        Limits.from_dict({"cpu_seconds": 3})
    assert Limits.from_dict(Limits(cell_timeout=3).as_dict()) == Limits(cell_timeout=3)


def test_make_check_and_stock_use_the_graders_cell_limit(monkeypatch, tmp_path):
    from grading import selfcheck, stock

    seen = []

    class FakeClient:
        def __init__(self, nb, timeout, **kw):
            seen.append(timeout)

        def execute(self):
            pass

    monkeypatch.setattr(selfcheck, "NotebookClient", FakeClient)
    notebook = ROOT / "exercises" / "a01_rnn_from_scratch" / "a01_rnn_from_scratch.ipynb"
    selfcheck.run_visible_tests(notebook)
    assert cli(["check", str(notebook), "--cell-timeout", "17"]) == 0
    assert seen == [Limits().cell_timeout, 17]

    commands = []
    monkeypatch.setattr(stock, "nbgrader", lambda *args, root: commands.append(args))
    stock.autograde_and_feedback("a01_rnn_from_scratch", tmp_path, Limits(cell_timeout=23))
    stock.autograde_and_feedback("a01_rnn_from_scratch", tmp_path)
    autograde = [c for c in commands if c[0] == "autograde"]
    assert "--Execute.timeout=23" in autograde[0]
    assert f"--Execute.timeout={Limits().cell_timeout}" in autograde[1]


def test_a_changed_limit_changes_the_grader_fingerprint():
    from grading.ledger import grader_key

    key = grader_key(ROOT, "a01_rnn_from_scratch", Limits())
    assert grader_key(ROOT, "a01_rnn_from_scratch", Limits()) == key
    assert grader_key(ROOT, "a01_rnn_from_scratch") == key
    for name, value in CHANGED.items():
        assert grader_key(ROOT, "a01_rnn_from_scratch", Limits(**{name: value})) != key, name


def test_nbgrader_run_by_hand_gets_the_same_cell_limit():
    """nbgrader_config.py reads the cell time limit from grading/limits.py, not a number of its own."""
    from grading.course import load_config

    assert load_config(ROOT).Execute.timeout == Limits().cell_timeout
