"""Where a figure is next to its caption on one page: above it, below it, beside it (in the margin or the other
column), across both columns, in a frame with its caption, further off than usual, as text alone (a listing, an
algorithm), or as a plate on the next page. Each look renders an area (Ink), bounds a band with walls and grows the
figure on its ink rows (growth).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf

from notegen.figure.captions import caption_box, figure_text, is_any_caption, is_figure_note, typeset_apart
from notegen.figure.geometry import (
    MARGIN,
    SMALLER,
    Box,
    Line,
    Style,
    band_above,
    band_across,
    band_below,
    beside_lines,
    big_enough,
    body_style,
    centred_over,
    content_zone,
    is_body,
    other_side,
    span,
    text_block,
    two_columns,
)
from notegen.figure.growth import (
    MAX_GAP,
    START_GAP,
    Rows,
    attach_text,
    barrier_lines,
    between,
    columns,
    drop_margins,
    drop_tables,
    grow,
    grow_around,
)
from notegen.figure.ink import Ink
from notegen.figure.page import ReadPage, page_text

LISTING_GAP = 8.0  # points: between the lines of a listing, or a listing and its rules, at most
MIN_SIDE = 36.0  # points: narrower than this beside a caption holds no figure

Seed = tuple[str, int] | range  # grow from one edge ("up" or "down", from a page row) or around page rows
Found = tuple[Ink, Box, str]  # the render the figure is in, its box, how it was found


@dataclass(frozen=True)
class Located:
    ink: Ink  # the render the figure is in
    box: Box  # the figure, trimmed to its ink
    caption: str  # read whole
    caption_box: Box  # on the page searched
    method: str  # how it was found: where it is next to its caption


def locate(
    doc: pymupdf.Document,
    page: pymupdf.Page,
    lines: list[Line],
    style: Style,
    at: int,
    marks: Sequence[Box] = (),
) -> Located | None:
    """The figure whose caption starts at line `at` of `page`, or None."""
    p = ReadPage(page, lines, style, marks)
    caption, text = caption_box(lines, at)
    apart = typeset_apart(lines[at], style)
    found = _next_to(p, caption, apart)
    if found is None and apart:
        found = _plate_on_next_page(doc, page, caption)
    return Located(found[0], found[1], text, caption, found[2]) if found is not None else None


def _next_to(p: ReadPage, caption: Box, apart: bool) -> Found | None:
    """The figure on the caption's page; beside it only for a caption typeset `apart` from the body."""
    page_box = Box(*p.page.rect)
    zone = content_zone(page_box)
    column = span(caption, page_box, 2 if two_columns(p.lines, p.style, page_box) else 1) & zone
    side = _ink_beside(p, caption, column) if apart else None
    if side is not None:  # a caption in the margin, the figure's ink on its own rows beside it
        beside = _beside(p, caption, side)
        if beside is not None:
            return beside[0], beside[1], "caption-beside-figure"
    found = _above_or_below(p, caption, column, zone) or _listing(p, caption, column)
    if found is None and apart and column.width < page_box.width * 0.75:
        beside = _beside(p, caption, other_side(column, zone))  # a caption in one column beside its figure
        found = (beside[0], beside[1], "caption-beside-figure") if beside is not None else None
    return found


def _above_or_below(p: ReadPage, caption: Box, column: Box, zone: Box) -> Found | None:
    """The figure above the caption, unless it is a table (whose caption sits above it: not this caption's), else
    below it; else a table above after all; else one further off than the usual gap, above or below."""
    ink = p.ink(Box(column.x0, column.y0, column.x1, caption.y0 + 2))
    band = band_above(caption, walls(ink, caption, column), column)
    above = region(ink, band, ("up", int(caption.y0)))
    if above is not None:
        above = _with_text_beside(ink, caption, above, band)
    if above is not None and not ink.holds_table(above):
        wide = _widened(p, caption, column, zone, above)
        if wide is not None:
            return wide[0], wide[1], "caption-below-figure"
        framed = _framed(p, caption, zone, above)
        if framed is not None:
            return framed[0], framed[1], "caption-inside-frame"
        return ink, above, "caption-below-figure"
    below_ink = p.ink(Box(column.x0, caption.y1 - 2, column.x1, column.y1))
    below_band = band_below(caption, walls(below_ink, caption, column), column)
    found = region(below_ink, below_band, ("down", math.ceil(caption.y1)))
    if found is not None:
        return below_ink, _with_text_beside(below_ink, caption, found, below_band), "caption-above-figure"
    if above is not None:
        return ink, above, "caption-below-figure"
    for where, look, seed in (
        (ink, band, ("up", int(caption.y0))),
        (below_ink, below_band, ("down", math.ceil(caption.y1))),
    ):
        sparse = region(where, look, seed, sparse=True)
        if sparse is not None:  # far from the caption, unless an image's blank margins made it look so
            kind = "figure" if _placed_next_to(p.page, caption, sparse) else "sparse-figure"
            return where, sparse, f"caption-{'below' if seed[0] == 'up' else 'above'}-{kind}"
    return None


