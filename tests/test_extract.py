"""Figure and text extraction on PDFs generated here with PyMuPDF."""

from pathlib import Path

import pymupdf
import pytest

from notegen.errors import PaperError
from notegen.extract import check_pdf, extract
from notegen.figure.captions import is_caption
from notegen.figure.geometry import Box, Line, Style
from notegen.figure.ink import ZOOM
from tests.pdfs import paper

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdfs"


BODY = Style(10, "Body")


def line_of(text: str, size: float = 10, font: str = "Body", bold: bool = False) -> Line:
    return Line(Box(0, 0, 100, 10), text, size, font, 0, bold, font + "-Bold" if bold else font)


@pytest.mark.parametrize(
    "line",
    [
        "Figure 1: Overview.",
        "Fig. 1. Overview",
        "FIG. 1. Overview",
        "Figure 1 | Overview",
        "Fig 1: x",
        "FIGURE 1. The pipeline",
        "Figure 1.",
        "图1：系统框图",
        "图 1：系统框图",
        "图 1. 系统框图",
        "图1．系统框图",
        "图1、系统框图",
        "图１：系统框图",  # the digit set full width
        "圖 1：系統架構",
        "図1：システム構成",
        "Abb. 1: Überblick",
        "Abbildung 1: Überblick",
        "Рис. 1. Схема метода",
        "Рисунок 1 — Схема метода",
        "Figura 1: Visão geral",
    ],
)
def test_caption_openings_are_accepted(line):
    assert is_caption(line_of(line), 1, BODY)


@pytest.mark.parametrize(
    "line",
    [
        "as Figure 1 shows, the",
        "Figure 1 illustrates the pipeline",
        "Figure 10: other",
        "Figure 12. x",
        "Figures 1 and 2 show",
        "Table 1: results",
        "Figure 1.1: the first figure of chapter 1",  # figure 1 is the first figure, not 1.1 (see find_figure)
        "Figure 1-2: another",
        "Fig. 1–3 show the results",
        "图1所示的系统包括三个部分",
        "图 1 展示了系统的结构",  # in the body's type: a sentence
        "图12：其他",
        "图１２：其他",
        "图１．２：其他",
        "表1：实验结果",
        "如图1所示",
    ],
)
def test_body_sentences_and_other_labels_are_rejected(line):
    assert not is_caption(line_of(line), 1, BODY)


def test_a_set_off_label_without_punctuation_is_a_caption():
    bold = Line(Box(0, 0, 100, 10), "Figure 1 Simultaneous recordings", 8, "Sans", 0, True, "Sans-Bold")
    assert is_caption(bold, 1, Style(10, "Serif"))
    plain = Line(Box(0, 0, 100, 10), "Figure 1 Simultaneous recordings", 10, "Serif", 0, False, "Serif")
    assert not is_caption(plain, 1, Style(10, "Serif"))


def test_a_chinese_caption_without_punctuation_is_one_when_set_off_from_the_body():
    """ "图1 系统框图": a space, then the caption, in a smaller size or a bold or other label."""
    assert is_caption(line_of("图1 系统框图", size=9), 1, BODY)
    assert is_caption(line_of("图 1 系统框图", bold=True), 1, BODY)
    assert not is_caption(line_of("图 1 系统框图"), 1, BODY)
    assert not is_caption(line_of("图1系统框图", size=9), 1, BODY)  # a sentence goes on without a space


@pytest.mark.parametrize(
    "line", ["Figure 2.1: Overview", "Fig. 3-1. Overview", "图 2.1 系统框图", "图2-1：系统框图", "图２．１ 系统框图"]
)
def test_a_figure_numbered_in_its_chapter_is_a_first_figure_candidate(line):
    assert is_caption(line_of(line, size=9), None, BODY)
    assert not is_caption(line_of("Figure 2: Overview"), None, BODY)


