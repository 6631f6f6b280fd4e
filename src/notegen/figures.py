"""Where Figure N is on a page: caption recognition and region geometry. Pure (boxes, text lines, ink rows).

The method is caption-anchored. A caption line is recognised by its label ("Figure 1:", "Fig. 1.", "FIG. 1",
"Figure 1 |", or a bold "Figure 1" followed by a capital). The figure body is looked for next to it: above,
below, beside it in the other column, or on the next page. Text alone cannot say where a figure is (paths can
be invisible, images clipped, backgrounds white), so the page is rendered at 1 px per point and the figure is
what is visibly inked there, with the text lines that are not the figure's masked out:

- a band is bounded by body text and other captions (barriers) and by the page's header and footer zones;
- the figure's graphics are grown row by row from the caption across gaps of at most MAX_GAP points;
- text lines touching that region (labels, legends, sub-captions) join it; body text never does;
- the result is trimmed to its ink.

The extract module renders and measures; everything here is arithmetic on what it measured.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

MARGIN_ZONE = 0.045  # top and bottom share of the page for running headers, footers and page numbers
START_GAP = 40.0  # points between caption and the nearest part of its figure, at most
MAX_GAP = 24.0  # points of empty rows that still join two parts of one figure
TEXT_REACH = 6.0  # points around the figure's graphics within which text lines belong to it
SMALL_REACH = 16.0  # the same for text set smaller than the body (a figure's own labels and titles)
MIN_WIDTH, MIN_HEIGHT = 36.0, 24.0  # smaller than this is a rule or an icon, not a figure
INK = 242  # gray level (0 black .. 255 white) below which a pixel is ink


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
    bold: bool
    block: int
    label_bold: bool = False  # the first span ("Figure 1") is bold
    label_font: str = ""  # the first span's font
    mono: bool = False  # set mostly in a fixed-pitch font: code
    note: bool = False  # a line of a figure's note or source line that runs over several lines


# -- captions -----------------------------------------------------------------------------------------

# A figure's label in the languages of the papers people read: English; German (Abb., Abbildung); Spanish,
# Portuguese and Italian (Figura); Russian (Рис., Рисунок); Chinese (图, 圖) and Japanese (図), whose captions put
# the number right after the label or after a space ("图1：", "图 2.1 系统框图").
_WORD_LABEL = (
    r"(?:Figure|FIGURE|Fig\.?|FIG\.?|Figs?\.|Abbildung|ABBILDUNG|Abb\.|ABB\.|Figura|FIGURA|Рисунок|РИСУНОК|Рис\.|РИС\.)"
)
_CJK_LABEL = r"[图圖図]"
_LABEL = rf"(?:{_WORD_LABEL}|{_CJK_LABEL})"
_TABLE_LABEL = r"(?:Table|TABLE|Tab\.|Tabelle|TABELLE|Tabla|Tabela|Tabella|Таблица|ТАБЛИЦА)"
_CHAPTER = r"\d+[.\-–．]\d+"  # a figure numbered in its chapter, as theses and books number them: 2.1, 2-1
_PUNCT = r"[:：.．、|—–]"  # what may follow a caption's number ("、" and the full-width ones in Chinese captions)
_ANY_LABEL = re.compile(
    rf"^\s*(?:(?:{_WORD_LABEL}|{_TABLE_LABEL})\s*(?:S?{_CHAPTER}|S?\d+|[IVX]+)\b|(?P<cjk>[图圖図表])\s*(?:{_CHAPTER}|\d+)(?!\d))"
)
QUICK = re.compile(r"Fig|FIG|Abb|ABB|Рис|РИС|Рисунок|[图圖図]")  # a page without any of these has no caption


def caption_pattern(number: int | None) -> re.Pattern[str]:
    """A caption's opening: the label and number, then punctuation, the end of the line, or a capital. With
    `number` None, any figure numbered in its chapter ("Figure 2.1", "图 2-1"); figure 1 is never figure 1.1."""
    # (a digit as Chinese typesetting often sets it, full width: "图１")
    wide = "".join(f"[{d}{chr(ord(d) + 0xFEE0)}]" for d in str(number)) if number is not None else ""
    digits = rf"{wide}(?![.\-–．]?\d)" if number is not None else rf"{_CHAPTER}(?!\d)"
    return re.compile(
        rf"^\s*(?:{_WORD_LABEL}|(?P<cjk>{_CJK_LABEL}))\s*{digits}(?P<gap>\s*)(?P<punct>{_PUNCT}|-\s|$)?(?P<rest>\s*\S?)"
    )


def is_caption(line: Line, number: int | None, style: Style, block: Box | None = None) -> bool:
    """Whether `line` opens the caption of figure `number` (None: of the first figure a thesis numbers in its
    chapter), not a body sentence that mentions it. `block`: the page's text block, where a caption set in the
    body's own type may stand centred."""
    m = caption_pattern(number).match(line.text)
    if not m:
        return False
    if m.group("punct") is not None:
        return True
    set_off = line.label_bold or (line.label_font != "" and line.label_font != style.body_font)
    if m.group("cjk"):
        # "图1 系统框图": a space, then the caption, set off from the body by its label or a smaller size; a body
        # sentence goes on without a space ("图1所示的…") or in the body's own type.
        return m.group("gap") != "" and (set_off or line.size < style.body_size - 0.4 or _centred(line, block))
    # "Figure 1 Simultaneous recordings ..." (no punctuation): only with a set-off label (or standing centred) and
    # a capital next.
    rest = m.group("rest").strip()
    return (set_off or _centred(line, block)) and (rest[:1].isupper() or rest[:1] == "(")


