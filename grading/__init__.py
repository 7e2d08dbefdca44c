"""Instructor tooling on top of nbgrader: feedback that hides hidden tests, and the grading pipeline."""
