"""Every chapter page of the built site shows its executed outputs, its figures and the textbook's numbers.

The numbers are looked for in the *outputs* of executed cells (what the code printed), not in the
prose, so a number the text states but no cell computes does not count.
"""

from __future__ import annotations

import re

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import ROOT

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]
HTML = ROOT / "_build" / "html"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [entry["file"] for part in TOC["parts"] for entry in part["chapters"]
            if entry["file"].startswith("chapters/")]

# numbers each chapter's executed outputs must contain (commas/underscores optional)
NUMBERS = {
    "chapters/01_recurrent_cell": ["(10, 8)"],
    "chapters/02_keras_shapes": ["42", "(8, 3)"],
    "chapters/04_deep_bidirectional": ["27", "21", "48", "35584", "331264"],
    "chapters/05_counting_parameters": ["529441", "500000", "12800", "16384", "90", "81"],
    "chapters/06_lstm": ["108"],
    "chapters/07_gru": ["90", "81"],
    "chapters/08_reading_outputs": ["0.6303"],
    "chapters/10_language_model": ["11"],
    "chapters/11_text_generation": ["11"],
}


def outputs_of(chapter: str) -> tuple[BeautifulSoup, str]:
    soup = BeautifulSoup((HTML / f"{chapter}.html").read_text(encoding="utf-8"), "html.parser")
    text = "\n".join(div.get_text() for div in soup.select("div.cell_output"))
    return soup, text


def normalised(text: str) -> str:
    return re.sub(r"(?<=\d)[,_](?=\d{3})", "", text)


def test_every_chapter_is_listed_and_built(book_build):
    assert book_build[0] == 0, book_build[1][-3000:]
    assert len(CHAPTERS) >= 1
    for chapter in CHAPTERS:
        assert (HTML / f"{chapter}.html").is_file(), f"{chapter} was not built"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_outputs_figures_and_its_numbers(book_build, chapter):
    assert book_build[0] == 0
    soup, text = outputs_of(chapter)
    cells = soup.select("div.cell")
    assert cells, f"{chapter}: no code cells"
    assert len(soup.select("div.cell_output")) >= len(cells) // 2, f"{chapter}: most cells show no output"
    figures = [img for img in soup.select("div.cell_output img") if img.get("src", "").endswith((".png", ".svg"))]
    assert figures, f"{chapter}: no figure"
    for img in figures:
        assert (HTML / chapter).parent.joinpath(img["src"]).resolve().is_file(), f"{chapter}: missing {img['src']}"
    for cell in cells:
        has_error = cell.select_one(".output.traceback, .output.error") is not None or "Traceback" in cell.get_text()
        if has_error:
            assert "tag_raises-exception" in cell.get("class", []), \
                f"{chapter}: a cell not tagged raises-exception shows an error:\n{cell.get_text()[:500]}"
    for number in NUMBERS.get(chapter, []):
        assert normalised(number) in normalised(text), f"{chapter}: no cell output shows {number}"
