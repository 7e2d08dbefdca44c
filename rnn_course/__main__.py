"""`python -m rnn_course toc`: print the _toc.yml that course.yml implies (`make toc` writes it);
`python -m rnn_course toc --check`: exit 1 when _toc.yml disagrees with course.yml (`make book` runs it);
`python -m rnn_course execute [--jobs N]`: execute the book's uncached notebooks in parallel into the
build's cache before Sphinx reads them (`make book` runs it; see rnn_course/execute.py);
`python -m rnn_course i18n update|build|stats|extract|conf`: the Korean edition's message catalogues and
site (`make locales`, `make book`; see rnn_course/i18n.py)."""

from __future__ import annotations

import sys

import yaml

from .manifest import MANIFEST, load

TOC = MANIFEST.parent / "_toc.yml"

HEADER = ("# Table of contents: https://jupyterbook.org/v1/structure/toc.html\n"
          "# Generated from course.yml by `make toc` (python -m rnn_course toc): edit course.yml, not this file.\n")


def toc_text() -> str:
    return HEADER + yaml.safe_dump(load().toc(), sort_keys=False)


def main(argv: list[str]) -> int:
    if argv == ["toc"]:
        sys.stdout.write(toc_text())
        return 0
    if argv == ["toc", "--check"]:  # what `make book` runs first: a stale _toc.yml stops the build
        if TOC.is_file() and TOC.read_text(encoding="utf-8") == toc_text():
            return 0
        print(f"{TOC} disagrees with course.yml: run `make toc` and commit _toc.yml", file=sys.stderr)
        return 1
    if argv[:1] == ["execute"]:
        from .execute import main as execute

        return execute(argv[1:])
    if argv[:1] == ["i18n"]:
        from .i18n import main as i18n

        return i18n(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
