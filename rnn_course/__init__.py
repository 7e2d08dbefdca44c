"""The course's own tooling that is neither the reference solutions nor the grader: its manifest and book helpers."""
