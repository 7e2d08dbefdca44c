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


# The values the source notes print, exactly as they print them, that the chapters quote. Each must be
# quoted on its chapter's page (in the prose or as the notes' constant in a cell) and printed by a cell
# at the same precision (thousands separators aside). The notes themselves are not in this repository;
# these are the values the course quotes from them (0.6303138 is the notes' forward state of the
# constant-initializer BiLSTM: Keras 3.15 prints the same digits, a float64 reference 0.6303139).
TEXTBOOK = {
    "chapters/01_recurrent_cell": ["(10, 8)"],
    "chapters/02_keras_shapes": ["42", "(8, 3)"],
    "chapters/04_deep_bidirectional": ["27", "21", "48", "35,584", "331,264"],
    "chapters/05_counting_parameters": ["529,441", "500,000"],
    "chapters/08_reading_outputs": ["0.6303138"],
    "chapters/11_language_model": ["12", "11"],
    "chapters/12_text_generation": ["12", "11", "(11, 5)"],
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


# The drawings each chapter must show where its text first needs them (rnn_reference.diagrams).
DIAGRAMS = {
    "chapters/01_recurrent_cell": ["draw_unrolled_rnn", "draw_rnn_cell"],
    "chapters/04_deep_bidirectional": ["draw_stacked_rnn", "draw_bidirectional_rnn"],
    "chapters/06_lstm": ["draw_lstm_cell"],
    "chapters/07_gru": ["draw_gru_cell"],
}


def page_of(chapter: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / f"{chapter}.html").read_text(encoding="utf-8"), "html.parser")


def heading_text(heading) -> str:
    """A heading's own words, without the book's section number and the permalink sign."""
    heading = BeautifulSoup(str(heading), "html.parser")
    for extra in heading.select("span.section-number, a.headerlink"):
        extra.decompose()
    return heading.get_text(" ", strip=True)


def folded(cell) -> bool:
    classes = cell.get("class", [])
    return "tag_hide-input" in classes or "tag_hide-cell" in classes


def test_every_diagram_names_a_chapter():
    assert set(DIAGRAMS) <= set(CHAPTERS), set(DIAGRAMS) - set(CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_has_alt_text_a_caption_a_mention_and_folded_code(book_build, chapter):
    """Each image a cell draws sits in a numbered figure with alt text and a caption, the prose refers to it,
    and the code that draws it is folded, so the page reads as text first."""
    assert book_build[0] == 0
    soup = page_of(chapter)
    images = soup.select("div.cell_output img")
    for img in images:
        where = f"{chapter}: image {img.get('src')}"
        alt = (img.get("alt") or "").strip()
        assert len(alt) >= 20 and not alt.startswith("../"), f"{where} has no alt text (mystnb.image.alt): {alt!r}"
        figure = img.find_parent("figure")
        assert figure is not None and figure.get("id"), f"{where} is not a named figure (mystnb.figure.name)"
        caption = figure.select_one("figcaption")
        assert caption is not None and len(caption.get_text(strip=True)) > 20, f"{where} has no caption"
        mentions = [a for a in soup.select(f'a[href="#{figure["id"]}"]') if a.find_parent("figure") is None]
        assert mentions, f"{where}: the text never refers to figure #{figure['id']} ({{numref}})"
        cell = img.find_parent("div", class_="cell")
        assert cell is not None and folded(cell), f"{where}: the drawing code is not folded (tags: [hide-input])"


@pytest.mark.parametrize("chapter", sorted(DIAGRAMS))
def test_chapter_shows_its_cell_and_layer_drawings(book_build, chapter):
    assert book_build[0] == 0
    soup = page_of(chapter)
    for function in DIAGRAMS[chapter]:
        cells = [cell for cell in soup.select("div.cell") if re.search(rf"\b{function}\(", cell.get_text())]
        assert cells, f"{chapter} never calls rnn_reference.diagrams.{function}"
        assert any(cell.select_one("figure div.cell_output img, div.cell_output img") for cell in cells), (
            f"{chapter}: {function} draws nothing on the page")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_ends_with_exercises_whose_answers_are_folded(book_build, chapter):
    """The last section is "Exercises": 3-5 exercises, each with a worked answer in a dropdown."""
    assert book_build[0] == 0
    soup = page_of(chapter)
    top = soup.select_one("article section")  # the page's h1 section
    assert top is not None, f"{chapter}: no article section"
    parts = top.find_all("section", recursive=False)
    assert parts, f"{chapter}: no sections"
    last = parts[-1]
    heading = last.find(["h2"], recursive=False)
    assert heading is not None and heading_text(heading) == "Exercises", (
        f"{chapter}: the last section is {heading_text(heading) if heading else None!r}, not 'Exercises'")
    exercises = last.find_all("section", recursive=False)
    assert 3 <= len(exercises) <= 5, f"{chapter}: {len(exercises)} exercises (3 to 5 expected)"
    for exercise in exercises:
        title = heading_text(exercise.find("h3"))
        assert not re.match(r"\d+[.)]", title), f"{chapter}: {title!r} numbers itself (the book numbers headings)"
        question = " ".join(p.get_text(" ", strip=True) for p in exercise.find_all("p", recursive=False))
        assert len(question) > 40, f"{chapter}: exercise {title!r} asks nothing"
        answers = exercise.select("details.sd-dropdown")
        assert answers, f"{chapter}: exercise {title!r} has no folded answer (a {{dropdown}})"
        body = answers[-1].select_one(".sd-summary-content, .sd-card-body") or answers[-1]
        assert len(body.get_text(" ", strip=True)) > 60, f"{chapter}: the answer to {title!r} is not worked out"
        for cell in exercise.select("div.cell"):
            assert folded(cell), f"{chapter}: the cell computing the answer to {title!r} is not folded (hide-cell)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_tensorflow_start_up_log_on_the_page(book_build, chapter):
    """TensorFlow's C++ start-up lines (absl, oneDNN) are noise a reader cannot act on; `make book` drops them."""
    assert book_build[0] == 0
    _, text = outputs_of(chapter)
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard"):
        assert noise not in text, f"{chapter} shows TensorFlow's start-up log ({noise})"


def test_every_textbook_value_names_a_chapter():
    assert set(TEXTBOOK) <= set(CHAPTERS), set(TEXTBOOK) - set(CHAPTERS)


@pytest.mark.parametrize("chapter", sorted(TEXTBOOK))
def test_textbook_values_are_quoted_as_printed_and_computed_at_that_precision(book_build, chapter):
    """Each value the notes print is on the page as the notes print it, and a cell prints the same digits."""
    assert book_build[0] == 0
    soup = page_of(chapter)
    for output in soup.select("div.cell_output"):
        output.decompose()
    quoted = " ".join(soup.select_one("article").get_text(" ").split())  # `(10, 8)` is split over <span>s
    _, printed = outputs_of(chapter)
    for value in TEXTBOOK[chapter]:
        assert value in quoted, f"{chapter} does not quote the notes' {value}"
        digits = normalised(value)
        boundary = r"(?<![\d.])" + re.escape(digits) + r"(?![\d])"
        assert re.search(boundary, normalised(printed)), (
            f"{chapter}: no cell prints the notes' {value} at the precision they print it")
