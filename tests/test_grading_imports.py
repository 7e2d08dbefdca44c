"""Grading processes defer jsonschema's IRI grammar (2.3 s per process) without changing what it checks."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

VALUES = ["http://例え.jp/π?q=1#x", "http://exa mple.com", "relative/ü", "mailto:a@b.c", ":", "ht tp://x"]
PROBE = """
import json, sys
{setup}
from jsonschema import FormatChecker
loaded_at_import = "rfc3987_syntax.syntax_helpers" in sys.modules
checker = FormatChecker()
results = [[checker.conforms(v, "iri"), checker.conforms(v, "iri-reference")] for v in {values!r}]
print(json.dumps({{"loaded_at_import": loaded_at_import, "results": results}}))
"""


def probe(setup: str) -> dict:
    code = PROBE.format(setup=setup, values=VALUES)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_importing_grading_defers_the_grammar_and_keeps_the_checker():
    stock = probe("")
    deferred = probe("import grading")
    assert stock["loaded_at_import"] is True  # if this fails, jsonschema stopped paying the cost itself
    assert deferred["loaded_at_import"] is False
    assert deferred["results"] == stock["results"]
    assert [r[0] for r in stock["results"]] == [True, False, False, True, False, False]
