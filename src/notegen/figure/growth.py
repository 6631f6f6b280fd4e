"""How far a figure reaches from its caption, on the ink rows a render measured: what walls a band in (body text,
other captions), rows grown across gaps, the parts left out at its far end (a table, a running head's rule), and
the text lines that join the graphics (labels, legends, panel titles). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from notegen.figure.captions import is_any_caption
from notegen.figure.geometry import RUNNING_BAND, Box, Line, Style, has_words, is_body, running_band_edges

START_GAP = 40.0  # points between caption and the nearest part of its figure, at most
MAX_GAP = 24.0  # points of empty rows that still join two parts of one figure
PART_GAP = 6  # points of empty rows that set a table or a running head's rule apart from the figure
RULE = 3  # points: a running header's or footer's rule is this thin (their text is masked already)
TEXT_REACH = 6.0  # points around the figure's graphics within which text lines belong to it
SMALL_REACH = 16.0  # the same for text set smaller than the body (a figure's own labels and titles)

Rows = Sequence[tuple[int, int] | None]  # per point row of a band: its first and last ink column (page x), or None


def barrier_lines(lines: Sequence[Line], style: Style, caption: Box, area: Box) -> list[Line]:
    """What may bound a figure near `caption` within `area`: body text over the caption's width (unless it
    turns out to sit inside the figure's graphics), other captions."""
    out = []
    for line in lines:
        if not line.box.intersects(area) or line.box.intersects(caption):
            continue
        if is_any_caption(line) or (is_body(line, style) and line.box.x_overlap(caption) >= 0.5 * line.box.width):
            out.append(line)
    return out


def grow(
    rows: Rows,
    start: int,
    step: int,
    start_gap: float = START_GAP,
    max_gap: float = MAX_GAP,
    soft: Sequence[bool] = (),
) -> range | None:
    """The rows of the figure found walking from `start` by `step` (-1 up, +1 down): its first ink must be
    within `start_gap` rows, its parts at most `max_gap` empty rows apart. Rows marked `soft` (covered by text
    that may be the figure's: tick labels, axis titles) count a quarter, and nothing before the first ink.
    None when there is no ink."""
    first = last = None
    gap = 0.0
    i = min(max(start, 0), len(rows) - 1)
    while 0 <= i < len(rows):
        if rows[i] is not None:
            if first is None:
                first = i
            last = i
            gap = 0.0
        else:
            covered = i < len(soft) and soft[i]
            # Before the first ink, text rows are free: text between a figure and its caption is the figure's.
            gap += (0.0 if first is None else 0.25) if covered else 1.0
            if gap > (start_gap if first is None else max_gap):
                break
        i += step
    if first is None or last is None:
        return None
    return range(min(first, last), max(first, last) + 1)


def grow_around(rows: Rows, seed: range, max_gap: float = MAX_GAP, soft: Sequence[bool] = ()) -> range | None:
    """The rows of the inked block that overlaps `seed`, grown up and down across small gaps."""
    inked = [i for i in seed if 0 <= i < len(rows) and rows[i] is not None]
    if not inked:
        return None
    up = grow(rows, inked[0], -1, 0, max_gap, soft)
    down = grow(rows, inked[-1], 1, 0, max_gap, soft)
    if up is None or down is None:
        return None
    return range(up.start, down.stop)


def columns(rows: Rows, block: range) -> tuple[int, int] | None:
    """The first and last ink column of `block`'s rows."""
    found = [rows[i] for i in block if rows[i] is not None]
    if not found:
        return None
    return min(r[0] for r in found), max(r[1] for r in found)  # type: ignore[index]


def parts(rows: Rows, block: range, gap: int = PART_GAP) -> list[range]:
    """The inked stretches of `block` set apart by at least `gap` empty rows."""
    found: list[range] = []
    start = last = None
    for i in block:
        if rows[i] is None:
            continue
        if start is not None and last is not None and i - last > gap:
            found.append(range(start, last + 1))
            start = None
        start = i if start is None else start
        last = i
    if start is not None and last is not None:
        found.append(range(start, last + 1))
    return found


def drop_tables(rows: Rows, block: range, far_first: bool, ruled: Callable[[range], bool]) -> range | None:
    """`block` without the tables at its far end (away from the caption; the start when `far_first`): parts set
    apart by a gap that `ruled` says are a table's grid, or a lone rule, as long as something else is left."""
    found = parts(rows, block)
    order = found if far_first else found[::-1]
    while len(order) > 1 and (len(order[0]) <= RULE or ruled(order[0])):  # a lone rule: a table's last line
        order = order[1:]
    if not order:
        return None
    kept = order if far_first else order[::-1]
    return range(kept[0].start, kept[-1].stop)


def drop_margins(rows: Rows, block: range, top: int, page: Box) -> range | None:
    """`block` (rows of a band whose first row is page row `top`) without a running header's or footer's rule
    in the page's RUNNING_BAND, set apart by a gap. A legend box above a plot is thicker and stays."""
    header, footer = int(page.height * RUNNING_BAND), int(page.height * (1 - RUNNING_BAND))
    found = parts(rows, block)
    while len(found) > 1 and top + found[0].stop <= header and len(found[0]) <= RULE:
        found.pop(0)
    while len(found) > 1 and top + found[-1].start >= footer and len(found[-1]) <= RULE:
        found.pop()
    return range(found[0].start, found[-1].stop) if found else None


def attach_text(
    region: Box,
    lines: Iterable[Line],
    band: Box,
    page: Box,
    small: float = 0.0,
    text_block: Box | None = None,
) -> Box:
    """`region` with the band's text lines that belong to it, transitively: lines touching it (labels, legends,
    panel titles); lines set smaller than `small` (a figure's own type) a little further off, above or below;
    and such small lines beside it (row titles left of a grid, labels right of a diagram) on its rows, within the
    page's `text_block` (not margin notes). Lines in the page's RUNNING_BAND only when they lie inside it."""
    header, footer = running_band_edges(page)
    pending = [
        line
        for line in lines
        if line.box.intersects(band)
        and ((header < line.box.y1 and line.box.y0 < footer) or line.box.intersects(region))
    ]
    changed = True
    while changed:
        changed = False
        near = region.grown(TEXT_REACH)
        for line in list(pending):
            box = line.box
            tiny = line.size < small and has_words(line)  # words, not a page number
            beside = tiny and box.y0 >= region.y0 - 2 and box.y1 <= region.y1 + 2
            inside_block = text_block is None or (box.x0 >= text_block.x0 - 2 and box.x1 <= text_block.x1 + 2)
            if (
                box.intersects(near)
                or (tiny and box.intersects(region.grown(SMALL_REACH)))
                or (beside and inside_block)
            ):
                region = region | (box & band)
                pending.remove(line)
                changed = True
    return region


def between(region: Box, lines: Iterable[Line], caption_edge: int, band: Box) -> Box:
    """`region` with the text lines that sit between it and its caption (`caption_edge`, the caption's near
    edge): panel labels "(a)" under images, lines of text under a diagram, a key. Nothing but the figure can be
    there."""
    below = caption_edge >= region.y1  # the caption is below the figure
    for line in lines:
        box = line.box
        if not box.intersects(band) or box.x_overlap(region) <= 0:
            continue
        if (below and region.y1 - 1 <= box.y0 and box.y1 <= caption_edge + 1) or (
            not below and caption_edge - 1 <= box.y0 and box.y1 <= region.y0 + 1
        ):
            region = region | (box & band)
    return region
