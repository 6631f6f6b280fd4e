"""PDF adapter: the title, the text the summary needs, and Figure N found from its caption, rendered to PNG.

Only this module imports `pymupdf`. The figure is found from its caption ("Figure 1:", "Fig. 1.", "FIG. 1",
"Figure 1 |"), never from the largest image in the file: most figures in papers are vector drawings, and an
unrelated crop costs the reviewer more than no figure.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from notegen import figures
from notegen.errors import PaperError
from notegen.ids import ArxivId, parse_arxiv_id

log = logging.getLogger(__name__)

ZOOM = 2  # figures are rendered at 2 px per point (144 dpi): readable, and ink maps stay small
DPI = 72 * ZOOM
MAX_PIXELS = 4_000_000  # a cap on the rendered figure, whatever its size on the page
MAX_PAGE_PIXELS = 8_000_000  # larger pages (posters) get their ink maps and figures rendered separately
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


@dataclass(frozen=True)
class FigureResult:
    figure: Figure | None
    reason: str | None
    ms: float  # opening the PDF, finding the figure and rendering it


def figure_only(path: Path, name: str, number: int = 1) -> FigureResult:
    """Figure `number` of one PDF, timed: what `notegen figure` shows."""
    start = time.perf_counter()
    with _open(path, name) as doc:
        figure, reason = find_figure(doc, number)
    return FigureResult(figure, reason, (time.perf_counter() - start) * 1000)


@dataclass(frozen=True)
class Identity:
    """What says which paper a local PDF is, whatever was done to the file since it was downloaded."""

    arxiv_id: ArxivId | None  # from arXiv's stamp in the margin of page 1 ("arXiv:2401.16420v1 [cs.CV] 29 Jan 2024")
    document_id: str | None  # the first half of the PDF's /ID, which saving a highlight or a note keeps
    title: str


_STAMP = re.compile(r"^\s*arXiv:\s*(?P<id>\S+)\s+\[[^\]\s]+\]\s+\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s*$")
_DOCUMENT_ID = re.compile(r"^\[\s*(?:<(?P<hex>[0-9A-Fa-f\s]*)>|\((?P<text>(?:[^()\\]|\\.)*)\))")


def identify(path: Path, name: str) -> Identity:
    with _open(path, name) as doc:
        return Identity(_arxiv_stamp(doc[0]), _document_id(doc), pdf_title(doc))


def _arxiv_stamp(page: pymupdf.Page) -> ArxivId | None:
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            m = _STAMP.match("".join(span["text"] for span in line["spans"]))
            found = parse_arxiv_id(m.group("id")) if m else None
            if found is not None and found.version:
                return found
    return None


def _document_id(doc: pymupdf.Document) -> str | None:
    """The permanent half of the trailer's /ID, unless it is too short or too uniform to tell files apart."""
    try:
        kind, value = doc.xref_get_key(-1, "ID")
    except Exception:  # a trailer MuPDF cannot read has no usable /ID
        return None
    m = _DOCUMENT_ID.match(value) if kind == "array" else None
    if m is None:
        return None
    if m.group("hex") is not None:
        digits = "".join(m.group("hex").split()).lower()
        return digits if len(digits) >= 16 and len(set(digits)) > 2 else None
    raw = m.group("text").encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()[:32] if len(set(raw)) > 2 else None


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
    # Words as MuPDF separates them (by the gaps between letters): some PDFs place words apart without writing
    # a space, and their spans would run the words together.
    words: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for *_, word, block_no, line_no, word_no in page.get_text("words"):
        words.setdefault((block_no, line_no), []).append((word_no, word))
    lines: list[tuple[float, float, str]] = []
    for block in page.get_text("dict")["blocks"]:
        for number, line in enumerate(block.get("lines", [])):
            spans = [s for s in line["spans"] if s["text"].strip()]
            horizontal = abs(line["dir"][0] - 1) < 1e-3
            if not spans or not horizontal or line["bbox"][1] > page.rect.height / 2:
                continue
            size = max(s["size"] for s in spans)
            spaced = " ".join(w for _, w in sorted(words.get((block["number"], number), [])))
            lines.append((size, line["bbox"][1], spaced or "".join(s["text"] for s in spans).strip()))
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


