"""`python -m rnn_course toc`: print the _toc.yml that course.yml implies (`> _toc.yml` to write it)."""

from __future__ import annotations

import sys

import yaml

from .manifest import load

HEADER = ("# Table of contents: https://jupyterbook.org/v1/structure/toc.html\n"
          "# Generated from course.yml by `python -m rnn_course toc > _toc.yml`: edit course.yml, not this file.\n")


def toc_text() -> str:
    return HEADER + yaml.safe_dump(load().toc(), sort_keys=False)


def main(argv: list[str]) -> int:
    if argv != ["toc"]:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(toc_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
