"""PDF adapter: the title, the text the summary needs, and Figure N found from its caption, rendered to PNG.

Only this module imports `pymupdf`. The figure is found from its caption ("Figure 1:", "Fig. 1.", "FIG. 1",
"Figure 1 |"), never from the largest image in the file: most figures in papers are vector drawings, and an
unrelated crop costs the reviewer more than no figure.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from notegen import figures
from notegen.errors import PaperError

log = logging.getLogger(__name__)

DPI = 150
MAX_PIXELS = 4_000_000  # a cap on the rendered figure, whatever its size on the page
MARGIN = 1.5  # points around the figure's ink
ABSTRACT_CHARS = 3000
TEXT_PAGES = 4  # the abstract and introduction are in the first pages

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own warnings are not for the person


@dataclass(frozen=True)
class Figure:
    page: int  # 0-based
    bbox: tuple[float, float, float, float]  # PDF points, origin top-left
    caption: str
    png: bytes
    method: str


@dataclass(frozen=True)
class Extracted:
    title: str
    abstract: str
    introduction: str
    figure: Figure | None
    figure_reason: str | None  # why there is no figure, for the reviewer


def check_pdf(path: Path, name: str | None = None) -> None:
    """Raise PaperError unless `path` is a PDF that opens and has pages."""
    with _open(path, name or str(path)):
        pass


def _open(path: Path, name: str) -> pymupdf.Document:
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as err:
        raise PaperError(name, f"cannot read the file ({err.strerror}); check the path and its permissions") from err
    if b"%PDF-" not in head:
        raise PaperError(name, "not a PDF (no %PDF- header); pass the paper's PDF file")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as err:  # MuPDF raises several types for broken files
        raise PaperError(name, f"not a readable PDF ({_short(err)}); download it again or pass another file") from err
    if doc.needs_pass:
        doc.close()
        raise PaperError(name, "the PDF is encrypted with a password; pass a decrypted copy")
    if doc.page_count == 0:
        doc.close()
        raise PaperError(name, "the PDF has no pages; pass another file")
    return doc


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:120] or type(err).__name__


def extract(path: Path, name: str, number: int = 1, intro_chars: int = 6000) -> Extracted:
    """Everything notegen needs from one PDF."""
    with _open(path, name) as doc:
        text = _leading_text(doc)
        figure, reason = find_figure(doc, number)
        return Extracted(
            title=pdf_title(doc),
            abstract=_abstract(text),
            introduction=_introduction(text, intro_chars),
            figure=figure,
            figure_reason=reason,
        )


# -- text ---------------------------------------------------------------------------------------------


def _leading_text(doc: pymupdf.Document) -> str:
    pages = [doc[i].get_text("text", sort=False) for i in range(min(TEXT_PAGES, doc.page_count))]
    return "\n".join(pages)


_INTRO = re.compile(r"^[ \t]*(?:(?:1|I)\.?\s*)?Introduction[ \t]*$", re.IGNORECASE | re.MULTILINE)
_NEXT_SECTION = re.compile(
    r"^[ \t]*(?:2|II)\.?[ \t]+[A-Z][^\n]{2,80}$|^[ \t]*(?:Related Work|Background|Method|Preliminaries)[ \t]*$",
    re.MULTILINE,
)
_ABSTRACT = re.compile(r"^[ \t]*(?:Abstract|ABSTRACT)[ \t.:—-]*", re.MULTILINE)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"-\n(?=[a-z])", "", text)  # words hyphenated at line ends
    return " ".join(text.split())


def _introduction(text: str, limit: int) -> str:
    m = _INTRO.search(text)
    if not m:
        return ""
    rest = text[m.end() :]
    end = _NEXT_SECTION.search(rest)
    return _bounded(_clean(rest[: end.start()] if end else rest), limit)


def _abstract(text: str) -> str:
    m = _ABSTRACT.search(text)
    if not m:
        return ""
    rest = text[m.end() :]
    end = _INTRO.search(rest)
    return _bounded(_clean(rest[: end.start()] if end else rest), ABSTRACT_CHARS)


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1 if cut > limit // 2 else limit]


def pdf_title(doc: pymupdf.Document) -> str:
    """The title from the PDF's metadata when it looks like one, else the largest text at the top of page 1."""
    meta = unicodedata.normalize("NFKC", " ".join((doc.metadata or {}).get("title", "").split()))
    if _plausible_title(meta):
        return meta
    page = doc[0]
    lines: list[tuple[float, float, str]] = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            horizontal = abs(line["dir"][0] - 1) < 1e-3
            if not spans or not horizontal or line["bbox"][1] > page.rect.height / 2:
                continue
            size = max(s["size"] for s in spans)
            lines.append((size, line["bbox"][1], "".join(s["text"] for s in spans).strip()))
    if not lines:
        return ""
    top = max(size for size, _, _ in lines)
    title: list[str] = []
    last_y = None
    for size, y, text in sorted(lines, key=lambda t: t[1]):
        if size < top - 0.5:
            continue
        if last_y is not None and y - last_y > 2.5 * top:
            break  # the same size further down is a heading, not the title
        title.append(text)
        last_y = y
    return unicodedata.normalize("NFKC", " ".join(" ".join(title).split()))[:300]


