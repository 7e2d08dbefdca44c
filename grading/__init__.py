"""Instructor tooling on top of nbgrader: feedback that hides hidden tests, and the grading pipeline."""

from ._imports import defer_iri_grammar

defer_iri_grammar()
