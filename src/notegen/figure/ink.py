"""A page area rendered once, as ink maps: everything inked, and the graphics alone with the text that cannot be the
figure's masked out. What is inked where (rows and their extents, rules, tables, text that graphics reach, a running
head standing apart) is measured here, and the figure's PNG is cropped from the same render: the one place pixels
are read.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence
from functools import cached_property

import pymupdf

from notegen.figure.captions import figure_text
from notegen.figure.geometry import HEAD_GAP, Box, Line, Style, is_sublabel, running_head, text_rows
from notegen.figure.growth import Rows, columns

ZOOM = 2  # figures are rendered at 2 px per point (144 dpi): readable, and ink maps stay small
DPI = 72 * ZOOM
MAX_PIXELS = 4_000_000  # a cap on the rendered figure, whatever its size on the page
MAX_PAGE_PIXELS = 8_000_000  # larger pages (posters) get their ink maps and figures rendered separately
INK = 242  # gray level (0 black .. 255 white) below which a pixel is ink
PAPER_MARGIN = 20  # gray levels below a scan's paper tone that count as ink (white paper: INK)
TETHER = 5.0  # points between a tree's or diagram's text and the connector or box side that reaches it, at most
NODE_LINES = 4  # lines of text in a tree's or diagram's node, at most (more are a paragraph)

_INK_TABLE = bytes(1 if value < INK else 0 for value in range(256))


def _ink_table(raw: bytes | bytearray) -> bytes:
    """Which byte values of a render are ink: darker than INK on white paper; on a scan whose paper is
    a tone darker than white (yellowed, gray, noisy), darker than the paper by a margin. The tone is where most
    of a sample of the render's light values lie, within a few levels."""
    sample = raw[:: 61 * 3 + 1]
    counts = Counter(sample)
    if sum(counts.get(v, 0) for v in range(248, 256)) >= 0.4 * len(sample):
        return _INK_TABLE  # white paper, mostly blank: every digital PDF (and no gray fill taken for paper)
    window = {v: sum(counts.get(u, 0) for u in range(v - 6, v + 7)) for v in range(160, 256)}
    paper = max(window, key=lambda v: window[v])
    if paper >= 248 or window[paper] < 0.4 * len(sample):
        return _INK_TABLE  # white paper (every digital PDF), or no paper tone to speak of
    return _scan_table(paper)


@functools.lru_cache(maxsize=64)
def _scan_table(paper: int) -> bytes:
    return bytes(1 if value < paper - PAPER_MARGIN else 0 for value in range(256))