def _centred(line: Line, block: Box | None) -> bool:
    """A short line centred in the text block or in one of its two columns (a caption in the body's type, as a
    Chinese thesis may set it); running text starts at the column's left edge."""
    if block is None or line.box.width > 0.6 * block.width or line.text.rstrip().endswith(("。", "，", "；", ".")):
        return False
    middle = (line.box.x0 + line.box.x1) / 2
    half = block.width / 2
    centres = (block.x0 + half, block.x0 + half / 2, block.x1 - half / 2)
    return any(abs(middle - c) <= 0.03 * block.width for c in centres) and line.box.x0 > block.x0 + 0.1 * half


def is_any_caption(line: Line) -> bool:
    """Any figure or table caption opening: another caption bounds a figure's region."""
    m = _ANY_LABEL.match(line.text)
    if not m:
        return False
    after = line.text[m.end() :]
    if m.group("cjk"):
        return after[:1].isspace() or re.match(_PUNCT, after[:1]) is not None or not after
    rest = after.lstrip()
    return rest[:1] in (":", ".", "|", "—", "–", "：", "") or line.label_bold


# A figure's note or source line, set under it (economics, statistics, Chinese journals): not the figure's text.
# (Set right under the caption, in its type, the model reads it with the caption: it says where the data is from.)
_NOTE = re.compile(
    r"^\s*(?:(?:Notes?|NOTES?|Sources?|SOURCES?|Data sources?|Note and sources?|Notes and sources?)\s*[:：.]"
    r"|(?:Quelle|Anmerkung(?:en)?|Fuente|Fuentes|Fonte|Nota|Notas|Источник|Примечание)\s*[:：]"
    r"|(?:资料来源|数据来源|來源|来源|注释|注|附注)\s*[:：])"
)


def is_figure_note(line: Line) -> bool:
    """Whether `line` is a figure's note or source line ("Note:", "Source:", "资料来源：", "注："), or goes on one
    (`mark_notes`)."""
    return line.note or _NOTE.match(line.text) is not None