def _plausible_title(title: str) -> bool:
    if len(title) < 8 or len(title.split()) < 2:
        return False
    lowered = title.lower()
    return not (
        lowered.endswith((".pdf", ".dvi", ".tex", ".doc", ".docx"))
        or lowered.startswith(("microsoft word", "untitled"))
    )


# -- the figure ---------------------------------------------------------------------------------------

_INK_TABLE = bytes(1 if value < figures.INK else 0 for value in range(256))
_QUICK = re.compile(r"(?:Fig|FIG)")


@dataclass(frozen=True)
class _Band:
    """A rendered region of a page at 1 px per point: per pixel row, ink with and without masked text."""

    box: figures.Box  # the rendered area, in page points (whole points)
    width: int
    all_ink: bytes  # 1 where inked, row-major, `width` per row
    graphics: figures.Rows  # first and last inked column per row, with non-figure text masked out
    soft: list[bool]  # rows covered by masked text that may belong to a figure (labels, not body text)


def _page_lines(page: pymupdf.Page) -> list[figures.Line]:
    lines: list[figures.Line] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans or abs(line["dir"][0] - 1) > 1e-3:
                continue  # empty, or rotated (margin stamps, axis titles are inked anyway)
            chars = Counter[tuple[str, float, bool]]()
            for s in spans:
                chars[(s["font"], round(s["size"], 1), bool(s["flags"] & 16))] += len(s["text"])
            (font, size, bold), _ = chars.most_common(1)[0]
            lines.append(
                figures.Line(
                    box=figures.Box(*line["bbox"]),
                    text=unicodedata.normalize("NFKC", "".join(s["text"] for s in line["spans"]).strip()),
                    size=size,
                    font=font,
                    bold=bold,
                    block=block["number"],
                    label_bold=bool(spans[0]["flags"] & 16),
                    label_font=spans[0]["font"],
                )
            )
    return lines


def _render_band(
    page: pymupdf.Page, box: figures.Box, mask: list[figures.Box], soft_lines: list[figures.Box]
) -> _Band | None:
    clip = pymupdf.IRect(int(box.x0), int(box.y0), int(box.x1 + 0.999), int(box.y1 + 0.999))
    if clip.width < 4 or clip.height < 4:
        return None
    pix = page.get_pixmap(clip=clip, colorspace=pymupdf.csGRAY, alpha=False, annots=False)
    width, height, stride = pix.width, pix.height, pix.stride
    gray = bytearray(pix.samples)
    if stride != width:  # keep one byte per pixel, row-major
        gray = bytearray(b"".join(gray[r * stride : r * stride + width] for r in range(height)))
    all_ink = bytes(gray).translate(_INK_TABLE)
    for hole in mask:
        c0, c1 = max(0, int(hole.x0) - pix.x - 1), min(width, int(hole.x1 + 0.999) - pix.x + 1)
        r0, r1 = max(0, int(hole.y0) - pix.y - 1), min(height, int(hole.y1 + 0.999) - pix.y + 1)
        if c0 >= c1 or r0 >= r1:
            continue
        blank = b"\xff" * (c1 - c0)
        for r in range(r0, r1):
            gray[r * width + c0 : r * width + c1] = blank
    masked = bytes(gray).translate(_INK_TABLE)
    rows: list[tuple[int, int] | None] = []
    for r in range(height):
        row = masked[r * width : (r + 1) * width]
        lo = row.find(1)
        rows.append(None if lo < 0 else (lo, row.rfind(1)))
    soft = [False] * height
    for line in soft_lines:
        for r in range(max(0, int(line.y0) - pix.y), min(height, int(line.y1 + 0.999) - pix.y)):
            soft[r] = True
    return _Band(figures.Box(pix.x, pix.y, pix.x + width, pix.y + height), width, all_ink, rows, soft)