class _Ink:
    """An area of a page rendered once at ZOOM px per point, as ink maps: everything, and graphics alone (the
    text that cannot be the figure's masked out). The figure's PNG is cropped from the same render, so rasters
    are decoded once. Geometry is in page points; point row r covers device rows ZOOM*r .. ZOOM*r + ZOOM-1."""

    def __init__(
        self,
        page: pymupdf.Page,
        lines: list[figures.Line],
        style: figures.Style,
        area: figures.Box,
        marks: Sequence[figures.Box] = (),
    ):
        self.page = page
        self.lines = lines
        self.style = style
        page_box = figures.Box(*page.rect)
        area = area & page_box
        self.x0, self.y0 = math.floor(area.x0), math.floor(area.y0)
        x1, y1 = max(self.x0 + 1, math.ceil(area.x1)), max(self.y0 + 1, math.ceil(area.y1))
        self.area = figures.Box(self.x0, self.y0, x1, y1)
        zoom: int = ZOOM if (x1 - self.x0) * (y1 - self.y0) * ZOOM * ZOOM <= MAX_PAGE_PIXELS else 1
        self.zoom = zoom
        self.pix = page.get_pixmap(
            matrix=pymupdf.Matrix(zoom, zoom), clip=pymupdf.Rect(self.x0, self.y0, x1, y1), alpha=False, annots=False
        )
        self.n, self.w, self.h = self.pix.n, self.pix.width, self.pix.height
        assert self.pix.stride == self.w * self.n  # no alpha: rows are packed
        raw = bytearray(self.pix.samples)
        for mark in marks:  # a margin stamp is not part of any figure beside it
            self._blank(raw, mark.grown(1))
        self.all_ink = raw.translate(_INK_TABLE)
        for line in lines:
            if figures.is_sublabel(line) or not line.box.intersects(self.area.grown(3)):
                continue  # "(a) ..." rows stay: they bridge the rows of panels
            self._blank(raw, line.box.grown(1))
        self.graphics = raw.translate(_INK_TABLE)
        self.soft = [
            line.box for line in lines if not figures.is_body(line, style) and not figures.is_any_caption(line)
        ]

    def _blank(self, raw: bytearray, box: figures.Box) -> None:
        """Paint `box` white in the render `raw`."""
        if not box.intersects(self.area):
            return
        c0, c1 = self._dcols(box)
        r0, r1 = self._drows(box)
        blank = b"\xff" * ((c1 - c0) * self.n)
        row_bytes = self.w * self.n
        for r in range(r0, r1):
            raw[r * row_bytes + c0 * self.n : r * row_bytes + c1 * self.n] = blank

    def _dcols(self, box: figures.Box) -> tuple[int, int]:
        """Device columns of `box`, clamped to the render."""
        return (
            max(0, min(self.w, math.floor((box.x0 - self.x0) * self.zoom))),
            max(0, min(self.w, math.ceil((box.x1 - self.x0) * self.zoom))),
        )

    def _drows(self, box: figures.Box) -> tuple[int, int]:
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

    def rows(self, box: figures.Box) -> tuple[int, figures.Rows, list[bool]]:
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

    def inside_graphics(self, line: figures.Line, area: figures.Box) -> bool:
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

    def ink_box(self, region: figures.Box) -> figures.Box | None:
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
        return figures.Box(self.x0 + left / z, self.y0 + top / z, self.x0 + (right + 1) / z, self.y0 + (bottom + 1) / z)

    def png(self, region: figures.Box) -> bytes:
        """`region` as PNG bytes: cropped from this render when it holds it, else rendered on its own."""
        rect = pymupdf.Rect(region.x0, region.y0, region.x1, region.y1)
        crop = pymupdf.IRect(rect * self.zoom)
        if self.zoom == ZOOM and crop in pymupdf.IRect(self.pix.irect) and crop.width * crop.height <= MAX_PIXELS:
            out = pymupdf.Pixmap(pymupdf.csRGB, crop, False)
            out.copy(self.pix, crop)
            return bytes(out.tobytes("png"))
        return render(self.page, rect)

    def ruled(self, band: figures.Box, top: int, part: range) -> bool:
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
        if len(cells) < 4 or len(rows_of_text) < 2 or max(rows_of_text.values()) < 2:
            return False
        c0, c1 = self._dcols(band)
        r0 = max(0, (y0 - self.y0) * self.zoom)
        r1 = min(self.h, (y1 - self.y0) * self.zoom)
        width = self.w * self.n
        patterns = {
            bytes(self.graphics[r * width + c0 * self.n : r * width + c1 * self.n]) for r in range(r0, r1)
        }
        return len(patterns) <= 8

    def barriers(self, caption: figures.Box, area: figures.Box) -> list[figures.Box]:
        return [
            line.box
            for line in figures.barrier_lines(self.lines, self.style, caption, area)
            if figures.is_any_caption(line) or not self.inside_graphics(line, area)
        ]

    def region(self, band: figures.Box, seed: tuple[str, int] | range) -> figures.Box | None:
        """The figure in `band`: grown from one edge (("up"|"down", page row)) or around page rows `seed`."""
        band = band & self.area
        if band.width < 4 or band.height < 4:
            return None
        top, rows, soft = self.rows(band)
        if isinstance(seed, range):
            block = figures.grow_around(rows, range(seed.start - top, seed.stop - top), soft=soft)
        else:
            direction, start = seed
            block = figures.grow(rows, start - top, -1 if direction == "up" else 1, soft=soft)
        if block is None:
            return None
        page_box = figures.Box(*self.page.rect)
        header, footer = int(page_box.height * 0.1), int(page_box.height * 0.9)
        block = figures.drop_margins(rows, block, top, header, footer)
        if block is not None and not isinstance(seed, range):
            block = figures.drop_tables(rows, block, seed[0] == "up", lambda part: self.ruled(band, top, part))
        if block is None:
            return None
        cols = figures.columns(rows, block)
        if cols is None:
            return None
        graphics = figures.Box(cols[0], top + block.start, cols[1] + 1, top + block.stop)
        if not figures.big_enough(graphics):
            return None
        text = [
            line for line in self.lines if not figures.is_body(line, self.style) and not figures.is_any_caption(line)
        ]
        if not isinstance(seed, range):  # text between the figure and its caption is the figure's
            graphics = figures.between(graphics, text, seed[1], band)
        small = self.style.body_size - 0.5
        within = figures.text_block(self.lines, page_box)
        return self.ink_box(figures.attach_text(graphics, text, band, page_box, small=small, text_block=within))


