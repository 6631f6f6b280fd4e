"""The page as the finder measures it: boxes and text lines in page points, the body's type, the page's head and
foot, its columns and text block, and bands bounded by walls. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# The page's head and foot, where running heads, footers and page numbers are set, as shares of its height from
# the top and from the bottom. Each answers its own question:
MARGIN_ZONE = 0.045  # no figure is looked for here: every area searched is within content_zone
RUNNING_BAND = 0.1  # a line or a thin rule here may be a running head's or footer's rather than the figure's:
# attach_text and labels_left_out leave such lines out, drop_margins such rules (running_band_edges)
CAPTION_FOOT = 0.08  # a caption cut off at the page's foot has only this foot after it, and goes on below this
# much of the next page's head (runs_on, run_on_text)

SAME_SIZE = 0.6  # points: two lines this close in size are set in one type size
SMALLER = 0.5  # points under the body's size where smaller type starts (a caption's, a figure's own labels)
HEAD_GAP = 8.0  # points of blank rows between a running head and what follows it, at least
MARGIN = 1.5  # points around the figure's ink
MIN_WIDTH, MIN_HEIGHT = 36.0, 24.0  # smaller than this is a rule or an icon, not a figure


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def __or__(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def __and__(self, other: Box) -> Box:
        return Box(max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1))

    def grown(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def intersects(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def x_overlap(self, other: Box) -> float:
        return max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))

    def iou(self, other: Box) -> float:
        inter = (self & other).area
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def tuple(self) -> tuple[float, float, float, float]:
        return (round(self.x0, 1), round(self.y0, 1), round(self.x1, 1), round(self.y1, 1))


@dataclass(frozen=True)
class Line:
    """A line of text as laid out on the page."""

    box: Box
    text: str
    size: float
    font: str
    block: int
    label_bold: bool = False  # the first span ("Figure 1") is bold
    label_font: str = ""  # the first span's font
    mono: bool = False  # set mostly in a fixed-pitch font: code
    note: bool = False  # a line of a figure's note or source line that runs over several lines


# -- the body's type ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    body_size: float
    body_font: str


def body_style(lines: Sequence[Line]) -> Style:
    """The size and font most characters on the page are set in."""
    sizes: Counter[float] = Counter()
    fonts: Counter[str] = Counter()
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
        fonts[line.font] += len(line.text)
    size = sizes.most_common(1)[0][0] if sizes else 10.0
    font = fonts.most_common(1)[0][0] if fonts else ""
    return Style(size, font)


def same_size(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_SIZE


def is_body(line: Line, style: Style) -> bool:
    """A line of running text: the body size and long enough to be prose, not a label, not code."""
    return (
        same_size(line.size, style.body_size)
        and len(line.text) >= 30
        and not line.mono
        and not _SUBLABEL.match(line.text)
    )


_SUBLABEL = re.compile(r"^\s*\(?[a-zA-Z0-9ivx]{1,4}\)\s")


def is_sublabel(line: Line) -> bool:
    """Sub-captions ("(a) Featurized image pyramid"): part of the figure, between its rows of panels."""
    return bool(_SUBLABEL.match(line.text)) and len(line.text) < 120


def has_words(line: Line) -> bool:
    """Whether `line` has letters in it (a label, not a page number or a tick value)."""
    return any(ch.isalpha() for ch in line.text)


def beside_lines(lines: Sequence[Line], style: Style, graphics: Box, caption: Box) -> list[Line]:
    """The body-size lines among `lines` set beside `graphics` on its rows (the leaves of a tree set as plain
    text), when `caption` is not centred under `graphics` alone."""
    if centred_over(caption, graphics):
        return []
    return [
        line
        for line in lines
        if is_body(line, style)
        and graphics.y0 - 2 <= line.box.y0
        and line.box.y1 <= graphics.y1 + 2
        and (line.box.x0 >= graphics.x1 - 2 or line.box.x1 <= graphics.x0 + 2)
    ]


# -- the page's head and foot -------------------------------------------------------------------------


def content_zone(page: Box) -> Box:
    """The page without its header and footer zones."""
    margin = page.height * MARGIN_ZONE
    return Box(page.x0, page.y0 + margin, page.x1, page.y1 - margin)


def running_band_edges(page: Box) -> tuple[float, float]:
    """Where the page's top RUNNING_BAND ends and its bottom one starts."""
    return page.y0 + page.height * RUNNING_BAND, page.y1 - page.height * RUNNING_BAND


def text_rows(lines: Sequence[Line]) -> tuple[float, float]:
    """Where the page's first row of text ends (its topmost line's foot) and where its last row starts."""
    if not lines:
        return 0.0, 0.0
    top = min(lines, key=lambda line: line.box.y0)
    bottom = max(lines, key=lambda line: line.box.y1)
    return top.box.y1, bottom.box.y0