def _ink_box(band: _Band, region: figures.Box) -> figures.Box | None:
    """`region` trimmed to what is visibly inked in it."""
    c0 = max(0, int(region.x0 - band.box.x0))
    c1 = min(band.width, int(region.x1 - band.box.x0 + 0.999))
    r0 = max(0, int(region.y0 - band.box.y0))
    r1 = min(len(band.graphics), int(region.y1 - band.box.y0 + 0.999))
    top = bottom = left = right = None
    for r in range(r0, r1):
        row = band.all_ink[r * band.width + c0 : r * band.width + c1]
        lo = row.find(1)
        if lo < 0:
            continue
        hi = row.rfind(1)
        top = r if top is None else top
        bottom = r
        left = lo if left is None else min(left, lo)
        right = hi if right is None else max(right, hi)
    if top is None or bottom is None or left is None or right is None:
        return None
    x, y = band.box.x0 + c0, band.box.y0
    return figures.Box(x + left, y + top, x + right + 1, y + bottom + 1)


def _region(
    page: pymupdf.Page,
    lines: list[figures.Line],
    style: figures.Style,
    area: figures.Box,
    seed: tuple[str, int] | range,
) -> figures.Box | None:
    """The figure in `area`: grown from one edge (("up"|"down", start row)) or around rows `seed`."""
    keep = [line for line in lines if figures.is_sublabel(line, style) and not figures.is_any_caption(line)]
    near = area.grown(3)
    mask = [line.box for line in lines if line.box.intersects(near) and line not in keep]
    text = [line for line in lines if not figures.is_body(line, style) and not figures.is_any_caption(line)]
    band = _render_band(page, area, mask, [line.box for line in text if line.box.intersects(area)])
    if band is None:
        return None
    top = int(band.box.y0)
    if isinstance(seed, range):
        block = figures.grow_around(band.graphics, range(seed.start - top, seed.stop - top), soft=band.soft)
    else:
        direction, start = seed
        block = figures.grow(band.graphics, start - top, -1 if direction == "up" else 1, soft=band.soft)
    if block is None:
        return None
    page_box = figures.Box(*page.rect)
    header, footer = int(page_box.height * 0.1), int(page_box.height * 0.9)
    block = figures.drop_margins(band.graphics, block, int(band.box.y0), header, footer)
    if block is None:
        return None
    cols = figures.columns(band.graphics, block)
    if cols is None:
        return None
    graphics = figures.Box(
        band.box.x0 + cols[0], band.box.y0 + block.start, band.box.x0 + cols[1] + 1, band.box.y0 + block.stop
    )
    if not figures.big_enough(graphics):
        return None
    region = figures.attach_text(graphics, text, band.box, page_box)
    return _ink_box(band, region)


def _is_set_off(line: figures.Line, style: figures.Style) -> bool:
    """A caption typeset apart from the body (its own font, bold label or smaller size)."""
    return line.label_bold or line.font != style.body_font or line.size < style.body_size - 0.5


