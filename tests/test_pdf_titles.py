"""A local PDF's title: what its first page shows when the metadata's title is a template's, a file's name or a
tool's; and such a title never says which paper a PDF is (two papers made from one template are two papers)."""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from notegen.paper_title import is_placeholder
from tests.pdfs import BODY

pytestmark = pytest.mark.e2e

NOTE = Path("notes/papers.20240130.md")
HEADING = re.compile(r"^## (.+)$", re.MULTILINE)

# Titles seen in the metadata of real PDFs: a template's, a word processor's or a slide program's, a file's name,
# the typesetting tool's, arXiv's stamp, a placeholder.
SEEN = [
    "Springer Nature 2021 LaTeX template",
    "Microsoft Word - draft.docx",
    "untitled",
    "Untitled1",
    "paper.pdf",
    "main.dvi",
    "LaTeX with hyperref",
    "arXiv:2401.00001v1 [cs.CV] 2 Jan 2024",
    "Title",
    "Manuscript",
    "Elsevier journal template",
    "IEEEtran",
    "PowerPoint Presentation",
    "Slide 1",
]
FIRST = "Sparse Attention Routing for Long Video Understanding"
SECOND = "Graph Priors Improve Protein Contact Prediction"


def made(
    path: Path,
    title: str,
    meta: str,
    *,
    authors: str = "Ada Author, Bo Writer",
    author_size: float = 11,
    above: tuple[str, float, str] | None = None,
    creator: str = "",
) -> Path:
    """A one-page paper whose page shows `title` (18 pt, bold, over the authors) and whose metadata says `meta`;
    `above`: a line set above the title (its text, size and font)."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    if above is not None:
        text, size, font = above
        page.insert_text((72, 52), text, fontsize=size, fontname=font)
    page.insert_textbox(pymupdf.Rect(72, 70, 540, 130), title, fontsize=18, fontname="hebo", align=1)
    page.insert_textbox(
        pymupdf.Rect(72, 134, 540, 136 + 2 * author_size), authors, fontsize=author_size, fontname="helv", align=1
    )
    page.insert_text((72, 190), "Abstract", fontsize=12, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 198, 540, 260), f"This paper is about {title.lower()}. " * 3, fontsize=10)
    page.insert_text((72, 290), "1 Introduction", fontsize=12, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 300, 540, 700), BODY * 4, fontsize=10)
    doc.set_metadata({"title": meta, "creator": creator, "producer": creator})
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return path


def scanned(path: Path, meta: str, shade: int) -> Path:
    """A scanned paper: page 1 an image with no text, `shade` its gray, the metadata's title `meta`."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 80), False)
    pix.set_rect(pix.irect, (shade, shade, shade))
    page.insert_image(page.rect, pixmap=pix)
    doc.set_metadata({"title": meta})
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return path