def running_head(line: Line, first: float, last: float) -> str | None:
    """A running head ("head"), footer or page number ("foot"): a short line on the page's first row of text
    (starting above `first`, where the page's topmost line ends) or its last (ending below `last`, where its
    lowest line starts), where the journal sets it; else None."""
    if len(line.text) > 80:
        return None
    if line.box.y0 < first - 1:
        return "head"
    if line.box.y1 > last + 1:
        return "foot"
    return None


# -- columns and the text block -----------------------------------------------------------------------


def two_columns(lines: Sequence[Line], style: Style, page: Box) -> bool:
    """Whether the page's body text is set in two columns (most body lines stay on one side of the middle)."""
    middle = (page.x0 + page.x1) / 2
    body = [line.box for line in lines if is_body(line, style)]
    if len(body) < 6:
        return False
    one_side = sum(1 for b in body if b.x1 <= middle + 12 or b.x0 >= middle - 12)
    return one_side >= 0.7 * len(body)


def span(caption: Box, page: Box, columns: int = 2) -> Box:
    """The caption's column: the full width on a one-column page or when the caption crosses the middle,
    else its half."""
    middle = (page.x0 + page.x1) / 2
    if columns == 1 or (caption.x0 < middle - 12 and caption.x1 > middle + 12):
        return Box(page.x0, page.y0, page.x1, page.y1)
    if caption.x1 <= middle + 12:
        return Box(page.x0, page.y0, middle, page.y1)
    return Box(middle, page.y0, page.x1, page.y1)


def other_side(column: Box, across: Box) -> Box:
    """The rest of `across` beside `column`: right of a column that starts in its left quarter, else left of it."""
    if column.x0 - across.x0 < across.width / 4:
        return Box(column.x1, across.y0, across.x1, across.y1)
    return Box(across.x0, across.y0, column.x0, across.y1)


def text_block(lines: Sequence[Line], page: Box) -> Box:
    """The page's text block: from the left edge of its wide lines to the right edge (margins outside)."""
    wide = [line.box for line in lines if line.box.width > page.width * 0.2]
    if not wide:
        return page
    return Box(min(b.x0 for b in wide), page.y0, max(b.x1 for b in wide), page.y1)


def margin_marks(rotated: Sequence[Box], lines: Sequence[Line], page: Box) -> list[Box]:
    """Rotated text outside the text block's left and right edges: arXiv's identifier stamp, a journal's
    running side title. Rotated text inside the text block (an axis title) is left to its figure."""
    block = text_block(lines, page)
    if not rotated or block == page:
        return []
    return [box for box in rotated if box.x1 <= block.x0 + 2 or box.x0 >= block.x1 - 2]


# -- bands and boxes ----------------------------------------------------------------------------------


def band_above(caption: Box, walls: Sequence[Box], area: Box) -> Box:
    """`area` above `caption`, up to the nearest wall."""
    top = max([w.y1 for w in walls if w.y1 <= caption.y0 + 1], default=area.y0)
    return Box(area.x0, max(top, area.y0), area.x1, caption.y0)


def band_below(caption: Box, walls: Sequence[Box], area: Box) -> Box:
    """`area` below `caption`, down to the nearest wall."""
    bottom = min([w.y0 for w in walls if w.y0 >= caption.y1 - 1], default=area.y1)
    return Box(area.x0, caption.y1, area.x1, min(bottom, area.y1))


def band_across(caption: Box, walls: Sequence[Box], area: Box) -> Box:
    """`area` on `caption`'s rows, up and down to the nearest walls."""
    return Box(area.x0, band_above(caption, walls, area).y0, area.x1, band_below(caption, walls, area).y1)


def centred_over(caption: Box, box: Box) -> bool:
    """Whether `caption`, narrower than `box`, stands centred under (or over) it, as a one-line caption is set
    under its figure."""
    middle, centre = (caption.x0 + caption.x1) / 2, (box.x0 + box.x1) / 2
    return caption.width < 0.95 * box.width and abs(middle - centre) <= max(4.0, 0.02 * box.width)


def touches_edge(box: Box, page: Box, within: float = 3.0) -> bool:
    return (
        box.x0 <= page.x0 + within
        or box.y0 <= page.y0 + within
        or box.x1 >= page.x1 - within
        or (box.y1 >= page.y1 - within)
    )


def big_enough(box: Box) -> bool:
    return box.width >= MIN_WIDTH and box.height >= MIN_HEIGHT


def with_margin(box: Box, margin: float, page: Box) -> Box:
    return box.grown(margin) & page
