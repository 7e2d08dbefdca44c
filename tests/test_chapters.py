"""Every chapter page of the built site shows its executed outputs, its figures and the textbook's numbers.

The numbers are looked for in the *outputs* of executed cells (what the code printed), not in the
prose, so a number the text states but no cell computes does not count; and each as the whole line
that prints it with its label, so a number that merely appears somewhere in an output does not count
either.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT
from rnn_course.manifest import load

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]
HTML = ROOT / "_build" / "html"
CHAPTERS = [chapter.slug for chapter in load().chapters]

# The textbook's numbers, each as the whole output line of the cell that computes it (thousands
# separators removed): a number counts only where the code prints it with its label, not anywhere
# it happens to appear (an "11" in a dictionary, a "42" in a layer's name).
LINES = {
    "chapters/01_recurrent_cell": [r"\(10, 8\)"],
    "chapters/02_keras_shapes": [r"model\.count_params\(\) = 42", r"output shape: \(8, 3\)"],
    "chapters/04_deep_bidirectional": [r"layer 1: 3 \* \(5 \+ 3 \+ 1\) = 27", r"layer 2: 3 \* \(3 \+ 3 \+ 1\) = 21",
                                       r"total: 48 \| Keras: 48", r"Keras: 35584",
                                       r"total: 35584 \+ 3 \* 98560 = 331264"],
    "chapters/05_counting_parameters": [r"model\.count_params\(\) = 529441",
                                        r"embedding: +5000 \* 100 += 500000",
                                        r"simple_rnn: 100 \* 128 \+ 128 \* 128 \+ 128 = 12800 \+ 16384 \+ 128 = 29312",
                                        r"GRU\(reset_after=True\): +\[.*\] -> 90",
                                        r"GRU\(reset_after=False\): \[.*\] -> 81"],
    "chapters/06_lstm": [r"parameters: 108 = 4 \* units \* \(input_dim \+ units \+ 1\) = 108"],
    "chapters/07_gru": [r"GRU, reset_after=True +Keras +90 +formula +90", r"GRU, reset_after=False +Keras +81 +formula +81",
                        r"SimpleRNN +Keras +27 +formula +27", r"LSTM +Keras +108 +formula +108"],
    "chapters/08_reading_outputs": [r"forward state : \[\[0\.6303138 0\.6303138 0\.6303138\]\] shape: \(1, 3\)"],
    "chapters/11_language_model": [r"vocabulary size \(with '<pad>'\): 12", r"number of samples: 11"],
    "chapters/12_text_generation": [r"vocabulary size: 12 \| samples: 11 \| X: \(11, 5\) \| y: \(11,\)"],
}


def outputs_of(chapter: str) -> tuple[BeautifulSoup, str]:
    soup = BeautifulSoup((HTML / f"{chapter}.html").read_text(encoding="utf-8"), "html.parser")
    text = "\n".join(div.get_text() for div in soup.select("div.cell_output"))
    return soup, text


def normalised(text: str) -> str:
    return re.sub(r"(?<=\d)[,_](?=\d{3})", "", text)


def test_every_quoted_line_names_a_chapter():
    assert set(LINES) <= set(CHAPTERS), set(LINES) - set(CHAPTERS)


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
    lines = [line.strip() for line in normalised(text).splitlines()]
    for pattern in LINES.get(chapter, []):
        assert any(re.fullmatch(pattern, line) for line in lines), (
            f"{chapter}: no cell prints a line matching {pattern!r}")
