"""Import-time costs the grading processes do not need to pay.

`jsonschema` (imported by nbformat, so by nbgrader and every grading worker) imports the optional
`rfc3987_syntax` package, if installed, for its "iri" format checker. That package builds an
Earley parser for RFC 3987 when it is imported: 2.3 s of CPU, in every process that imports
nbformat, for a checker no notebook validation uses (jsonschema python-jsonschema/jsonschema#1392
and #1521 describe it). `defer_iri_grammar()` puts a stand-in module in its place whose
`is_valid_syntax` imports the real package the first time an IRI is actually checked, so the
checker behaves exactly as before, only later. (`tests/test_imports.py` checks both halves.)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

IRI_PACKAGE = "rfc3987_syntax"


def defer_iri_grammar() -> None:
    """Make importing jsonschema skip building the IRI grammar until an IRI is validated."""
    if IRI_PACKAGE in sys.modules or importlib.util.find_spec(IRI_PACKAGE) is None:
        return
    stand_in = types.ModuleType(IRI_PACKAGE, "Loads rfc3987_syntax when an IRI is first checked.")
    lock = threading.Lock()
    real: list[types.ModuleType] = []

    def is_valid_syntax(term: str, value: str) -> bool:
        with lock:
            if not real:
                if sys.modules.get(IRI_PACKAGE) is stand_in:
                    del sys.modules[IRI_PACKAGE]
                real.append(importlib.import_module(IRI_PACKAGE))
        return real[0].is_valid_syntax(term, value)

    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules[IRI_PACKAGE] = stand_in