class Ink:
    """An area of a page rendered once at ZOOM px per point (1 for an area over MAX_PAGE_PIXELS), as ink maps:
    everything, and graphics alone (the text that cannot be the figure's masked out). The figure's PNG is cropped
    from the same render, so rasters are decoded once. Geometry is in page points; point row r covers device rows
    zoom*r .. zoom*r + zoom-1."""

    def __init__(
        self,
        page: pymupdf.Page,
        lines: list[Line],
        style: Style,
        area: Box,
        marks: Sequence[Box] = (),
        drawing: pymupdf.DisplayList | None = None,
    ):
        """`drawing`: the page's display list, when it is rendered more than once."""
        self.page = page
        self.lines = lines
        self.style = style
        page_box = Box(*page.rect)
        area = area & page_box
        self.x0, self.y0 = math.floor(area.x0), math.floor(area.y0)
        x1, y1 = max(self.x0 + 1, math.ceil(area.x1)), max(self.y0 + 1, math.ceil(area.y1))
        self.area = Box(self.x0, self.y0, x1, y1)
        zoom: int = ZOOM if (x1 - self.x0) * (y1 - self.y0) * ZOOM * ZOOM <= MAX_PAGE_PIXELS else 1
        self.zoom = zoom
        matrix, clip = pymupdf.Matrix(zoom, zoom), pymupdf.Rect(self.x0, self.y0, x1, y1)
        if drawing is not None:
            self.pix = drawing.get_pixmap(matrix=matrix, clip=clip, alpha=False)
        else:
            self.pix = page.get_pixmap(matrix=matrix, clip=clip, alpha=False, annots=False)
        self.n, self.w, self.h = self.pix.n, self.pix.width, self.pix.height
        assert self.pix.stride == self.w * self.n  # no alpha: rows are packed
        raw = bytearray(self.pix.samples)
        for mark in marks:  # a margin stamp is not part of any figure beside it
            self._blank(raw, mark.grown(1))
        table = _ink_table(raw)
        self.all_ink = raw.translate(table)
        for line in lines:
            if is_sublabel(line) or not line.box.intersects(self.area.grown(3)):
                continue  # "(a) ..." rows stay: they bridge the rows of panels
            self._blank(raw, line.box.grown(1))
        self.graphics = raw.translate(table)
        self.soft = [line.box for line in lines if figure_text(line, style)]
        self._tied: dict[int, bool] = {}

    def _blank(self, raw: bytearray, box: Box) -> None:
        """Paint `box` white in the render `raw`."""
        if not box.intersects(self.area):
            return
        c0, c1 = self._dcols(box)
        r0, r1 = self._drows(box)
        blank = b"\xff" * ((c1 - c0) * self.n)
        row_bytes = self.w * self.n
        for r in range(r0, r1):
            raw[r * row_bytes + c0 * self.n : r * row_bytes + c1 * self.n] = blank

    def _dcols(self, box: Box) -> tuple[int, int]:
        """Device columns of `box`, clamped to the render."""
        return (
            max(0, min(self.w, math.floor((box.x0 - self.x0) * self.zoom))),
            max(0, min(self.w, math.ceil((box.x1 - self.x0) * self.zoom))),
        )

    def _drows(self, box: Box) -> tuple[int, int]:
        return (
            max(0, min(self.h, math.floor((box.y0 - self.y0) * self.zoom))),
            max(0, min(self.h, math.ceil((box.y1 - self.y0) * self.zoom))),
        )

    def _extent(self, ink: bytearray, row: int, c0: int, c1: int) -> tuple[int, int] | None:
        """First and last inked device column of device `row` between c0 and c1."""
        base = row * self.w * self.n
        lo = ink.find(1, base + c0 * self.n, base + c1 * self.n)
        if lo < 0:
            return None
        hi = ink.rfind(1, base + c0 * self.n, base + c1 * self.n)
        return (lo - base) // self.n, (hi - base) // self.n

    def rows(self, box: Box) -> tuple[int, Rows, list[bool]]:
        """For the point rows of `box`: the first row's page y, graphics extents in page x, soft rows."""
        box = box & self.area
        c0, c1 = self._dcols(box)
        top, bottom = math.floor(box.y0), math.ceil(box.y1)
        zoom = self.zoom
        extents: list[tuple[int, int] | None] = []
        for y in range(top, bottom):
            found = None
            for r in range((y - self.y0) * zoom, min(self.h, (y - self.y0 + 1) * zoom)):
                ext = self._extent(self.graphics, r, c0, c1)
                if ext is not None:
                    found = ext if found is None else (min(found[0], ext[0]), max(found[1], ext[1]))
            extents.append(None if found is None else (self.x0 + found[0] // zoom, self.x0 + found[1] // zoom))
        soft = [False] * len(extents)
        for line in self.soft:
            if line.x1 > box.x0 and line.x0 < box.x1:
                for y in range(max(top, math.floor(line.y0)), min(bottom, math.ceil(line.y1))):
                    soft[y - top] = True
        return top, extents, soft

    def inside_graphics(self, line: Line, area: Box) -> bool:
        """Text with graphics beside it on most of its rows (a sentence in a figure panel, not body text)."""
        a0, a1 = self._dcols(area)
        l0, l1 = self._dcols(line.box.grown(3))
        r0, r1 = self._drows(line.box)
        hits = 0
        for r in range(r0, r1):
            left = self._extent(self.graphics, r, a0, max(a0, l0))
            if left is not None or self._extent(self.graphics, r, min(a1, l1), a1) is not None:
                hits += 1
        return r1 > r0 and hits >= 0.6 * (r1 - r0)

    def tethered(self, line: Line) -> bool:
        """Text that graphics reach on its own rows, up to a few points from its start or end: a node of a tree or
        a diagram (a connector's end, a box's side), set in the body's type in a figure made mostly of text.
        Running text keeps a column's gap from any picture beside it."""
        if not line.box.intersects(self.area):
            return False
        r0, r1 = self._drows(line.box.grown(-0.2 * line.box.height))
        for near in (
            Box(line.box.x0 - TETHER, line.box.y0, line.box.x0 - 1, line.box.y1),
            Box(line.box.x1 + 1, line.box.y0, line.box.x1 + TETHER, line.box.y1),
        ):
            c0, c1 = self._dcols(near)
            if c1 > c0 and any(self._extent(self.graphics, r, c0, c1) is not None for r in range(r0, r1)):
                return True
        return False

    @cached_property
    def _blocks(self) -> dict[int, list[Line]]:
        blocks: dict[int, list[Line]] = {}
        for line in self.lines:
            blocks.setdefault(line.block, []).append(line)
        return blocks

    def tied(self, line: Line) -> bool:
        """A line of a tree's or diagram's node: its own text block (a few lines) is tethered to graphics."""
        known = self._tied.get(line.block)
        if known is None:
            block = self._blocks.get(line.block, [line])
            known = len(block) <= NODE_LINES and any(self.tethered(other) for other in block)
            self._tied[line.block] = known
        return known

    def rule_near(self, box: Box, side: int, reach: float) -> Box | None:
        """The rule across most of `box`'s width (and maybe wider) within `reach` points above it (`side` -1) or
        below it (1)."""
        area = self.area
        strip = (
            Box(area.x0, box.y0 - reach, area.x1, box.y0) if side < 0 else Box(area.x0, box.y1, area.x1, box.y1 + reach)
        )
        top, rows, _ = self.rows(strip)
        for i in range(len(rows)) if side > 0 else reversed(range(len(rows))):
            r = rows[i]
            if r is not None and r[1] - r[0] >= 0.8 * box.width:
                return Box(r[0], top + i, r[1] + 1, top + i + 1)
        return None

    @cached_property
    def _text_rows(self) -> tuple[float, float]:
        """Where the page's first row of text ends and its last row starts."""
        return text_rows(self.lines)

    def head_apart(self, line: Line, region: Box, at_edge: bool = False) -> bool:
        """Whether `line` is the page's running head (or footer) standing apart from the graphics in `region`
        below (above) it: nothing inked within HEAD_GAP of it. A figure's own labels on the page's first row have
        its graphics right by them. Only a head above `region` (a footer below it), or with `at_edge` one taken in
        by `region` at that edge (no graphics beyond it)."""
        where = running_head(line, *self._text_rows)
        if where == "head" and (at_edge or line.box.y1 <= region.y0 + 1):
            near = Box(region.x0, line.box.y1, region.x1, line.box.y1 + HEAD_GAP)
            beyond = Box(region.x0, region.y0, region.x1, line.box.y0)
        elif where == "foot" and (at_edge or line.box.y0 >= region.y1 - 1):
            near = Box(region.x0, line.box.y0 - HEAD_GAP, region.x1, line.box.y0)
            beyond = Box(region.x0, line.box.y1, region.x1, region.y1)
        else:
            return False
        return self._empty(near) and (not at_edge or beyond.height < 1 or self._empty(beyond))

    def _empty(self, box: Box) -> bool:
        """Whether no graphics are inked in `box`."""
        _, rows, _ = self.rows(box)
        return all(r is None for r in rows)

    def ink_box(self, region: Box) -> Box | None:
        """`region` trimmed to what is visibly inked in it."""
        c0, c1 = self._dcols(region)
        r0, r1 = self._drows(region)
        top = bottom = left = right = None
        for r in range(r0, r1):
            ext = self._extent(self.all_ink, r, c0, c1)
            if ext is None:
                continue
            top = r if top is None else top
            bottom = r
            left = ext[0] if left is None else min(left, ext[0])
            right = ext[1] if right is None else max(right, ext[1])
        if top is None or bottom is None or left is None or right is None:
            return None
        z = self.zoom
        return Box(self.x0 + left / z, self.y0 + top / z, self.x0 + (right + 1) / z, self.y0 + (bottom + 1) / z)

    def png(self, region: Box) -> bytes:
        """`region` as PNG bytes: cropped from this render when it holds it, else rendered on its own."""
        rect = pymupdf.Rect(region.x0, region.y0, region.x1, region.y1)
        crop = pymupdf.IRect(rect * self.zoom)
        if self.zoom == ZOOM and crop in pymupdf.IRect(self.pix.irect) and crop.width * crop.height <= MAX_PIXELS:
            out = pymupdf.Pixmap(pymupdf.csRGB, crop, False)
            out.copy(self.pix, crop)
            return bytes(out.tobytes("png"))
        return render(self.page, rect)

    def ruled(self, band: Box, top: int, part: range) -> bool:
        """Whether the band's point rows `part` (counted from page row `top`) hold a table: text in rows and
        columns, and, with the text masked, a handful of distinct pixel rows (rules across, the same few
        vertical lines between), where a picture or a plot varies from row to row."""
        if len(part) < 10:
            return False
        y0, y1 = top + part.start, top + part.stop
        cells = [
            line.box
            for line in self.lines
            if y0 <= (line.box.y0 + line.box.y1) / 2 <= y1 and line.box.x_overlap(band) > 0.5 * line.box.width
        ]
        rows_of_text = Counter(round((b.y0 + b.y1) / 6) for b in cells)  # 3-point bins
        if sum(1 for n in rows_of_text.values() if n >= 2) < 2:
            return False  # a table has at least two rows of cells
        c0, c1 = self._dcols(band)
        r0 = max(0, (y0 - self.y0) * self.zoom)
        r1 = min(self.h, (y1 - self.y0) * self.zoom)
        width = self.w * self.n
        patterns = {bytes(self.graphics[r * width + c0 * self.n : r * width + c1 * self.n]) for r in range(r0, r1)}
        return len(patterns) <= 8

    def holds_table(self, region: Box) -> bool:
        """Whether all of `region` holds a table (`ruled`)."""
        return self.ruled(region, 0, range(math.floor(region.y0), math.ceil(region.y1)))

    def graphics_box(self, region: Box) -> Box:
        """The box of the graphics (text masked) in `region`; `region` when it has none."""
        top, rows, _ = self.rows(region)
        inked = [i for i, r in enumerate(rows) if r is not None]
        cols = columns(rows, range(len(rows)))
        if not inked or cols is None:
            return region
        return Box(cols[0], top + inked[0], cols[1] + 1, top + inked[-1] + 1)


def render(page: pymupdf.Page, region: pymupdf.Rect) -> bytes:
    """`region` of `page` as PNG bytes, without annotations, at DPI or less to stay under MAX_PIXELS."""
    zoom = DPI / 72
    pixels = region.width * zoom * region.height * zoom
    if pixels > MAX_PIXELS:
        zoom *= (MAX_PIXELS / pixels) ** 0.5
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=region, annots=False, alpha=False)
    return bytes(pix.tobytes("png"))