def mark_notes(lines: Sequence[Line]) -> list[Line]:
    """`lines` with those that go on a figure's note (the rest of its text block, in its type) marked as such."""
    out: list[Line] = []
    opened: Line | None = None
    for line in lines:
        if opened is not None and line.block == opened.block and abs(line.size - opened.size) <= 0.5:
            out.append(replace(line, note=True))
            continue
        opened = line if _NOTE.match(line.text) else None
        out.append(line)
    return out


def figure_text(line: Line, style: Style) -> bool:
    """Whether `line` may be a figure's own text (labels, legends, panel titles): not body text, not a caption,
    not a figure's note or source line."""
    return not is_body(line, style) and not is_any_caption(line) and not is_figure_note(line)


_LABEL_ONLY = re.compile(rf"^\s*{_WORD_LABEL}\s*$")


def join_split_labels(lines: list[Line]) -> list[Line]:
    """Lines with a caption's label and its number put together where the text layer split them ("Fig." then
    "1.— The power spectrum …" on the next line, as AASTeX's captions come out)."""
    out: list[Line] = []
    for line in lines:
        last = out[-1] if out else None
        if (
            last is not None
            and _LABEL_ONLY.match(last.text)
            and line.text[:1].isdigit()
            and line.box.y0 - last.box.y1 < last.size
        ):
            out[-1] = replace(last, box=last.box | line.box, text=f"{last.text.strip()} {line.text}")
            continue
        out.append(line)
    return out


def caption_box(lines: Sequence[Line], index: int) -> tuple[Box, str]:
    """The whole caption from line `index`: the lines below it in its column, in its type size, across the
    text blocks a PDF splits it into, until a gap that ends a paragraph, another caption or other text. A caption
    cut off mid-sentence by the foot of its column goes on at the top of the next one (its text does; the box is
    the part by the figure).

    A label set as a line of its own ("Figure 1." with the text beside it in another block) takes the lines on
    its row along.
    """
    first = lines[index]
    size = first.size
    box, parts, last = first.box, [first.text], first.box
    column: Box | None = None  # where the caption goes on, once it has jumped to the next column
    gaps: list[float] = []
    for at, line in enumerate(lines[index + 1 :], start=index + 1):
        shared = min(line.box.y1, first.box.y1) - max(line.box.y0, first.box.y0)
        if column is None and shared > 0.5 * min(line.box.height, first.box.height):  # on the label's row
            if 0 <= line.box.x0 - box.x1 <= 3 * size:
                box, parts = box | line.box, [*parts, line.text]
                continue
            if not _goes_on_in(lines, at, box, last, parts[-1], size):
                break
        if column is None and line.box.y0 < last.y0 - 1 and _goes_on_in(lines, at, box, last, parts[-1], size):
            column, last = line.box, line.box
            parts.append(line.text)
            continue
        gap = line.box.y0 - last.y1
        if line.box.y0 < last.y0 - 1 or gap > 1.1 * size or abs(line.size - size) > 0.6:
            break
        translated = _translation(first.text, line.text)
        if is_any_caption(line) and not translated:
            break
        # "Figure 1" set on a line of its own, the caption's text right under it (a line's leading apart)
        alone = len(parts) == 1 and _BARE_LABEL.match(parts[0]) is not None and gap <= 0.5 * size
        if (column or box).x_overlap(line.box) < (0.01 if alone or translated else 0.8) * line.box.width:
            break  # another column, or text beside the caption
        ended = parts[-1].rstrip().endswith(_SENTENCE_END)
        if ended and gap > (max(gaps) + 2 if gaps else 0.5 * size):
            break  # a paragraph after the caption's last sentence
        gaps.append(gap)
        if column is None:
            box = box | line.box
        last = line.box
        parts.append(line.text)
    return box, join_text(parts)


_NUMBER = re.compile(rf"{_CHAPTER}|\d+")