def test_vector_figure_is_found_and_rendered(tmp_path):
    got = extract(paper(tmp_path / "p.pdf"), "p")
    assert got.figure is not None
    assert got.figure.page == 0
    x0, y0, x1, y1 = got.figure.bbox
    assert 140 <= x0 <= 152 and 262 <= y0 <= 272 and 438 <= x1 <= 446 and 378 <= y1 <= 386
    assert got.figure.caption == "Figure 1: An overview of the method, drawn with vector shapes."
    pix = pymupdf.Pixmap(got.figure.png)
    assert abs(pix.width - (x1 - x0) * ZOOM) <= 1 and abs(pix.height - (y1 - y0) * ZOOM) <= 1


def test_raster_figure_is_found(tmp_path):
    got = extract(paper(tmp_path / "p.pdf", figure="raster"), "p")
    assert got.figure is not None and got.figure.bbox[1] < 272 and got.figure.bbox[3] > 378


def test_rendering_is_deterministic(tmp_path):
    a = extract(paper(tmp_path / "a.pdf"), "a").figure
    b = extract(paper(tmp_path / "b.pdf"), "b").figure
    assert a is not None and b is not None and a.png == b.png


def test_no_caption_means_no_figure_and_a_reason(tmp_path):
    got = extract(paper(tmp_path / "p.pdf", caption=None), "p")
    assert got.figure is None
    assert str(got.figure_reason) == 'no caption "Figure 1" in the PDF'


def test_caption_without_a_figure_gives_no_crop(tmp_path):
    got = extract(paper(tmp_path / "p.pdf", figure="none"), "p")
    assert got.figure is None
    assert str(got.figure_reason) == "found the caption of Figure 1 on page 1 but no figure beside it"


def test_title_abstract_and_introduction(tmp_path):
    got = extract(paper(tmp_path / "p.pdf"), "p", intro_chars=300)
    assert got.title == "A Study of Synthetic Figures in Generated Papers"
    assert got.abstract.startswith("We study how synthetic papers carry figures.")
    assert got.introduction.startswith("Deep networks are hard to train")
    assert len(got.introduction) <= 300


def test_not_a_pdf(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"<html>nope</html>")
    with pytest.raises(PaperError) as info:
        check_pdf(bad, "bad")
    assert str(info.value) == "bad: not a PDF (no %PDF- header); pass the paper's PDF file"


def test_truncated_pdf(tmp_path):
    good = paper(tmp_path / "p.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good[:200])
    with pytest.raises(PaperError, match=r"^cut: "):
        extract(cut, "cut")


def test_encrypted_pdf(tmp_path):
    doc = pymupdf.open(paper(tmp_path / "p.pdf"))
    locked = tmp_path / "locked.pdf"
    doc.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    with pytest.raises(PaperError) as info:
        check_pdf(Path(locked), "locked")
    assert str(info.value) == "locked: the PDF is encrypted with a password; pass a decrypted copy"


def test_a_title_whose_words_are_placed_apart_without_spaces_keeps_them(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    x = 120.0
    for word in ["Unifying", "theory", "of", "scaling", "in", "drop", "impact"]:  # each word placed, no space character
        page.insert_text((x, 100), word, fontsize=16, fontname="tibo")
        x += pymupdf.get_text_length(word, fontname="tibo", fontsize=16) + 6
    page.insert_text((120, 140), "A. Author and B. Builder", fontsize=11)
    doc.set_metadata({})
    path = tmp_path / "spaced.pdf"
    doc.save(path)

    assert extract(path, "p").title == "Unifying theory of scaling in drop impact"


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("drop-impact_prl.pdf", "Unifying theory of scaling in drop impact: Forces & maximum spreading diameter"),
        ("2006.02250.pdf", "dynoNet: A neural network architecture for learning dynamical systems"),
        ("longvqubench.pdf", "LongVQUBench: Benchmarking Long-Term Video Quality Understanding of"),
    ],
)
def test_corpus_titles_without_metadata_keep_their_spaces(name, title):
    assert extract(CORPUS / name, name).title.startswith(title)