def _listing(p: ReadPage, caption: Box, column: Box) -> Found | None:
    """A figure that is text alone (`_text_figure`) above the caption, else below it."""
    for up in (True, False):
        listing = _text_figure(p, caption, column, up)
        if listing is not None:
            return listing[0], listing[1], f"caption-{'below' if up else 'above'}-listing"
    return None


def _plate_on_next_page(doc: pymupdf.Document, page: pymupdf.Page, caption: Box) -> Found | None:
    """A caption low on its page, its figure a plate on the next page (a page with hardly any body text)."""
    if page.number + 1 >= doc.page_count or caption.y0 <= Box(*page.rect).height / 2:
        return None
    nxt = doc[page.number + 1]
    text = page_text(nxt)
    style = body_style(text.lines)
    if sum(is_body(line, style) for line in text.lines) > 3:
        return None
    zone = content_zone(Box(*nxt.rect))
    ink = Ink(nxt, text.lines, style, zone, text.marks)
    found = region(ink, zone, range(int(zone.y0), int(zone.y1)))
    if found is not None and found.height >= zone.height * 0.3:
        return ink, found, "figure-on-next-page"
    return None


def walls(ink: Ink, caption: Box, area: Box) -> list[Box]:
    """What bounds a figure near `caption` in `area` (barrier_lines), but for body-size text inside the figure's
    graphics or a tree's node."""
    return [
        line.box
        for line in barrier_lines(ink.lines, ink.style, caption, area)
        if is_any_caption(line) or not (ink.inside_graphics(line, area) or ink.tied(line))
    ]


def region(ink: Ink, band: Box, seed: Seed, sparse: bool = False) -> Box | None:
    """The figure in `band`: grown from one edge (("up"|"down", page row)) or around page rows `seed`. With
    `sparse`, all the band's ink: a line drawing whose parts lie further apart than the usual gap (the band is
    bounded by body text and other captions, so nothing else is in it)."""
    band = band & ink.area
    if band.width < 4 or band.height < 4:
        return None
    top, rows, soft = ink.rows(band)
    reach = (band.height, band.height) if sparse else (START_GAP, MAX_GAP)
    found = _graphics(ink, band, seed, top, rows, soft, *reach)
    if found is None:
        return None
    graphics, band = found
    page_box = Box(*ink.page.rect)
    text = [
        line
        for line in ink.lines
        if figure_text(line, ink.style) or (line.box.intersects(band) and not is_any_caption(line) and ink.tied(line))
    ]
    text = [line for line in text if not ink.head_apart(line, graphics)]
    if not isinstance(seed, range):  # text between the figure and its caption is the figure's
        graphics = between(graphics, text, seed[1], band)
    small = ink.style.body_size - SMALLER
    within = text_block(ink.lines, page_box)
    return ink.ink_box(attach_text(graphics, text, band, page_box, small=small, text_block=within))


def _graphics(
    ink: Ink,
    band: Box,
    seed: Seed,
    top: int,
    rows: Rows,
    soft: list[bool],
    start_gap: float,
    max_gap: float,
) -> tuple[Box, Box] | None:
    """The box of the figure's graphics in the band's rows, grown from the seed across gaps of `max_gap`, and
    the band cut short where a table or a float's rule was left out at its far end (what lies beyond them,
    an algorithm's lines or a table's cells, is not the figure's text)."""
    if isinstance(seed, range):
        block = grow_around(rows, range(seed.start - top, seed.stop - top), max_gap, soft=soft)
    else:
        direction, start = seed
        block = grow(rows, start - top, -1 if direction == "up" else 1, start_gap, max_gap, soft)
    if block is None:
        return None
    page_box = Box(*ink.page.rect)
    block = drop_margins(rows, block, top, page_box)
    if block is not None and not isinstance(seed, range):
        block, band = _without_tables(ink, band, seed[0], top, rows, block)
    if block is None:
        return None
    cols = columns(rows, block)
    if cols is None:
        return None
    graphics = Box(cols[0], top + block.start, cols[1] + 1, top + block.stop)
    if big_enough(graphics):
        return graphics, band
    # The connectors of a tree whose nodes are text: the figure is as big as the nodes they reach.
    nodes = [line for line in ink.lines if line.box.intersects(band) and ink.tied(line)]
    with_nodes = attach_text(graphics, nodes, band, page_box)
    return (with_nodes, band) if with_nodes != graphics and big_enough(with_nodes) else None