def headings() -> list[str]:
    return HEADING.findall(NOTE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("meta", SEEN)
def test_two_papers_with_one_template_title_are_two_sections_titled_from_their_pages(meta, llm, workspace, run):
    first = made(workspace / "first.pdf", FIRST, meta)
    second = made(workspace / "second.pdf", SECOND, meta)

    r = run("draft", str(first), str(second), "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert headings() == [FIRST, SECOND]


@pytest.mark.parametrize("meta", SEEN)
def test_a_second_paper_with_the_same_template_title_is_added_and_the_first_is_known_again(meta, llm, workspace, run):
    first = made(workspace / "first.pdf", FIRST, meta)
    second = made(workspace / "second.pdf", SECOND, meta)
    assert run("draft", str(first), "--date", "2024-01-30").code == 0

    added = run("draft", str(second), "--date", "2024-01-30")
    again = run("draft", str(first), "--date", "2024-01-30")

    assert added.code == 0, added.err
    assert f"{second}: already in the note; skipped" not in added.err
    assert again.code == 0, again.err
    assert f"{first}: already in the note; skipped" in again.err.splitlines()
    assert headings() == [FIRST, SECOND]


def test_a_tool_named_in_the_pdf_is_not_its_title(llm, workspace, run):
    pdf = made(workspace / "p.pdf", FIRST, "Acme Typesetter 3", creator="Acme Typesetter 3")

    assert run("draft", str(pdf), "--date", "2024-01-30").code == 0

    assert headings() == [FIRST]


@pytest.mark.parametrize("meta", SEEN)
def test_scanned_papers_with_one_template_title_and_one_file_name_are_two_papers(meta, llm, workspace, run, tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    first = scanned(tmp_path / "a" / "paper.pdf", meta, 40)
    second = scanned(tmp_path / "b" / "paper.pdf", meta, 200)
    assert run("draft", str(first), "--date", "2024-01-30").code == 0

    added = run("draft", str(second), "--date", "2024-01-30")
    again = run("draft", str(first), "--date", "2024-01-30")

    assert added.code == 0, added.err
    assert again.code == 0, again.err
    assert f"{first}: already in the note; skipped" in again.err.splitlines()
    assert headings() == ["paper", "paper"]  # nothing on their pages to read: their files' names, not the template's
    text = NOTE.read_text(encoding="utf-8")
    assert len(set(re.findall(r"paper=(pdf:[0-9a-f]+)", text))) == 2


def test_a_metadata_title_page_1_does_not_show_gives_way_to_the_page(llm, workspace, run):
    pdf = made(workspace / "p.pdf", FIRST, "Notes on an Earlier Project About Something Else")

    assert run("draft", str(pdf), "--date", "2024-01-30").code == 0

    assert headings() == [FIRST]


def test_a_metadata_title_page_1_shows_is_kept(llm, workspace, run):
    pdf = made(workspace / "p.pdf", FIRST.upper(), FIRST)  # the page sets it in capitals; the metadata reads better

    assert run("draft", str(pdf), "--date", "2024-01-30").code == 0

    assert headings() == [FIRST]


def test_the_authors_set_as_large_as_the_title_are_not_part_of_it(llm, workspace, run):
    pdf = made(workspace / "p.pdf", FIRST, "", authors="Ada Author and Bo Writer", author_size=18)

    assert run("draft", str(pdf), "--date", "2024-01-30").code == 0

    assert headings() == [FIRST]


def test_a_journal_name_set_larger_than_the_title_is_not_the_title(llm, workspace, run):
    pdf = made(workspace / "p.pdf", FIRST, "Elsevier journal template", above=("Neurocomputing", 22, "helv"))

    assert run("draft", str(pdf), "--date", "2024-01-30").code == 0

    assert headings() == [FIRST]


@pytest.mark.parametrize(
    "banner",
    [
        "Published as a conference paper at ICLR 2024",
        "arXiv:2401.00001v1 [cs.CV] 2 Jan 2024",
        "Preprint. Under review.",
    ],
)
def test_a_banner_set_like_the_title_above_it_is_not_part_of_it(banner, llm, workspace, run):
    pdf = made(workspace / "p.pdf", FIRST, "", above=(banner, 18, "hebo"))

    assert run("draft", str(pdf), "--date", "2024-01-30").code == 0

    assert headings() == [FIRST]


@pytest.mark.parametrize(
    "title",
    [
        *SEEN,
        "Microsoft PowerPoint - group meeting",
        "Formatting Instructions For NeurIPS 2024",
        "Your Paper Title Here",
        "C:\\Users\\me\\Desktop\\final version",
        "TeX output 2024.01.30:1234",
        "doi:10.1145/3544548.3581000",
        "Research Article",
        "Document1",
    ],
)
def test_titles_that_name_no_paper(title):
    assert is_placeholder(title)


@pytest.mark.parametrize(
    "title",
    [
        FIRST,
        "Attention Is All You Need",
        "Microsoft COCO: Common Objects in Context",
        "Template Matching with Deep Features",
        "LaTeX: A Document Preparation System",
        "ResNet - Deep Residual Learning",
        "A Review of Word Embeddings",
        "基于深度学习的图像分割方法研究",
    ],
)
def test_titles_that_name_a_paper(title):
    assert not is_placeholder(title)