def _page_lines(
    page: pymupdf.Page, textpage: pymupdf.TextPage | None = None
) -> tuple[list[figures.Line], list[figures.Box]]:
    """The page's horizontal text lines, and the rotated text in its outer margins (arXiv's stamp), which no
    figure includes. Rotated text inside the text block (an axis title) is inked and found with its figure."""
    lines: list[figures.Line] = []
    rotated: list[figures.Box] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT, textpage=textpage)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if spans and abs(line["dir"][0] - 1) > 1e-3:
                rotated.append(figures.Box(*line["bbox"]))
            if not spans or abs(line["dir"][0] - 1) > 1e-3:
                continue
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
    return lines, figures.margin_marks(rotated, lines, figures.Box(*page.rect))


def _is_set_off(line: figures.Line, style: figures.Style) -> bool:
    """A caption typeset apart from the body (its own font, bold label or smaller size)."""
    return line.label_bold or line.font != style.body_font or line.size < style.body_size - 0.5


def _locate(
    doc: pymupdf.Document,
    page: pymupdf.Page,
    lines: list[figures.Line],
    style: figures.Style,
    at: int,
    marks: Sequence[figures.Box] = (),
) -> tuple[_Ink, figures.Box, str, str] | None:
    """(the render it is in, box, caption, method) of the figure whose caption starts at line `at`."""
    page_box = figures.Box(*page.rect)
    caption, text = figures.caption_box(lines, at)
    zone = figures.content_zone(page_box)
    columns = 2 if figures.two_columns(lines, style, page_box) else 1
    column = figures.span(caption, page_box, columns) & zone
    ink = _Ink(page, lines, style, figures.Box(column.x0, column.y0, column.x1, caption.y0 + 2), marks)
    walls = ink.barriers(caption, column)
    above = ink.region(figures.band_above(caption, walls, column), ("up", int(caption.y0)))
    if above is not None and not ink.ruled(above, 0, range(math.floor(above.y0), math.ceil(above.y1))):
        return ink, above, text, "caption-below-figure"
    # Nothing above, or a table (a table's caption sits above it, so that one is not this caption's).
    below_ink = _Ink(page, lines, style, figures.Box(column.x0, caption.y1 - 2, column.x1, column.y1), marks)
    walls = below_ink.barriers(caption, column)
    found = below_ink.region(figures.band_below(caption, walls, column), ("down", math.ceil(caption.y1)))
    if found is not None:
        return below_ink, found, text, "caption-above-figure"
    if above is not None:
        return ink, above, text, "caption-below-figure"
    if not _is_set_off(lines[at], style):
        return None
    if column.width < page_box.width * 0.75:  # a caption in one column may sit beside its figure
        if column.x0 - page_box.x0 < page_box.width / 4:
            other = figures.Box(column.x1, zone.y0, page_box.x1, zone.y1)
        else:
            other = figures.Box(page_box.x0, zone.y0, column.x0, zone.y1)
        ink = _Ink(page, lines, style, other, marks)
        walls = ink.barriers(figures.Box(other.x0, caption.y0, other.x1, caption.y1), other)
        band = figures.Box(
            other.x0,
            max([w.y1 for w in walls if w.y1 <= caption.y0 + 1], default=other.y0),
            other.x1,
            min([w.y0 for w in walls if w.y0 >= caption.y1 - 1], default=other.y1),
        )
        found = ink.region(band, range(int(caption.y0), int(caption.y1) + 1))
        if found is not None:
            return ink, found, text, "caption-beside-figure"
    if page.number + 1 < doc.page_count and caption.y0 > page_box.height / 2:
        # A caption low on its page, its figure a plate on the next page.
        nxt = doc[page.number + 1]
        nxt_lines, nxt_marks = _page_lines(nxt)
        nxt_style = figures.body_style(nxt_lines)
        if sum(figures.is_body(line, nxt_style) for line in nxt_lines) <= 3:
            nxt_zone = figures.content_zone(figures.Box(*nxt.rect))
            ink = _Ink(nxt, nxt_lines, nxt_style, nxt_zone, nxt_marks)
            found = ink.region(nxt_zone, range(int(nxt_zone.y0), int(nxt_zone.y1)))
            if found is not None and found.height >= nxt_zone.height * 0.3:
                return ink, found, text, "figure-on-next-page"
    return None