def _without_tables(
    ink: Ink, band: Box, direction: str, top: int, rows: Rows, grown: range
) -> tuple[range | None, Box]:
    """`grown` (rows grown `direction` from the caption) without the tables at its far end, and the band cut
    short where they were left out."""
    block = drop_tables(rows, grown, direction == "up", lambda part: ink.ruled(band, top, part))
    if block is not None and direction == "up" and block.start > grown.start:
        edge = max(i for i in range(grown.start, block.start) if rows[i] is not None)
        band = Box(band.x0, top + edge + 1, band.x1, band.y1)
    elif block is not None and direction == "down" and block.stop < grown.stop:
        edge = min(i for i in range(block.stop, grown.stop) if rows[i] is not None)
        band = Box(band.x0, band.y0, band.x1, top + edge)
    return block, band


def _text_figure(p: ReadPage, caption: Box, column: Box, up: bool) -> tuple[Ink, Box] | None:
    """A figure that is text alone, next to its caption: a code listing (lines mostly in a fixed-pitch font) or
    an algorithm between rules. Its lines follow one another from the caption's edge, up to body text or another
    caption; the rules right above and below them are its own."""
    near = [
        line
        for line in p.lines
        if line.box.x_overlap(column) > 0.5 * line.box.width
        and (line.box.y1 <= caption.y0 + 1 if up else line.box.y0 >= caption.y1 - 1)
    ]
    near.sort(key=lambda line: -line.box.y1 if up else line.box.y0)
    taken: list[Line] = []
    edge = caption.y0 if up else caption.y1
    for line in near:
        gap = edge - line.box.y1 if up else line.box.y0 - edge
        if gap > (START_GAP if not taken else max(LISTING_GAP, 1.5 * line.box.height)):
            break
        if is_any_caption(line) or is_figure_note(line) or is_body(line, p.style):
            break
        taken.append(line)
        edge = min(edge, line.box.y0) if up else max(edge, line.box.y1)
    if len({round(line.box.y0) for line in taken}) < 3:
        return None
    box = taken[0].box
    for line in taken[1:]:
        box = box | line.box
    ink = p.ink(Box(column.x0, box.y0 - LISTING_GAP, column.x1, box.y1 + LISTING_GAP))
    rules = [ink.rule_near(box, side, LISTING_GAP) for side in (-1, 1)]
    code = sum(len(line.text) for line in taken if line.mono) > 0.6 * sum(len(line.text) for line in taken)
    if not code and None in rules:
        return None
    for rule in rules:
        box = box | rule if rule is not None else box
    found = ink.ink_box(box.grown(0.5))
    return (ink, found) if found is not None and big_enough(found) else None


def _with_text_beside(ink: Ink, caption: Box, found: Box, band: Box) -> Box:
    """`found` with the lines of body-size text beside it on its rows (the leaves of a tree set as plain text
    right of its nodes) when its caption, centred under the figure, is centred under them too and not under
    `found` alone. Text that flows beside a figure has the caption under the figure alone."""
    near = [
        line
        for line in ink.lines
        if line.box.intersects(band)
        and found.y0 - 2 <= line.box.y0
        and line.box.y1 <= found.y1 + 2
        and is_body(line, ink.style)
    ]
    if not near:  # (most figures: the graphics need not be measured)
        return found
    beside = beside_lines(near, ink.style, ink.graphics_box(found), caption)
    if not beside:
        return found
    grown = found
    for line in beside:
        grown = grown | line.box
    return ink.ink_box(grown) or found if centred_over(caption, grown) else found


def _placed_next_to(page: pymupdf.Page, caption: Box, found: Box) -> bool:
    """Whether `found` (the ink of a figure well away from its caption) is an embedded image placed right next to
    the caption, whose blank margins are what lie between: the figure is cropped to its ink all the same."""
    for kind, rect in page.get_bboxlog():
        if kind != "fill-image":
            continue
        placed = Box(*rect)
        gap = max(caption.y0 - placed.y1, placed.y0 - caption.y1)
        if gap <= START_GAP and (placed & found.grown(1)).area >= 0.95 * found.area:
            return True
    return False


