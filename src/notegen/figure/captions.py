"""Captions: the labels that open a figure's or a table's caption in the languages papers are written in, reading a
caption whole (across the text blocks, columns and pages it is split over), a figure's note and source lines, and
which text may be a figure's own. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from notegen.figure.geometry import CAPTION_FOOT, SMALLER, Box, Line, Style, is_body, same_size

# A figure's label in the languages of the papers people read: English; German (Abb., Abbildung); Spanish,
# Portuguese and Italian (Figura); Russian (Рис., Рисунок); Chinese (图, 圖) and Japanese (図), whose captions put
# the number right after the label or after a space ("图1：", "图 2.1 系统框图").
_WORD_LABEL = (
    r"(?:Figure|FIGURE|Fig\.?|FIG\.?|Figs?\.|Abbildung|ABBILDUNG|Abb\.|ABB\.|Figura|FIGURA|Рисунок|РИСУНОК|Рис\.|РИС\.)"
)
_CJK_LABEL = r"[图圖図]"
_LABEL = rf"(?:{_WORD_LABEL}|{_CJK_LABEL})"
_TABLE_LABEL = r"(?:Table|TABLE|Tab\.|Tabelle|TABELLE|Tabla|Tabela|Tabella|Таблица|ТАБЛИЦА)"
_CHAPTER_DOT = r"[.\-–．]"  # between a chapter's number and the figure's: 2.1, 2-1
_CHAPTER = rf"\d+{_CHAPTER_DOT}\d+"  # a figure numbered in its chapter, as theses and books number them
_NUMBERING = rf"(?:S?{_CHAPTER}|S?\d+|[IVX]+)"  # a figure's or table's number (S: in a supplement)
# What may follow a caption's number ("、" and the full-width ones in Chinese captions).
_PUNCT_MARKS = ":：.．、|—–"
_PUNCT = f"[{_PUNCT_MARKS}]"
_ANY_LABEL = re.compile(
    rf"^\s*(?:(?:{_WORD_LABEL}|{_TABLE_LABEL})\s*{_NUMBERING}\b|(?P<cjk>[图圖図表])\s*(?:{_CHAPTER}|\d+)(?!\d))"
)
QUICK = re.compile(r"Fig|FIG|Abb|ABB|Рис|РИС|Рисунок|[图圖図]")  # a page without any of these has no caption


def caption_pattern(number: int | None) -> re.Pattern[str]:
    """A caption's opening: the label and number, then punctuation, the end of the line, or a capital. With
    `number` None, any figure numbered in its chapter ("Figure 2.1", "图 2-1"); figure 1 is never figure 1.1."""
    # (a digit as Chinese typesetting often sets it, full width: "图１")
    wide = "".join(f"[{d}{chr(ord(d) + 0xFEE0)}]" for d in str(number)) if number is not None else ""
    digits = rf"{wide}(?!{_CHAPTER_DOT}?\d)" if number is not None else rf"{_CHAPTER}(?!\d)"
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
        return not after or after[:1].isspace() or after[:1] in _PUNCT_MARKS
    rest = after.lstrip()
    # After a Latin label, "、" lists figures in a Chinese sentence ("Figure 1、Figure 2 所示"), not a caption.
    return not rest or (rest[:1] in _PUNCT_MARKS and rest[:1] != "、") or line.label_bold


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


def typeset_apart(line: Line, style: Style) -> bool:
    """A caption typeset apart from the body (its own font, bold label or smaller size)."""
    return line.label_bold or line.font != style.body_font or line.size < style.body_size - SMALLER


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
        if line.box.y0 < last.y0 - 1 or gap > 1.1 * size or not same_size(line.size, size):
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
_BARE_LABEL = re.compile(rf"^\s*{_LABEL}\s*{_NUMBERING}\s*{_PUNCT}?\s*$")


def _goes_on_in(lines: Sequence[Line], at: int, box: Box, last: Box, text: str, size: float) -> bool:
    """Whether line `at` is where a caption cut off at the foot of its column goes on: the caption's sentence is
    not over, nothing follows it in its column, and the line opens the next column (to the right, higher up) in
    the caption's type."""
    line = lines[at]
    if not same_size(line.size, size) or is_any_caption(line):
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
    foot = page.y1 - CAPTION_FOOT * page.height
    return not any(o.box.y0 > last.y1 - 1 and o.box.y0 < foot and o.box.x_overlap(box) > 0 for o in lines)


def run_on_text(lines: Sequence[Line], caption: Line, page: Box) -> str:
    """Where a caption cut off at the foot of a page goes on: the first text of the next page's column (below
    its running head) in the caption's type, read as a caption is read; "" when that page opens otherwise."""
    head = page.y0 + CAPTION_FOOT * page.height
    below = sorted((i for i, o in enumerate(lines) if o.box.y0 > head), key=lambda i: lines[i].box.y0)
    column = [i for i in below if lines[i].box.x_overlap(caption.box) > 0]
    if not column:
        return ""
    first = lines[column[0]]
    if not same_size(first.size, caption.size) or is_any_caption(first) or is_figure_note(first):
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