def find_figure(doc: pymupdf.Document, number: int = 1) -> tuple[Figure | None, str | None]:
    """Figure `number` and its PNG, or None and the reason, for the reviewer."""
    seen_caption: int | None = None
    for index in range(doc.page_count):
        page = doc[index]
        textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)
        if not _QUICK.search(textpage.extractText()):
            continue
        lines, marks = _page_lines(page, textpage)
        style = figures.body_style(lines)
        for at, line in enumerate(lines):
            if not figures.is_caption(line, number, style.body_font):
                continue
            seen_caption = index if seen_caption is None else seen_caption
            located = _locate(doc, page, lines, style, at, marks)
            log.debug(
                "figure %d: caption on page %d, line %r: %s", number, index, line.text[:40], located and located[3]
            )
            if located is None:
                continue
            where, box, caption, method = located
            region = figures.with_margin(box, MARGIN, figures.Box(*where.page.rect))
            return Figure(where.page.number, region.tuple(), caption, where.png(region), method), None
    if seen_caption is not None:
        return None, f"found the caption of Figure {number} on page {seen_caption + 1} but no figure beside it"
    return None, f'no caption "Figure {number}" in the PDF'


def render(page: pymupdf.Page, region: pymupdf.Rect) -> bytes:
    """`region` of `page` as PNG bytes, without annotations, at DPI or less to stay under MAX_PIXELS."""
    zoom = DPI / 72
    pixels = region.width * zoom * region.height * zoom
    if pixels > MAX_PIXELS:
        zoom *= (MAX_PIXELS / pixels) ** 0.5
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=region, annots=False, alpha=False)
    return bytes(pix.tobytes("png"))