def _translation(caption: str, line: str) -> bool:
    """Whether `line` is `caption`'s translation, set under it as Chinese journals and theses do: a caption of
    the same number with the label in the other script ("图1 系统框图" then "Fig. 1 System diagram")."""
    first, other = _ANY_LABEL.match(caption), _ANY_LABEL.match(line)
    if first is None or other is None or (first.group("cjk") is None) == (other.group("cjk") is None):
        return False
    ours, theirs = _NUMBER.search(first.group(0)), _NUMBER.search(other.group(0))
    return ours is not None and theirs is not None and ours.group(0) == theirs.group(0)


_SENTENCE_END = (".", "!", "?", ":", ")", "。", "！", "？", "）")
_BARE_LABEL = re.compile(rf"^\s*{_LABEL}\s*(?:S?{_CHAPTER}|S?\d+|[IVX]+)\s*{_PUNCT}?\s*$")


def _goes_on_in(lines: Sequence[Line], at: int, box: Box, last: Box, text: str, size: float) -> bool:
    """Whether line `at` is where a caption cut off at the foot of its column goes on: the caption's sentence is
    not over, nothing follows it in its column, and the line opens the next column (to the right, higher up) in
    the caption's type."""
    line = lines[at]
    if abs(line.size - size) > 0.6 or is_any_caption(line):
        return False
    if line.box.x0 < box.x1 - 2 or line.box.y0 >= last.y0:
        return False
    if not _cut_off(lines, last, line.box.x0, text, box):
        return False
    below = [other for other in lines if other.box.y0 > last.y1 - 1 and other.box.x_overlap(box) > 0]
    return not any(other.box.y0 - last.y1 < 4 * size for other in below)


def _cut_off(lines: Sequence[Line], last: Box, x0: float, text: str, caption: Box) -> bool:
    """Whether a caption (`caption`, its box) whose text so far is `text` and whose last line is `last` stops
    mid-sentence: its sentence is not over and its last line is full (as wide as the column's other lines
    starting at `x0`). A caption that is a title ("Figure 1 Model fit", "图1 系统框图") stops short of the
    column's width or stands centred, and what follows is not its."""
    text = text.rstrip()
    if text.endswith(_SENTENCE_END):
        return False
    others = [o.box.width for o in lines if abs(o.box.x0 - x0) <= 3 and not o.box.intersects(caption)]
    return (bool(others) and last.width >= 0.8 * max(others)) or text.endswith(("-", ","))


def runs_on(lines: Sequence[Line], index: int, page: Box) -> bool:
    """Whether the caption from line `index` is cut off mid-sentence by the foot of the page: its sentence is not
    over, its last line is full, and nothing but the page's foot follows it in its column."""
    box, text = caption_box(lines, index)
    last = max((line for line in lines if line.box.intersects(box)), key=lambda line: line.box.y1).box
    if not _cut_off(lines, last, last.x0, text, box):
        return False
    foot = page.y1 - 0.08 * page.height
    return not any(o.box.y0 > last.y1 - 1 and o.box.y0 < foot and o.box.x_overlap(box) > 0 for o in lines)


def run_on_text(lines: Sequence[Line], caption: Line, page: Box) -> str:
    """Where a caption cut off at the foot of a page goes on: the first text of the next page's column (below
    its running head) in the caption's type, read as a caption is read; "" when that page opens otherwise."""
    head = page.y0 + 0.08 * page.height
    below = sorted((i for i, o in enumerate(lines) if o.box.y0 > head), key=lambda i: lines[i].box.y0)
    column = [i for i in below if lines[i].box.x_overlap(caption.box) > 0]
    if not column:
        return ""
    first = lines[column[0]]
    if abs(first.size - caption.size) > 0.6 or is_any_caption(first) or is_figure_note(first):
        return ""
    return caption_box(lines, column[0])[1]


