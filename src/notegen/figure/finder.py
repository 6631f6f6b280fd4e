"""Figure N of a document: the pages to search (a figure's label in their text; for a thesis without a figure 1,
its first chapter-numbered figure), a page shown rotated read in its own coordinates, a figure set sideways read
on a view of its page turned upright, a caption that runs on into the next page, and the figure as a viewer shows
it: its box, its PNG and any doubt about it.

The figure is found from its caption ("Figure 1:", "Fig. 1.", "FIG. 1", "Figure 1 |"), never from the largest
image in the file: most figures in papers are vector drawings, and an unrelated crop costs the reviewer more than
no figure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pymupdf

from notegen.figure.captions import QUICK, caption_pattern, is_caption, join_text, run_on_text, runs_on
from notegen.figure.doubt import Doubt, NoFigure, doubt_of
from notegen.figure.geometry import (
    HEAD_GAP,
    MARGIN,
    Box,
    body_style,
    running_head,
    text_block,
    text_rows,
    with_margin,
)
from notegen.figure.ink import Ink, render
from notegen.figure.locate import locate
from notegen.figure.page import PageText, page_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Figure:
    page: int  # 0-based
    bbox: tuple[float, float, float, float]  # PDF points, origin top-left, of the page as it is shown
    caption: str
    png: bytes
    method: str
    doubt: Doubt | None = None  # why the crop may not be the figure (note.DOUBTS in Chinese), None if it looks like one


def find_figure(doc: pymupdf.Document, number: int = 1) -> tuple[Figure | None, NoFigure | None]:
    """Figure `number` and its PNG, or None and the reason, for the reviewer. A thesis or a book numbers its
    figures by chapter: without a figure 1, its first figure (2.1, say) stands for figure 1.

    A page is searched as its content reads: a page shown rotated (/Rotate 90, a journal's landscape page) in
    its own coordinates, where its text and its renders agree; a figure set sideways, its caption running up the
    side, on a view of the page turned upright. The box and the PNG are the page's as a viewer shows it.
    """
    figure, seen, labelled = _find(doc, number, range(doc.page_count))
    if figure is None and seen is None and number == 1:
        figure, seen, _ = _find(doc, None, labelled)
    if figure is not None:
        return figure, None
    if seen is not None:
        return None, NoFigure.nothing_beside(number, seen)
    return None, NoFigure.no_caption(number)


def _find(
    doc: pymupdf.Document, number: int | None, pages: Sequence[int]
) -> tuple[Figure | None, int | None, list[int]]:
    """Figure `number` (None: the first numbered in its chapter) on `pages`, or None and the first page with its
    caption; and the pages searched that have a figure's label anywhere in their text (the only ones a second
    search needs to read again)."""
    seen_caption: int | None = None
    labelled: list[int] = []
    for index in pages:
        page = doc[index]
        textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)
        if not QUICK.search(textpage.extractText()):
            continue
        labelled.append(index)
        shown = page.rotation
        if shown:
            page.set_rotation(0)
            textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)
        try:
            hit, seen = _search_page(doc, page, page_text(page, textpage), number)
        finally:
            if shown:
                page.set_rotation(shown)
        if seen:
            seen_caption = index if seen_caption is None else seen_caption
        if hit is not None:
            return _as_shown(doc, index, hit), None, labelled
    return None, seen_caption, labelled


@dataclass(frozen=True)
class _Hit:
    ink: Ink  # the render it was found in
    region: Box  # in the coordinates of the page (or turned view) searched
    caption: str
    method: str
    back: pymupdf.Matrix | None = None  # from a turned view's coordinates to the page's own
    caption_box: Box | None = None  # the caption, when it is on the figure's page


# A rotated caption's direction -> the turn (degrees, as show_pdf_page takes them) that sets it upright.
_TURN = {(0.0, -1.0): -90, (0.0, 1.0): 90, (-1.0, 0.0): 180}


def _search_page(
    doc: pymupdf.Document, page: pymupdf.Page, text: PageText, number: int | None
) -> tuple[_Hit | None, bool]:
    """Figure `number` from a caption on `page` (its own coordinates), else from a sideways caption on a view of
    the page turned to set it upright; and whether its caption is there at all."""
    hit, seen = _search(doc, page, text, number)
    pattern = caption_pattern(number)
    for angle in sorted({_TURN[d] for t, d in text.turned if d in _TURN and pattern.match(t)}):
        if hit is not None:
            break
        shown_doc, back = _turned(doc, page, angle)
        view = shown_doc[0]
        view_text = page_text(view)
        # The page's running head and footer, with their rules, stand at the sides of the turned view.
        edges = [Box(*(pymupdf.Rect(box.tuple()) * ~back)) for box in _running_bands(page, text)]
        view_text = replace(view_text, marks=[*view_text.marks, *edges])
        hit, seen_turned = _search(shown_doc, view, view_text, number)
        seen = seen or seen_turned
        hit = replace(hit, back=back) if hit is not None else None
    return hit, seen


def _running_bands(page: pymupdf.Page, text: PageText) -> list[Box]:
    """The bands across `page` that hold its running head and its footer (their lines on the page's first and
    last rows of text, in its top and bottom sixth, with a rule just under or over them)."""
    lines = text.lines
    if not lines:
        return []
    first, last = text_rows(lines)
    page_box = Box(*page.rect)
    bands = []
    heads = [line.box for line in lines if running_head(line, first, last) == "head"]
    if heads and max(b.y1 for b in heads) < page_box.y0 + page_box.height / 6:
        bands.append(Box(page_box.x0, page_box.y0, page_box.x1, max(b.y1 for b in heads) + HEAD_GAP / 2))
    feet = [line.box for line in lines if running_head(line, first, last) == "foot"]
    if feet and min(b.y0 for b in feet) > page_box.y1 - page_box.height / 6:
        bands.append(Box(page_box.x0, min(b.y0 for b in feet) - HEAD_GAP / 2, page_box.x1, page_box.y1))
    return bands


def _turned(doc: pymupdf.Document, page: pymupdf.Page, angle: int) -> tuple[pymupdf.Document, pymupdf.Matrix]:
    """A one-page document showing `page` (its own coordinates) turned by `angle`, and the matrix from the
    view's coordinates back to the page's."""
    width, height = page.rect.width, page.rect.height
    size = (height, width) if angle in (90, -90) else (width, height)
    shown = pymupdf.open()
    view = shown.new_page(width=size[0], height=size[1])
    view.show_pdf_page(view.rect, doc, page.number, rotate=angle)
    back = {  # show_pdf_page sends (x, y) to (y, W - x) for 90, (H - y, x) for -90, (W - x, H - y) for 180
        90: pymupdf.Matrix(0, 1, -1, 0, width, 0),
        -90: pymupdf.Matrix(0, -1, 1, 0, 0, height),
        180: pymupdf.Matrix(-1, 0, 0, -1, width, height),
    }[angle]
    return shown, back


def _search(doc: pymupdf.Document, page: pymupdf.Page, text: PageText, number: int | None) -> tuple[_Hit | None, bool]:
    """Figure `number` found from a caption on this page, and whether its caption is there at all."""
    lines = text.lines
    style = body_style(lines)
    page_box = Box(*page.rect)
    block = text_block(lines, page_box)
    seen = False
    for at, line in enumerate(lines):
        if not is_caption(line, number, style, block):
            continue
        seen = True
        located = locate(doc, page, lines, style, at, text.marks)
        log.debug(
            "figure %s: caption %r on page %d: %s", number, line.text[:40], page.number, located and located.method
        )
        if located is not None:
            caption = located.caption
            if page.parent is doc and page.number + 1 < doc.page_count and runs_on(lines, at, page_box):
                following = page_text(doc[page.number + 1]).lines
                caption = join_text([caption, run_on_text(following, line, page_box)])
            where = located.ink
            region = with_margin(located.box, MARGIN, Box(*where.page.rect))
            caption_box = located.caption_box if where.page.number == page.number else None
            return _Hit(where, region, caption, located.method, caption_box=caption_box), True
    return None, seen


def _as_shown(doc: pymupdf.Document, index: int, hit: _Hit) -> Figure:
    """The figure as the page is shown: its box in the displayed page's coordinates, its PNG as a viewer sees
    it (a figure set sideways on an upright page stays sideways), and any doubt about it (checked on the crop
    itself, not on how it was found)."""
    where = hit.ink.page
    doubt = doubt_of(hit.ink, hit.region, hit.method, hit.caption_box)
    if hit.back is None and where.rotation == 0:  # the common case: crop the render it was found in
        return Figure(where.number, hit.region.tuple(), hit.caption, hit.ink.png(hit.region), hit.method, doubt)
    page = doc[index] if hit.back is not None else where
    rect = pymupdf.Rect(hit.region.x0, hit.region.y0, hit.region.x1, hit.region.y1)
    if hit.back is not None:
        rect = rect * hit.back
    rect = (rect * page.rotation_matrix).normalize() & page.rect
    return Figure(page.number, Box(*rect).tuple(), hit.caption, render(page, rect), hit.method, doubt)
