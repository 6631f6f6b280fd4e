"""A page read for the finder: its text lines with their type (in the page's own, unrotated coordinates), the
rotated text in its margins, and renders of its areas (Ink) from its content read once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import pymupdf

from notegen.figure.captions import join_split_labels, mark_notes
from notegen.figure.geometry import Box, Line, Style, body_style, margin_marks
from notegen.figure.ink import Ink


@dataclass(frozen=True)
class PageText:
    lines: list[Line]  # horizontal lines
    marks: list[Box]  # rotated text in the outer margins (arXiv's stamp), which no figure includes
    turned: list[tuple[str, tuple[float, float]]]  # rotated lines: text and direction (a sideways caption?)


def page_text(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> PageText:
    """The page's text, in the page's own (unrotated) coordinates. Rotated text inside the text block (an axis
    title) is inked and found with its figure."""
    lines: list[Line] = []
    rotated: list[Box] = []
    turned: list[tuple[str, tuple[float, float]]] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT, textpage=textpage)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if spans and abs(line["dir"][0] - 1) > 1e-3:
                rotated.append(Box(*line["bbox"]))
                direction = tuple(round(v, 3) + 0.0 for v in line["dir"])  # a cosine of 90 degrees is 6.1e-17
                turned.append(("".join(s["text"] for s in spans).strip(), direction))
            if not spans or abs(line["dir"][0] - 1) > 1e-3:
                continue
            chars = Counter[tuple[str, float, bool]]()
            mono = 0
            for s in spans:
                chars[(s["font"], round(s["size"], 1), bool(s["flags"] & pymupdf.TEXT_FONT_BOLD))] += len(s["text"])
                if s["flags"] & pymupdf.TEXT_FONT_MONOSPACED or _fixed_pitch(s["font"]):
                    mono += len(s["text"])
            (font, size, _bold), _ = chars.most_common(1)[0]  # the type most of the line is set in
            lines.append(
                Line(
                    box=Box(*line["bbox"]),
                    text=unicodedata.normalize("NFKC", "".join(s["text"] for s in line["spans"]).strip()),
                    size=size,
                    font=font,
                    block=block["number"],
                    label_bold=bool(spans[0]["flags"] & pymupdf.TEXT_FONT_BOLD),
                    label_font=spans[0]["font"],
                    mono=mono > 0.5 * sum(len(s["text"]) for s in spans),
                )
            )
    return PageText(
        mark_notes(join_split_labels(lines)),
        margin_marks(rotated, lines, Box(*page.rect)),
        turned,
    )


# Fixed-pitch fonts by name, for PDFs whose font descriptors do not say so (TeX's cmtt and txtt, Courier, ...).
_MONO_FONT = re.compile(r"Mono|Courier|Typewriter|Consol|Menlo|Inconsolata|Monaco|cmtt|CMTT|txtt|SFTT|LMTT|Code", re.I)


@functools.lru_cache(maxsize=256)
def _fixed_pitch(font: str) -> bool:
    return _MONO_FONT.search(font) is not None


@dataclass(frozen=True)
class ReadPage:
    """A page with its text read: what every look for a figure's ink on it needs."""

    page: pymupdf.Page
    lines: list[Line]
    style: Style
    marks: Sequence[Box] = ()

    def ink(self, area: Box) -> Ink:
        return Ink(self.page, self.lines, self.style, area, self.marks, self._drawing)

    @cached_property
    def _drawing(self) -> pymupdf.DisplayList:
        """The page's content read once, for the several areas of it rendered."""
        return self.page.get_displaylist(annots=False)


def page_ink(page: pymupdf.Page) -> Ink:
    """The whole page's render and text, for `doubt_of` on any region of it."""
    text = page_text(page)
    return Ink(page, text.lines, body_style(text.lines), Box(*page.rect), text.marks)