def _framed(
    p: ReadPage,
    caption: Box,
    zone: Box,
    found: Box,
) -> tuple[Ink, Box] | None:
    """A figure in a ruled frame that also holds its caption: the frame's sides run on past the caption, down
    to its bottom rule. The whole frame, or None."""
    below = Box(found.x0 - 2, caption.y0, found.x1 + 2, min(zone.y1, caption.y1 + 120))
    ink = p.ink(below)
    top, rows, _ = ink.rows(below)
    beside = [r for r in rows[: math.ceil(caption.y1) - top] if r is not None]
    sides = sum(1 for r in beside if r[0] <= found.x0 + 4 and r[1] >= found.x1 - 4)
    if not beside or sides < 0.8 * (math.ceil(caption.y1) - math.floor(caption.y0)):
        return None
    for i in range(math.ceil(caption.y1) - top, len(rows)):
        r = rows[i]
        if r is None or r[0] > found.x0 + 4 or r[1] < found.x1 - 4:
            return None  # the sides stop before a bottom rule: not a frame
        if _rule(ink, found, top + i):
            return ink, found | Box(found.x0, found.y0, found.x1, top + i + 1 + MARGIN)
    return None


def _rule(ink: Ink, found: Box, y: int) -> bool:
    """Whether page row `y` is inked across most of the frame's width (its bottom rule)."""
    inked = ink.ink_box(Box(found.x0 + 6, y, found.x1 - 6, y + 1))
    return inked is not None and inked.width >= 0.9 * (found.width - 12)


def _widened(
    p: ReadPage,
    caption: Box,
    column: Box,
    zone: Box,
    found: Box,
) -> tuple[Ink, Box] | None:
    """A figure found in the caption's column that runs on across the other column (a short caption under a
    full-width figure in a two-column paper): the whole of it, or None."""
    if column.width > zone.width * 0.75:
        return None
    other = other_side(column, Box(zone.x0, found.y0, zone.x1, found.y1))
    full = Box(zone.x0, column.y0, zone.x1, caption.y0 + 2)
    ink = p.ink(full)
    _, rows, _ = ink.rows(other)
    if sum(r is not None for r in rows) < 0.5 * max(1, len(rows)):
        return None  # hardly any graphics beside the figure in the other column
    bounds = [w for w in walls(ink, caption, full) if not w.intersects(found)]
    wide = region(ink, band_above(caption, bounds, full), ("up", int(caption.y0)))
    if wide is None or wide.width < found.width * 1.2 or not (wide.x0 <= found.x0 + 2 and wide.x1 >= found.x1 - 2):
        return None
    if abs(wide.y0 - found.y0) > 0.2 * found.height:
        return None  # the other column's graphics start elsewhere: a figure of their own
    near = Box(other.x0, wide.y0 - 60, other.x1, wide.y1 + 60)
    if any(is_any_caption(line) and line.box.intersects(near) for line in p.lines if line.box != caption):
        return None  # the graphics beside it have a caption of their own
    body = [line.box for line in p.lines if is_body(line, p.style)]
    if any(box.intersects(wide.grown(-2)) for box in body):
        return None  # the other column's text beside the figure: the figure is the column's only
    return ink, wide


def _beside(
    p: ReadPage,
    caption: Box,
    other: Box,
) -> tuple[Ink, Box] | None:
    """The figure in `other` (a column or a side of the page) on the caption's rows, grown up and down."""
    ink = p.ink(other)
    bounds = walls(ink, Box(other.x0, caption.y0, other.x1, caption.y1), other)
    found = region(ink, band_across(caption, bounds, other), range(int(caption.y0), int(caption.y1) + 1))
    return (ink, found) if found is not None else None


def _ink_beside(
    p: ReadPage,
    caption: Box,
    zone: Box,
) -> Box | None:
    """The side of a narrow caption (left or right of it) whose graphics fill most of the caption's rows: the
    caption sits beside its figure, in the margin. None for a caption with text or nothing beside it."""
    if caption.width > zone.width * 0.45:
        return None
    near = 36.0  # points between the caption and the figure's ink beside it, at most
    sides = {
        "left": Box(zone.x0, caption.y0, caption.x0 - 2, caption.y1),
        "right": Box(caption.x1 + 2, caption.y0, zone.x1, caption.y1),
    }
    for name, strip in sides.items():
        if strip.width < MIN_SIDE:
            continue
        _, rows, _ = p.ink(strip).rows(strip)
        close = [
            r
            for r in rows
            if r is not None and (r[1] >= strip.x1 - near if name == "left" else r[0] <= strip.x0 + near)
        ]
        if len(close) >= 0.6 * max(1, len(rows)):
            return (
                Box(zone.x0, zone.y0, strip.x1, zone.y1) if name == "left" else Box(strip.x0, zone.y0, zone.x1, zone.y1)
            )
    return None
