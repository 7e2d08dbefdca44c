"""Sphinx extension: what the Korean edition translates, and how the two editions meet.

Registered in _config.yml's `sphinx.config.extensions` as `rnn_course.languages`. It provides

- `Untranslatable`, a transform that keeps code, outputs and math out of the message catalogues (see
  rnn_course/i18n.py): a display-math block is never a message (Sphinx extracts one by default), and
  nothing a code cell printed is one either, except a figure's caption and its image's alt text,
  which the cell's metadata gives and which are prose. Code cells themselves are literal blocks,
  which Sphinx never extracts while `gettext_additional_targets` is empty. Inline math and code inside
  a sentence stay in the sentence's message, and the translation must keep them exactly.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

# what a code cell's output may hold that is prose written in the cell's metadata
PROSE_IN_OUTPUTS = (nodes.caption, nodes.image)


def in_cell_output(node: nodes.Node) -> bool:
    """Whether `node` sits in what a code cell printed (myst-nb's <div class="cell_output">)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.Element) and "cell_output" in parent.get("classes", ()):
            return True
        parent = parent.parent
    return False


class Untranslatable(SphinxTransform):
    """Mark display math and everything printed by a code cell (but captions and alt text) untranslatable."""

    # before Sphinx's Locale transform (20) replaces messages by their translation, and before its
    # ExtraTranslatableNodes (10) would mark literal blocks translatable if a target asked for them
    default_priority = 5

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.Element):
            if isinstance(node, nodes.math_block):
                node["translatable"] = False
            elif isinstance(node, nodes.TextElement) and not isinstance(node, PROSE_IN_OUTPUTS) \
                    and in_cell_output(node):
                node["translatable"] = False


def setup(app: Sphinx) -> dict:
    app.add_transform(Untranslatable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