def _locate(
    doc: pymupdf.Document, index: int, lines: list[figures.Line], at: int, style: figures.Style
) -> tuple[int, figures.Box, str, str] | None:
    """(page, box, caption, method) of the figure whose caption starts at `lines[at]`."""
    page = doc[index]
    page_box = figures.Box(*page.rect)
    caption, text = figures.caption_box(lines, at)
    zone = figures.content_zone(page_box)
    column = figures.span(caption, page_box) & zone
    walls = figures.barriers(lines, style, caption, column)
    above = figures.band_above(caption, walls, column)
    found = _region(page, lines, style, above, ("up", int(caption.y0)))
    if found is not None:
        return index, found, text, "caption-below-figure"
    below = figures.band_below(caption, walls, column)
    found = _region(page, lines, style, below, ("down", int(caption.y1)))
    if found is not None:
        return index, found, text, "caption-above-figure"
    if not _is_set_off(lines[at], style):
        return None
    if column.width < page_box.width * 0.75:  # a caption in one column may sit beside its figure
        other = figures.Box(page_box.x0, zone.y0, column.x0, zone.y1)
        if column.x0 - page_box.x0 < page_box.width / 4:
            other = figures.Box(column.x1, zone.y0, page_box.x1, zone.y1)
        beside = figures.Box(other.x0, caption.y0, other.x1, caption.y1)
        walls = figures.barriers(lines, style, beside, other)
        band = figures.Box(
            other.x0,
            max([w.y1 for w in walls if w.y1 <= caption.y0 + 1], default=other.y0),
            other.x1,
            min([w.y0 for w in walls if w.y0 >= caption.y1 - 1], default=other.y1),
        )
        found = _region(page, lines, style, band, range(int(caption.y0), int(caption.y1) + 1))
        if found is not None:
            return index, found, text, "caption-beside-figure"
    if index + 1 < doc.page_count and caption.y0 > page_box.height / 2:
        # A caption low on its page, the figure a plate on the next page.
        nxt = doc[index + 1]
        nxt_box = figures.content_zone(figures.Box(*nxt.rect))
        nxt_lines = _page_lines(nxt)
        body = [line for line in nxt_lines if figures.is_body(line, figures.body_style(nxt_lines))]
        if len(body) <= 3:
            found = _region(nxt, nxt_lines, style, nxt_box, range(int(nxt_box.y0), int(nxt_box.y1)))
            if found is not None and found.height >= nxt_box.height * 0.3:
                return index + 1, found, text, "figure-on-next-page"
    return None


def find_figure(doc: pymupdf.Document, number: int = 1) -> tuple[Figure | None, str | None]:
    """Figure `number` and its PNG, or None and the reason, for the reviewer."""
    seen_caption: int | None = None
    for index in range(doc.page_count):
        page = doc[index]
        if not _QUICK.search(page.get_text("text", flags=pymupdf.TEXTFLAGS_TEXT)):
            continue
        lines = _page_lines(page)
        style = figures.body_style(lines)
        for at, line in enumerate(lines):
            if not figures.is_caption(line, number, style.body_font):
                continue
            seen_caption = index if seen_caption is None else seen_caption
            located = _locate(doc, index, lines, at, style)
            if located is None:
                continue
            fig_page, box, caption, method = located
            region = figures.with_margin(box, MARGIN, figures.Box(*doc[fig_page].rect))
            png = render(doc[fig_page], pymupdf.Rect(region.x0, region.y0, region.x1, region.y1))
            return Figure(fig_page, region.tuple(), caption, png, method), None
    if seen_caption is not None:
        return None, f"found the caption of Figure {number} on page {seen_caption + 1} but no figure beside it"
    return None, f"no caption \"Figure {number}\" in the PDF"


def render(page: pymupdf.Page, region: pymupdf.Rect) -> bytes:
    """`region` of `page` as PNG bytes, without annotations, at DPI or less to stay under MAX_PIXELS."""
    zoom = DPI / 72
    pixels = region.width * zoom * region.height * zoom
    if pixels > MAX_PIXELS:
        zoom *= (MAX_PIXELS / pixels) ** 0.5
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=region, annots=False, alpha=False)
    return bytes(pix.tobytes("png"))