def join_text(parts: Iterable[str]) -> str:
    """Lines joined into one text: a word hyphenated at a line's end joined again ("seg-" "mentation"), a
    compound's own hyphen kept ("state-of-the-" "art", "end-to-" "end")."""
    text = ""
    for part in (p.strip() for p in parts):
        if text.endswith(("-", "\u00ad", "\u2010")) and part[:1].islower():
            compound = "-" in text[:-1].rsplit(" ", 1)[-1]
            text = text[:-1] + ("-" if compound else "") + part
        else:
            text = f"{text} {part}".strip()
    return " ".join(text.split())


# -- the page's text ----------------------------------------------------------------------------------


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


def is_body(line: Line, style: Style) -> bool:
    """A line of running text: the body size and long enough to be prose, not a label, not code."""
    return (
        abs(line.size - style.body_size) <= 0.6
        and len(line.text) >= 30
        and not line.mono
        and not _SUBLABEL.match(line.text)
    )


_SUBLABEL = re.compile(r"^\s*\(?[a-zA-Z0-9ivx]{1,4}\)\s")


def is_sublabel(line: Line) -> bool:
    """Sub-captions ("(a) Featurized image pyramid"): part of the figure, between its rows of panels."""
    return bool(_SUBLABEL.match(line.text)) and len(line.text) < 120


# -- geometry -----------------------------------------------------------------------------------------


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


def content_zone(page: Box) -> Box:
    """The page without its header and footer zones."""
    margin = page.height * MARGIN_ZONE
    return Box(page.x0, page.y0 + margin, page.x1, page.y1 - margin)


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


def band_above(caption: Box, walls: Sequence[Box], area: Box) -> Box:
    top = max([w.y1 for w in walls if w.y1 <= caption.y0 + 1], default=area.y0)
    return Box(area.x0, max(top, area.y0), area.x1, caption.y0)


def band_below(caption: Box, walls: Sequence[Box], area: Box) -> Box:
    bottom = min([w.y0 for w in walls if w.y0 >= caption.y1 - 1], default=area.y1)
    return Box(area.x0, caption.y1, area.x1, min(bottom, area.y1))


Rows = Sequence[tuple[int, int] | None]  # per pixel row (1 px = 1 pt) of a band: first and last ink column


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
    found = [rows[i] for i in block if rows[i] is not None]
    if not found:
        return None
    return min(r[0] for r in found), max(r[1] for r in found)  # type: ignore[index]


def attach_text(
    region: Box,
    lines: Iterable[Line],
    band: Box,
    page: Box,
    reach: float = TEXT_REACH,
    small: float = 0.0,
    text_block: Box | None = None,
) -> Box:
    """`region` with the band's text lines that belong to it, transitively: lines touching it (labels, legends,
    panel titles); lines set smaller than `small` (a figure's own type) a little further off, above or below;
    and such small lines beside it (row titles left of a grid, labels right of a diagram) on its rows, within the
    page's `text_block` (not margin notes). Running headers and footers only when they lie inside it."""
    header, footer = page.y0 + page.height * 0.1, page.y1 - page.height * 0.1
    pending = [
        line
        for line in lines
        if line.box.intersects(band)
        and ((header < line.box.y1 and line.box.y0 < footer) or line.box.intersects(region))
    ]
    changed = True
    while changed:
        changed = False
        near = region.grown(reach)
        for line in list(pending):
            box = line.box
            tiny = line.size < small and any(ch.isalpha() for ch in line.text)  # words, not a page number
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


def drop_tables(rows: Rows, block: range, far_first: bool, ruled: Callable[[range], bool]) -> range | None:
    """`block` without the tables at its far end (away from the caption; the start when `far_first`): parts set
    apart by a gap that `ruled` says are a table's grid, or a lone rule, as long as something else is left."""
    parts = _parts(rows, block, 6)
    order = parts if far_first else parts[::-1]
    while len(order) > 1 and (len(order[0]) <= RULE or ruled(order[0])):  # a lone rule: a table's last line
        order = order[1:]
    if not order:
        return None
    kept = order if far_first else order[::-1]
    return range(kept[0].start, kept[-1].stop)


