"""What the reviewer is told besides the figure: why a crop may not be the figure alone (doubt_of, asked of the
crop itself, not of how it was found), and why there is no figure (NoFigure).

A doubt is named in a few English words (Doubt); the note's line under the image says each in Chinese
(notegen.note.DOUBTS, with the rest of the note's words: the note module is pure and reads notes for commands
that never open a PDF, so it does not import this package).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from notegen.figure.captions import caption_box, is_any_caption, is_figure_note
from notegen.figure.geometry import (
    SMALLER,
    Box,
    Line,
    Style,
    beside_lines,
    centred_over,
    content_zone,
    has_words,
    is_body,
    running_band_edges,
    same_size,
    touches_edge,
)
from notegen.figure.ink import Ink

Doubt = Literal[
    "an author list",
    "body text",
    "the title",
    "a running head",
    "a table",
    "the page edge",
    "most of the page",
    "far from its caption",
    "cut through",
    "labels left out",
]
LABEL_REACH = 12.0  # points outside a crop within which small type may be a label it left out


@dataclass(frozen=True)
class NoFigure:
    """Why no figure was found: in English for the terminal and `notegen figure`, in Chinese for the note."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en

    @classmethod
    def no_caption(cls, number: int) -> NoFigure:
        return cls(f'no caption "Figure {number}" in the PDF', f"PDF 里没有找到图 {number} 的图注")

    @classmethod
    def nothing_beside(cls, number: int, page: int) -> NoFigure:
        """The caption is on `page` (0-based), the figure nowhere next to it."""
        return cls(
            f"found the caption of Figure {number} on page {page + 1} but no figure beside it",
            f"第 {page + 1} 页有图 {number} 的图注，但旁边没有找到图",
        )


def doubt_of(ink: Ink, region: Box, method: str = "", caption: Box | None = None) -> Doubt | None:
    """The doubt about `region` as the figure of the page `ink` rendered, or None when it looks like one (also
    what bench/figures.py asks of crops that are deliberately wrong, to measure the check). `caption`: the
    figure's caption, when it is on this page."""
    page_box = Box(*ink.page.rect)
    inside = [line for line in ink.lines if line.box.intersects(region.grown(-1))]
    if reads_like_authors(inside):
        return "an author list"
    body = [line for line in inside if is_body(line, ink.style) and not ink.tied(line)]
    if len(body) >= 2 and caption is not None and centred_over(caption, region):
        beside = beside_lines(body, ink.style, ink.graphics_box(region), caption)  # a tree's leaves set as text
        body = [line for line in body if line not in beside]
    if len(body) >= 2:
        return "body text"
    if ink.page.number == 0 and holds_title(inside, ink.lines, ink.style):
        return "the title"
    if any(ink.head_apart(line, region, at_edge=True) for line in inside):
        return "a running head"
    if ink.holds_table(region):
        return "a table"
    if touches_edge(region, page_box):
        return "the page edge"
    if region.height > 0.8 * content_zone(page_box).height:
        return "most of the page"
    if "sparse" in method:
        return "far from its caption"
    if _cut_through(ink, region):
        return "cut through"
    captions = [
        caption_box(ink.lines, i)[0] for i, line in enumerate(ink.lines) if is_any_caption(line) or is_figure_note(line)
    ]
    captions += [caption] if caption is not None else []
    others = [
        line
        for line in ink.lines
        if not any(line.box.intersects(c) for c in captions) and not ink.head_apart(line, region)
    ]
    if labels_left_out(region, others, ink.style, page_box):
        return "labels left out"
    return None


def _cut_through(ink: Ink, region: Box) -> bool:
    """Whether the figure's graphics run on past an edge of the crop (a crop trimmed to the figure's ink has
    blank rows and columns just outside it)."""
    strips = [
        Box(region.x0, region.y0 - 3, region.x1, region.y0 - 0.5),
        Box(region.x0, region.y1 + 0.5, region.x1, region.y1 + 3),
    ]
    for strip in strips:
        strip = strip & ink.area
        if strip.height < 1:
            continue
        _, rows, _ = ink.rows(strip)
        if any(r is not None and r[1] - r[0] >= 0.3 * region.width for r in rows):
            return True
    return False


_AFFILIATION = re.compile(
    r"@|\b(?:University|Universit[äéà]|Institute|Department|Dept\.|Laboratory|Lab\b|School of|College|Academy|"
    r"Research|Inc\.|Corporation)",
)


def reads_like_authors(lines: Sequence[Line]) -> bool:
    """Lines that read like an author list: e-mail addresses and affiliations."""
    return sum(1 for line in lines if _AFFILIATION.search(line.text)) >= 2


def holds_title(inside: Sequence[Line], lines: Sequence[Line], style: Style) -> bool:
    """Whether lines in a crop of the first page include the paper's title: its largest type, well above the
    body's size."""
    largest = max((line.size for line in lines), default=0.0)
    return largest >= 1.5 * style.body_size and any(line.size >= largest - 0.5 for line in inside)


def labels_left_out(region: Box, lines: Sequence[Line], style: Style, page: Box) -> bool:
    """Small type just outside the crop on its rows or columns (a legend, a panel title, a row label): the crop
    may have stopped short of its figure. Running heads (in the page's RUNNING_BAND) do not count."""
    top, bottom = running_band_edges(page)
    for line in lines:
        box = line.box
        if box.intersects(region) or is_body(line, style) or is_any_caption(line):
            continue
        if line.size > style.body_size - SMALLER or box.y1 < top or box.y0 > bottom:
            continue
        if not has_words(line):
            continue
        beside = (
            box.y0 >= region.y0
            and box.y1 <= region.y1
            and (0 < region.x0 - box.x1 <= LABEL_REACH or 0 < box.x0 - region.x1 <= LABEL_REACH)
        )
        over = (
            box.x0 >= region.x0
            and box.x1 <= region.x1
            and (0 < region.y0 - box.y1 <= LABEL_REACH or 0 < box.y0 - region.y1 <= LABEL_REACH)
        )
        if (beside or over) and not _in_running_text(line, lines, style):
            return True
    return False


def _in_running_text(line: Line, lines: Sequence[Line], style: Style) -> bool:
    """Whether small type is a sub- or superscript of a line of body text beside it on its row (the math of the
    text above a figure), not a label of the figure."""
    box = line.box
    for other in lines:
        if other is line or not same_size(other.size, style.body_size):  # (a short stretch between formulas too)
            continue
        shared = min(box.y1, other.box.y1) - max(box.y0, other.box.y0)
        gap = max(other.box.x0 - box.x1, box.x0 - other.box.x1)
        if shared > 0.3 * box.height and gap <= 3.0:
            return True
    return False
