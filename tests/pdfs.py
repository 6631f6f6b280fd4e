"""PDFs made in the test with PyMuPDF: a small paper with a title, abstract, introduction and a figure."""

from __future__ import annotations

from pathlib import Path

import pymupdf

BODY = (
    "Deep networks are hard to train when they grow deeper, and the reasons are not well understood. "
    "This paragraph is ordinary body text that runs across the full width of the column so that a figure "
    "finder must treat it as a barrier and never include it in the figure region it renders. "
)


def paper(
    path: Path,
    title: str = "A Study of Synthetic Figures in Generated Papers",
    caption: str | None = "Figure 1: An overview of the method, drawn with vector shapes.",
    figure: str = "vector",
    pages: int = 2,
    label: str = "encoder",
) -> Path:
    """Write a one-column paper; `figure` is "vector", "raster" or "none"; caption None means no Figure 1;
    `label` is the word inside the vector figure (another label, another figure)."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(72, 60, 540, 110), title, fontsize=18, fontname="hebo", align=1)
    page.insert_textbox(pymupdf.Rect(72, 120, 540, 140), "Ada Author, Bo Writer", fontsize=11, align=1)
    page.insert_text((72, 170), "Abstract", fontsize=12, fontname="hebo")
    page.insert_textbox(
        pymupdf.Rect(72, 178, 540, 240),
        "We study how synthetic papers carry figures. " * 4,
        fontsize=10,
    )
    if figure == "vector":
        shape = page.new_shape()
        shape.draw_rect(pymupdf.Rect(150, 270, 300, 380))
        shape.draw_circle(pymupdf.Point(390, 325), 50)
        shape.draw_line(pymupdf.Point(300, 325), pymupdf.Point(340, 325))
        shape.finish(color=(0, 0, 0.6), fill=(0.8, 0.9, 1.0), width=1.5)
        shape.commit()
        page.insert_text((190, 330), label, fontsize=9)
    elif figure == "raster":
        pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 48), False)
        pix.set_rect(pix.irect, (200, 80, 40))
        page.insert_image(pymupdf.Rect(150, 270, 450, 380), pixmap=pix)
    if caption is not None:
        page.insert_textbox(pymupdf.Rect(72, 392, 540, 420), caption, fontsize=9)
    page.insert_text((72, 450), "1 Introduction", fontsize=12, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 460, 540, 700), BODY * 4, fontsize=10)
    for n in range(1, pages):
        extra = doc.new_page(width=612, height=792)
        extra.insert_text((72, 80), "2 Related Work", fontsize=12, fontname="hebo")
        extra.insert_textbox(pymupdf.Rect(72, 90, 540, 700), BODY * 5 + f" Page {n + 1}.", fontsize=10)
    doc.set_metadata({"title": title})
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return path