def _parts(rows: Rows, block: range, gap_rows: int) -> list[range]:
    """The inked stretches of `block` separated by more than `gap_rows` empty rows."""
    parts: list[range] = []
    start = last = None
    for i in block:
        if rows[i] is None:
            continue
        if start is not None and last is not None and i - last > gap_rows:
            parts.append(range(start, last + 1))
            start = None
        start = i if start is None else start
        last = i
    if start is not None and last is not None:
        parts.append(range(start, last + 1))
    return parts


RULE = 3  # points: a running header's or footer's rule is this thin (their text is masked already)


def drop_margins(rows: Rows, block: range, top: int, header: int, footer: int) -> range | None:
    """`block` (rows of a band whose first row is page row `top`) without a running header's or footer's rule
    in the page's top or bottom tenth, set apart by a gap. A legend box above a plot is thicker and stays."""
    parts: list[range] = []
    start = last = None
    gap = 0
    for i in block:
        if rows[i] is not None:
            if start is None:
                start = i
            elif gap >= 6 and last is not None:
                parts.append(range(start, last + 1))
                start = i
            last = i
            gap = 0
        else:
            gap += 1
    if start is not None and last is not None:
        parts.append(range(start, last + 1))
    while len(parts) > 1 and top + parts[0].stop <= header and len(parts[0]) <= RULE:
        parts.pop(0)
    while len(parts) > 1 and top + parts[-1].start >= footer and len(parts[-1]) <= RULE:
        parts.pop()
    return range(parts[0].start, parts[-1].stop) if parts else None


# What `extract` may doubt about a crop (the note says each in Chinese: notegen.note.DOUBTS).
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
    lowest line starts), where the journal sets it, from 4% to 12% of the page in; else None."""
    if len(line.text) > 80:
        return None
    if line.box.y0 < first - 1:
        return "head"
    if line.box.y1 > last + 1:
        return "foot"
    return None


def labels_left_out(region: Box, lines: Sequence[Line], style: Style, page: Box, reach: float = 12.0) -> bool:
    """Small type just outside the crop on its rows or columns (a legend, a panel title, a row label): the crop
    may have stopped short of its figure. Running heads (the page's top and bottom tenth) do not count."""
    top, bottom = page.y0 + page.height * 0.1, page.y1 - page.height * 0.1
    for line in lines:
        box = line.box
        if box.intersects(region) or is_body(line, style) or is_any_caption(line):
            continue
        if line.size > style.body_size - 0.5 or box.y1 < top or box.y0 > bottom:
            continue
        if not any(ch.isalpha() for ch in line.text):
            continue
        beside = (
            box.y0 >= region.y0
            and box.y1 <= region.y1
            and (0 < region.x0 - box.x1 <= reach or 0 < box.x0 - region.x1 <= reach)
        )
        over = (
            box.x0 >= region.x0
            and box.x1 <= region.x1
            and (0 < region.y0 - box.y1 <= reach or 0 < box.y0 - region.y1 <= reach)
        )
        if (beside or over) and not _in_running_text(line, lines, style):
            return True
    return False


def _in_running_text(line: Line, lines: Sequence[Line], style: Style) -> bool:
    """Whether small type is a sub- or superscript of a line of body text beside it on its row (the math of the
    text above a figure), not a label of the figure."""
    box = line.box
    for other in lines:
        if other is line or abs(other.size - style.body_size) > 0.6:  # (a short stretch between formulas too)
            continue
        shared = min(box.y1, other.box.y1) - max(box.y0, other.box.y0)
        gap = max(other.box.x0 - box.x1, box.x0 - other.box.x1)
        if shared > 0.3 * box.height and gap <= 3.0:
            return True
    return False


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
    return replace(box.grown(margin) & page)
