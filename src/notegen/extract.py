"""PDF adapter: the title, the text the summary needs, and Figure N found from its caption, rendered to PNG.

Only this module imports `pymupdf`. The figure is found from its caption ("Figure 1:", "Fig. 1.", "FIG. 1",
"Figure 1 |"), never from the largest image in the file: most figures in papers are vector drawings, and an
unrelated crop costs the reviewer more than no figure.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import pymupdf

from notegen import figures, paper_title
from notegen.errors import PaperError
from notegen.ids import ArxivId, parse_arxiv_id

log = logging.getLogger(__name__)

ZOOM = 2  # figures are rendered at 2 px per point (144 dpi): readable, and ink maps stay small
DPI = 72 * ZOOM
MAX_PIXELS = 4_000_000  # a cap on the rendered figure, whatever its size on the page
MAX_PAGE_PIXELS = 8_000_000  # larger pages (posters) get their ink maps and figures rendered separately
MARGIN = 1.5  # points around the figure's ink
TETHER = 5.0  # points between a tree's or diagram's text and the connector or box side that reaches it, at most
NODE_LINES = 4  # lines of text in a tree's or diagram's node, at most (more are a paragraph)
ABSTRACT_CHARS = 3000
TEXT_PAGES = 4  # the abstract and introduction are in the first pages

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own warnings are not for the person

_T = TypeVar("_T")
# How MuPDF says an allocation failed (FzErrorSystem or RuntimeError "code=2: malloc (N bytes) failed"): the only
# sign it gives that the worker's memory bound was reached.
_NO_MEMORY = re.compile(r"\b(?:malloc|calloc|realloc) \(\d+ bytes\) failed|\bout of memory\b", re.IGNORECASE)


def _bounded_read(fn: Callable[..., _T]) -> Callable[..., _T]:
    """A read of a PDF run in a bounded worker: an allocation MuPDF could not make is the memory bound reached,
    raised as MemoryError so that the worker reports the bound, as it does for Python's own allocations."""

    @functools.wraps(fn)
    def read(*args: Any, **kwargs: Any) -> _T:
        try:
            return fn(*args, **kwargs)
        except MemoryError:
            raise
        except Exception as err:
            if _out_of_memory(err):
                raise MemoryError(_short(err)) from None
            raise

    return read


def _out_of_memory(err: BaseException) -> bool:
    seen: BaseException | None = err
    while seen is not None:  # a PaperError made from MuPDF's error carries it as its cause
        if isinstance(seen, MemoryError) or _NO_MEMORY.search(str(seen)):
            return True
        seen = seen.__cause__
    return False


@dataclass(frozen=True)
class Figure:
    page: int  # 0-based
    bbox: tuple[float, float, float, float]  # PDF points, origin top-left, of the page as it is shown
    caption: str
    png: bytes
    method: str
    doubt: str | None = None  # why the crop may not be the figure (note.DOUBTS), None when it looks like one


@dataclass(frozen=True)
class Extracted:
    title: str
    abstract: str
    introduction: str
    figure: Figure | None
    figure_reason: NoFigure | None  # why there is no figure, for the reviewer


@_bounded_read
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


@_bounded_read
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


@_bounded_read
def figure_only(path: Path, name: str, number: int = 1) -> FigureResult:
    """Figure `number` of one PDF, timed: what `notegen figure` shows."""
    start = time.perf_counter()
    with _open(path, name) as doc:
        figure, reason = find_figure(doc, number)
    return FigureResult(figure, str(reason) if reason else None, (time.perf_counter() - start) * 1000)


@dataclass(frozen=True)
class Identity:
    """What says which paper a local PDF is, whatever was done to the file since it was downloaded."""

    arxiv_id: ArxivId | None  # from arXiv's stamp in the margin of page 1 ("arXiv:2401.16420v1 [cs.CV] 29 Jan 2024")
    document_id: str | None  # the first half of the PDF's /ID, which saving a highlight or a note keeps
    title: str  # as pdf_title reads it: "" when neither the metadata nor page 1 names the paper


_STAMP = re.compile(r"^\s*arXiv:\s*(?P<id>\S+)\s+\[[^\]\s]+\]\s+\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s*$")
_DOCUMENT_ID = re.compile(r"^\[\s*(?:<(?P<hex>[0-9A-Fa-f\s]*)>|\((?P<text>(?:[^()\\]|\\.)*)\))")


@_bounded_read
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
    """The paper's title: the metadata's when it names the paper and page 1 shows no other, else the largest
    text at the top of page 1 (paper_title has the rules)."""
    meta = doc.metadata or {}
    page = doc[0]
    lines = _title_lines(page)
    shown = paper_title.page_title(lines, page.rect.height)
    tools = (meta.get("creator") or "", meta.get("producer") or "")
    return paper_title.choose(meta.get("title") or "", tools, shown, page.get_text("text"))


def _title_lines(page: pymupdf.Page) -> list[paper_title.Line]:
    """Page 1's horizontal lines with their size and style."""
    # Words as MuPDF separates them (by the gaps between letters): some PDFs place words apart without writing
    # a space, and their spans would run the words together.
    words: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for *_, word, block_no, line_no, word_no in page.get_text("words"):
        words.setdefault((block_no, line_no), []).append((word_no, word))
    lines: list[paper_title.Line] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_WORDS)["blocks"]:  # numbered as the words are
        for number, line in enumerate(block.get("lines", [])):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans or abs(line["dir"][0] - 1) >= 1e-3:
                continue
            chars = sum(len(s["text"]) for s in spans)
            bold = sum(len(s["text"]) for s in spans if s["flags"] & pymupdf.TEXT_FONT_BOLD) * 2 > chars
            italic = sum(len(s["text"]) for s in spans if s["flags"] & pymupdf.TEXT_FONT_ITALIC) * 2 > chars
            spaced = " ".join(w for _, w in sorted(words.get((block["number"], number), [])))
            text = spaced or "".join(s["text"] for s in spans).strip()
            size = max(s["size"] for s in spans)
            lines.append(paper_title.Line(text, size, line["bbox"][1], line["bbox"][3], bold, italic))
    return lines


# -- the figure ---------------------------------------------------------------------------------------

_INK_TABLE = bytes(1 if value < figures.INK else 0 for value in range(256))
PAPER_MARGIN = 20  # gray levels below a scan's paper tone that count as ink (white paper: figures.INK)


def _ink_table(raw: bytes | bytearray) -> bytes:
    """Which byte values of a render are ink: darker than figures.INK on white paper; on a scan whose paper is
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
        drawing: pymupdf.DisplayList | None = None,
    ):
        """`drawing`: the page's display list, when it is rendered more than once."""
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
            if figures.is_sublabel(line) or not line.box.intersects(self.area.grown(3)):
                continue  # "(a) ..." rows stay: they bridge the rows of panels
            self._blank(raw, line.box.grown(1))
        self.graphics = raw.translate(table)
        self.soft = [line.box for line in lines if figures.figure_text(line, style)]
        self._tied: dict[int, bool] = {}

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

    def tethered(self, line: figures.Line) -> bool:
        """Text that graphics reach on its own rows, up to a few points from its start or end: a node of a tree or
        a diagram (a connector's end, a box's side), set in the body's type in a figure made mostly of text.
        Running text keeps a column's gap from any picture beside it."""
        if not line.box.intersects(self.area):
            return False
        r0, r1 = self._drows(line.box.grown(-0.2 * line.box.height))
        for near in (
            figures.Box(line.box.x0 - TETHER, line.box.y0, line.box.x0 - 1, line.box.y1),
            figures.Box(line.box.x1 + 1, line.box.y0, line.box.x1 + TETHER, line.box.y1),
        ):
            c0, c1 = self._dcols(near)
            if c1 > c0 and any(self._extent(self.graphics, r, c0, c1) is not None for r in range(r0, r1)):
                return True
        return False

    @cached_property
    def _blocks(self) -> dict[int, list[figures.Line]]:
        blocks: dict[int, list[figures.Line]] = {}
        for line in self.lines:
            blocks.setdefault(line.block, []).append(line)
        return blocks

    def tied(self, line: figures.Line) -> bool:
        """A line of a tree's or diagram's node: its own text block (a few lines) is tethered to graphics."""
        known = self._tied.get(line.block)
        if known is None:
            block = self._blocks.get(line.block, [line])
            known = len(block) <= NODE_LINES and any(self.tethered(other) for other in block)
            self._tied[line.block] = known
        return known

    def rule_near(self, box: figures.Box, side: int) -> figures.Box | None:
        """The rule across most of `box`'s width (and maybe wider) within LISTING_GAP above it (`side` -1) or below
        it (1)."""
        area = self.area
        strip = (
            figures.Box(area.x0, box.y0 - LISTING_GAP, area.x1, box.y0)
            if side < 0
            else figures.Box(area.x0, box.y1, area.x1, box.y1 + LISTING_GAP)
        )
        top, rows, _ = self.rows(strip)
        for i in range(len(rows)) if side > 0 else reversed(range(len(rows))):
            r = rows[i]
            if r is not None and r[1] - r[0] >= 0.8 * box.width:
                return figures.Box(r[0], top + i, r[1] + 1, top + i + 1)
        return None

    @cached_property
    def _text_rows(self) -> tuple[float, float]:
        """Where the page's first row of text ends and its last row starts."""
        return figures.text_rows(self.lines)

    def head_apart(self, line: figures.Line, region: figures.Box, at_edge: bool = False) -> bool:
        """Whether `line` is the page's running head (or footer) standing apart from the graphics in `region`
        below (above) it: nothing inked within HEAD_GAP of it. A figure's own labels on the page's first row have
        its graphics right by them. Only a head above `region` (a footer below it), or with `at_edge` one taken in
        by `region` at that edge (no graphics beyond it)."""
        where = figures.running_head(line, *self._text_rows)
        if where == "head" and (at_edge or line.box.y1 <= region.y0 + 1):
            near = figures.Box(region.x0, line.box.y1, region.x1, line.box.y1 + HEAD_GAP)
            beyond = figures.Box(region.x0, region.y0, region.x1, line.box.y0)
        elif where == "foot" and (at_edge or line.box.y0 >= region.y1 - 1):
            near = figures.Box(region.x0, line.box.y0 - HEAD_GAP, region.x1, line.box.y0)
            beyond = figures.Box(region.x0, line.box.y1, region.x1, region.y1)
        else:
            return False
        return self._empty(near) and (not at_edge or beyond.height < 1 or self._empty(beyond))

    def _empty(self, box: figures.Box) -> bool:
        """Whether no graphics are inked in `box`."""
        _, rows, _ = self.rows(box)
        return all(r is None for r in rows)

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
        if sum(1 for n in rows_of_text.values() if n >= 2) < 2:
            return False  # a table has at least two rows of cells
        c0, c1 = self._dcols(band)
        r0 = max(0, (y0 - self.y0) * self.zoom)
        r1 = min(self.h, (y1 - self.y0) * self.zoom)
        width = self.w * self.n
        patterns = {bytes(self.graphics[r * width + c0 * self.n : r * width + c1 * self.n]) for r in range(r0, r1)}
        return len(patterns) <= 8

    def barriers(self, caption: figures.Box, area: figures.Box) -> list[figures.Box]:
        return [
            line.box
            for line in figures.barrier_lines(self.lines, self.style, caption, area)
            if figures.is_any_caption(line) or not (self.inside_graphics(line, area) or self.tied(line))
        ]

    def _graphics(
        self,
        band: figures.Box,
        seed: tuple[str, int] | range,
        top: int,
        rows: figures.Rows,
        soft: list[bool],
        start_gap: float,
        max_gap: float,
    ) -> tuple[figures.Box, figures.Box] | None:
        """The box of the figure's graphics in the band's rows, grown from the seed across gaps of `max_gap`, and
        the band cut short where a table or a float's rule was left out at its far end (what lies beyond them,
        an algorithm's lines or a table's cells, is not the figure's text)."""
        if isinstance(seed, range):
            block = figures.grow_around(rows, range(seed.start - top, seed.stop - top), max_gap, soft=soft)
        else:
            direction, start = seed
            block = figures.grow(rows, start - top, -1 if direction == "up" else 1, start_gap, max_gap, soft)
        if block is None:
            return None
        page_box = figures.Box(*self.page.rect)
        header, footer = int(page_box.height * 0.1), int(page_box.height * 0.9)
        block = figures.drop_margins(rows, block, top, header, footer)
        if block is not None and not isinstance(seed, range):
            grown = block
            block = figures.drop_tables(rows, block, seed[0] == "up", lambda part: self.ruled(band, top, part))
            if block is not None and seed[0] == "up" and block.start > grown.start:
                edge = max(i for i in range(grown.start, block.start) if rows[i] is not None)
                band = figures.Box(band.x0, top + edge + 1, band.x1, band.y1)
            elif block is not None and seed[0] == "down" and block.stop < grown.stop:
                edge = min(i for i in range(block.stop, grown.stop) if rows[i] is not None)
                band = figures.Box(band.x0, band.y0, band.x1, top + edge)
        if block is None:
            return None
        cols = figures.columns(rows, block)
        if cols is None:
            return None
        graphics = figures.Box(cols[0], top + block.start, cols[1] + 1, top + block.stop)
        if figures.big_enough(graphics):
            return graphics, band
        # The connectors of a tree whose nodes are text: the figure is as big as the nodes they reach.
        nodes = [line for line in self.lines if line.box.intersects(band) and self.tied(line)]
        with_nodes = figures.attach_text(graphics, nodes, band, page_box)
        return (with_nodes, band) if with_nodes != graphics and figures.big_enough(with_nodes) else None

    def region(self, band: figures.Box, seed: tuple[str, int] | range, sparse: bool = False) -> figures.Box | None:
        """The figure in `band`: grown from one edge (("up"|"down", page row)) or around page rows `seed`. With
        `sparse`, all the band's ink: a line drawing whose parts lie further apart than the usual gap (the band is
        bounded by body text and other captions, so nothing else is in it)."""
        band = band & self.area
        if band.width < 4 or band.height < 4:
            return None
        top, rows, soft = self.rows(band)
        reach = (band.height, band.height) if sparse else (figures.START_GAP, figures.MAX_GAP)
        found = self._graphics(band, seed, top, rows, soft, *reach)
        if found is None:
            return None
        graphics, band = found
        page_box = figures.Box(*self.page.rect)
        text = [
            line
            for line in self.lines
            if figures.figure_text(line, self.style)
            or (line.box.intersects(band) and not figures.is_any_caption(line) and self.tied(line))
        ]
        text = [line for line in text if not self.head_apart(line, graphics)]
        if not isinstance(seed, range):  # text between the figure and its caption is the figure's
            graphics = figures.between(graphics, text, seed[1], band)
        small = self.style.body_size - 0.5
        within = figures.text_block(self.lines, page_box)
        return self.ink_box(figures.attach_text(graphics, text, band, page_box, small=small, text_block=within))


@dataclass(frozen=True)
class _Text:
    lines: list[figures.Line]  # horizontal lines
    marks: list[figures.Box]  # rotated text in the outer margins (arXiv's stamp), which no figure includes
    turned: list[tuple[str, tuple[float, float]]]  # rotated lines: text and direction (a sideways caption?)


def _page_lines(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> _Text:
    """The page's text, in the page's own (unrotated) coordinates. Rotated text inside the text block (an axis
    title) is inked and found with its figure."""
    lines: list[figures.Line] = []
    rotated: list[figures.Box] = []
    turned: list[tuple[str, tuple[float, float]]] = []
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT, textpage=textpage)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if spans and abs(line["dir"][0] - 1) > 1e-3:
                rotated.append(figures.Box(*line["bbox"]))
                direction = tuple(round(v, 3) + 0.0 for v in line["dir"])  # a cosine of 90 degrees is 6.1e-17
                turned.append(("".join(s["text"] for s in spans).strip(), direction))
            if not spans or abs(line["dir"][0] - 1) > 1e-3:
                continue
            chars = Counter[tuple[str, float, bool]]()
            mono = 0
            for s in spans:
                chars[(s["font"], round(s["size"], 1), bool(s["flags"] & 16))] += len(s["text"])
                if s["flags"] & 8 or _fixed_pitch(s["font"]):
                    mono += len(s["text"])
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
                    mono=mono > 0.5 * sum(len(s["text"]) for s in spans),
                )
            )
    return _Text(
        figures.mark_notes(figures.join_split_labels(lines)),
        figures.margin_marks(rotated, lines, figures.Box(*page.rect)),
        turned,
    )


# Fixed-pitch fonts by name, for PDFs whose font descriptors do not say so (TeX's cmtt and txtt, Courier, ...).
_MONO_FONT = re.compile(r"Mono|Courier|Typewriter|Consol|Menlo|Inconsolata|Monaco|cmtt|CMTT|txtt|SFTT|LMTT|Code", re.I)


@functools.lru_cache(maxsize=256)
def _fixed_pitch(font: str) -> bool:
    return _MONO_FONT.search(font) is not None


def _is_set_off(line: figures.Line, style: figures.Style) -> bool:
    """A caption typeset apart from the body (its own font, bold label or smaller size)."""
    return line.label_bold or line.font != style.body_font or line.size < style.body_size - 0.5


@dataclass(frozen=True)
class _Page:
    """A page with its text read: what every look for a figure's ink on it needs."""

    page: pymupdf.Page
    lines: list[figures.Line]
    style: figures.Style
    marks: Sequence[figures.Box] = ()

    def ink(self, area: figures.Box) -> _Ink:
        return _Ink(self.page, self.lines, self.style, area, self.marks, self._drawing)

    @cached_property
    def _drawing(self) -> pymupdf.DisplayList:
        """The page's content read once, for the several areas of it rendered."""
        return self.page.get_displaylist(annots=False)


def _locate(
    doc: pymupdf.Document,
    page: pymupdf.Page,
    lines: list[figures.Line],
    style: figures.Style,
    at: int,
    marks: Sequence[figures.Box] = (),
) -> tuple[_Ink, figures.Box, str, str] | None:
    """(the render it is in, box, caption, method) of the figure whose caption starts at line `at`."""
    p = _Page(page, lines, style, marks)
    page_box = figures.Box(*page.rect)
    caption, text = figures.caption_box(lines, at)
    zone = figures.content_zone(page_box)
    columns = 2 if figures.two_columns(lines, style, page_box) else 1
    column = figures.span(caption, page_box, columns) & zone
    side = _ink_beside(p, caption, column) if _is_set_off(lines[at], style) else None
    if side is not None:  # a caption in the margin, the figure's ink on its own rows beside it
        beside = _beside(p, caption, side)
        if beside is not None:
            return beside[0], beside[1], text, "caption-beside-figure"
    ink = p.ink(figures.Box(column.x0, column.y0, column.x1, caption.y0 + 2))
    walls = ink.barriers(caption, column)
    band = figures.band_above(caption, walls, column)
    above = ink.region(band, ("up", int(caption.y0)))
    if above is not None:
        above = _with_text_beside(ink, caption, above, band)
    if above is not None and not ink.ruled(above, 0, range(math.floor(above.y0), math.ceil(above.y1))):
        wide = _widened(p, caption, column, zone, above)
        if wide is not None:
            return wide[0], wide[1], text, "caption-below-figure"
        framed = _framed(p, caption, zone, above)
        if framed is not None:
            return framed[0], framed[1], text, "caption-inside-frame"
        return ink, above, text, "caption-below-figure"
    # Nothing above, or a table (a table's caption sits above it, so that one is not this caption's).
    below_ink = p.ink(figures.Box(column.x0, caption.y1 - 2, column.x1, column.y1))
    walls = below_ink.barriers(caption, column)
    band = figures.band_below(caption, walls, column)
    found = below_ink.region(band, ("down", math.ceil(caption.y1)))
    if found is not None:
        return below_ink, _with_text_beside(below_ink, caption, found, band), text, "caption-above-figure"
    if above is not None:
        return ink, above, text, "caption-below-figure"
    for where, band, seed in (
        (ink, figures.band_above(caption, ink.barriers(caption, column), column), ("up", int(caption.y0))),
        (below_ink, figures.band_below(caption, walls, column), ("down", math.ceil(caption.y1))),
    ):
        sparse = where.region(band, seed, sparse=True)
        if sparse is not None:  # far from the caption, unless an image's blank margins made it look so
            kind = "figure" if _placed_next_to(page, caption, sparse) else "sparse-figure"
            return where, sparse, text, f"caption-{'below' if seed[0] == 'up' else 'above'}-{kind}"
    for up in (True, False):
        listing = _text_figure(p, caption, column, up)
        if listing is not None:
            return listing[0], listing[1], text, f"caption-{'below' if up else 'above'}-listing"
    if not _is_set_off(lines[at], style):
        return None
    if column.width < page_box.width * 0.75:  # a caption in one column may sit beside its figure
        if column.x0 - page_box.x0 < page_box.width / 4:
            other = figures.Box(column.x1, zone.y0, page_box.x1, zone.y1)
        else:
            other = figures.Box(page_box.x0, zone.y0, column.x0, zone.y1)
        beside = _beside(p, caption, other)
        if beside is not None:
            return beside[0], beside[1], text, "caption-beside-figure"
    if page.number + 1 < doc.page_count and caption.y0 > page_box.height / 2:
        # A caption low on its page, its figure a plate on the next page.
        nxt = doc[page.number + 1]
        nxt_text = _page_lines(nxt)
        nxt_lines, nxt_marks = nxt_text.lines, nxt_text.marks
        nxt_style = figures.body_style(nxt_lines)
        if sum(figures.is_body(line, nxt_style) for line in nxt_lines) <= 3:
            nxt_zone = figures.content_zone(figures.Box(*nxt.rect))
            ink = _Ink(nxt, nxt_lines, nxt_style, nxt_zone, nxt_marks)
            found = ink.region(nxt_zone, range(int(nxt_zone.y0), int(nxt_zone.y1)))
            if found is not None and found.height >= nxt_zone.height * 0.3:
                return ink, found, text, "figure-on-next-page"
    return None


def _text_figure(p: _Page, caption: figures.Box, column: figures.Box, up: bool) -> tuple[_Ink, figures.Box] | None:
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
    taken: list[figures.Line] = []
    edge = caption.y0 if up else caption.y1
    for line in near:
        gap = edge - line.box.y1 if up else line.box.y0 - edge
        if gap > (figures.START_GAP if not taken else max(LISTING_GAP, 1.5 * line.box.height)):
            break
        if figures.is_any_caption(line) or figures.is_figure_note(line) or figures.is_body(line, p.style):
            break
        taken.append(line)
        edge = min(edge, line.box.y0) if up else max(edge, line.box.y1)
    if len({round(line.box.y0) for line in taken}) < 3:
        return None
    box = taken[0].box
    for line in taken[1:]:
        box = box | line.box
    ink = p.ink(figures.Box(column.x0, box.y0 - LISTING_GAP, column.x1, box.y1 + LISTING_GAP))
    rules = [ink.rule_near(box, side) for side in (-1, 1)]
    code = sum(len(line.text) for line in taken if line.mono) > 0.6 * sum(len(line.text) for line in taken)
    if not code and None in rules:
        return None
    for rule in rules:
        box = box | rule if rule is not None else box
    found = ink.ink_box(box.grown(0.5))
    return (ink, found) if found is not None and figures.big_enough(found) else None


LISTING_GAP = 8.0  # points: between the lines of a listing, or a listing and its rules, at most


def _with_text_beside(ink: _Ink, caption: figures.Box, found: figures.Box, band: figures.Box) -> figures.Box:
    """`found` with the lines of body-size text beside it on its rows (the leaves of a tree set as plain text
    right of its nodes) when its caption, centred under the figure, is centred under them too and not under
    `found` alone. Text that flows beside a figure has the caption under the figure alone."""
    near = [
        line
        for line in ink.lines
        if line.box.intersects(band)
        and found.y0 - 2 <= line.box.y0
        and line.box.y1 <= found.y1 + 2
        and figures.is_body(line, ink.style)
    ]
    if not near:  # (most figures: the graphics need not be measured)
        return found
    beside = _beside_lines(ink, _graphics_in(ink, found), caption, near)
    if not beside:
        return found
    grown = found
    for line in beside:
        grown = grown | line.box
    return ink.ink_box(grown) or found if figures.centred_over(caption, grown) else found


def _beside_lines(
    ink: _Ink, graphics: figures.Box, caption: figures.Box, lines: Sequence[figures.Line]
) -> list[figures.Line]:
    """The body-size lines among `lines` set beside `graphics` on its rows, when `caption` is not centred under
    `graphics` alone."""
    if figures.centred_over(caption, graphics):
        return []
    return [
        line
        for line in lines
        if figures.is_body(line, ink.style)
        and graphics.y0 - 2 <= line.box.y0
        and line.box.y1 <= graphics.y1 + 2
        and (line.box.x0 >= graphics.x1 - 2 or line.box.x1 <= graphics.x0 + 2)
    ]


def _placed_next_to(page: pymupdf.Page, caption: figures.Box, found: figures.Box) -> bool:
    """Whether `found` (the ink of a figure well away from its caption) is an embedded image placed right next to
    the caption, whose blank margins are what lie between: the figure is cropped to its ink all the same."""
    for kind, rect in page.get_bboxlog():
        if kind != "fill-image":
            continue
        placed = figures.Box(*rect)
        gap = max(caption.y0 - placed.y1, placed.y0 - caption.y1)
        if gap <= figures.START_GAP and (placed & found.grown(1)).area >= 0.95 * found.area:
            return True
    return False


def _framed(
    p: _Page,
    caption: figures.Box,
    zone: figures.Box,
    found: figures.Box,
) -> tuple[_Ink, figures.Box] | None:
    """A figure in a ruled frame that also holds its caption: the frame's sides run on past the caption, down
    to its bottom rule. The whole frame, or None."""
    below = figures.Box(found.x0 - 2, caption.y0, found.x1 + 2, min(zone.y1, caption.y1 + 120))
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
        if ink.ink_box(figures.Box(found.x0 + 6, top + i, found.x1 - 6, top + i + 1)) is not None and _rule(
            ink, found, top + i
        ):
            return ink, found | figures.Box(found.x0, found.y0, found.x1, top + i + 1 + MARGIN)
    return None


def _rule(ink: _Ink, found: figures.Box, y: int) -> bool:
    """Whether page row `y` is inked across most of the frame's width (its bottom rule)."""
    inked = ink.ink_box(figures.Box(found.x0 + 6, y, found.x1 - 6, y + 1))
    return inked is not None and inked.width >= 0.9 * (found.width - 12)


def _widened(
    p: _Page,
    caption: figures.Box,
    column: figures.Box,
    zone: figures.Box,
    found: figures.Box,
) -> tuple[_Ink, figures.Box] | None:
    """A figure found in the caption's column that runs on across the other column (a short caption under a
    full-width figure in a two-column paper): the whole of it, or None."""
    if column.width > zone.width * 0.75:
        return None
    left = column.x0 - zone.x0 < zone.width / 4
    other = (
        figures.Box(column.x1, found.y0, zone.x1, found.y1)
        if left
        else figures.Box(zone.x0, found.y0, column.x0, found.y1)
    )
    full = figures.Box(zone.x0, column.y0, zone.x1, caption.y0 + 2)
    ink = p.ink(full)
    _, rows, _ = ink.rows(other)
    if sum(r is not None for r in rows) < 0.5 * max(1, len(rows)):
        return None  # hardly any graphics beside the figure in the other column
    walls = [w for w in ink.barriers(caption, full) if not w.intersects(found)]
    wide = ink.region(figures.band_above(caption, walls, full), ("up", int(caption.y0)))
    if wide is None or wide.width < found.width * 1.2 or not (wide.x0 <= found.x0 + 2 and wide.x1 >= found.x1 - 2):
        return None
    if abs(wide.y0 - found.y0) > 0.2 * found.height:
        return None  # the other column's graphics start elsewhere: a figure of their own
    near = figures.Box(other.x0, wide.y0 - 60, other.x1, wide.y1 + 60)
    if any(figures.is_any_caption(line) and line.box.intersects(near) for line in p.lines if line.box != caption):
        return None  # the graphics beside it have a caption of their own
    body = [line.box for line in p.lines if figures.is_body(line, p.style)]
    if any(box.intersects(wide.grown(-2)) for box in body):
        return None  # the other column's text beside the figure: the figure is the column's only
    return ink, wide


def _beside(
    p: _Page,
    caption: figures.Box,
    other: figures.Box,
) -> tuple[_Ink, figures.Box] | None:
    """The figure in `other` (a column or a side of the page) on the caption's rows, grown up and down."""
    ink = p.ink(other)
    walls = ink.barriers(figures.Box(other.x0, caption.y0, other.x1, caption.y1), other)
    band = figures.Box(
        other.x0,
        max([w.y1 for w in walls if w.y1 <= caption.y0 + 1], default=other.y0),
        other.x1,
        min([w.y0 for w in walls if w.y0 >= caption.y1 - 1], default=other.y1),
    )
    found = ink.region(band, range(int(caption.y0), int(caption.y1) + 1))
    return (ink, found) if found is not None else None


def _ink_beside(
    p: _Page,
    caption: figures.Box,
    zone: figures.Box,
) -> figures.Box | None:
    """The side of a narrow caption (left or right of it) whose graphics fill most of the caption's rows: the
    caption sits beside its figure, in the margin. None for a caption with text or nothing beside it."""
    if caption.width > zone.width * 0.45:
        return None
    near = 36.0  # points between the caption and the figure's ink beside it, at most
    sides = {
        "left": figures.Box(zone.x0, caption.y0, caption.x0 - 2, caption.y1),
        "right": figures.Box(caption.x1 + 2, caption.y0, zone.x1, caption.y1),
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
                figures.Box(zone.x0, zone.y0, strip.x1, zone.y1)
                if name == "left"
                else figures.Box(strip.x0, zone.y0, zone.x1, zone.y1)
            )
    return None


MIN_SIDE = 36.0  # points: narrower than this beside a caption holds no figure


@dataclass(frozen=True)
class NoFigure:
    """Why no figure was found: in English for the terminal and `notegen figure`, in Chinese for the note."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en


def find_figure(doc: pymupdf.Document, number: int = 1) -> tuple[Figure | None, NoFigure | None]:
    """Figure `number` and its PNG, or None and the reason, for the reviewer. A thesis or a book numbers its
    figures by chapter: without a figure 1, its first figure (2.1, say) stands for figure 1.

    A page is searched as its content reads: a page shown rotated (/Rotate 90, a journal's landscape page) in
    its own coordinates, where its text and its renders agree; a figure set sideways, its caption running up the
    side, on a view of the page turned upright. The box and the PNG are the page's as a viewer shows it.
    """
    figure, seen, labelled = _find(doc, number, range(doc.page_count))
    if figure is None and seen is None and number == 1:
        figure, seen, _ = _find(doc, None, labelled)
    if figure is not None:
        return figure, None
    if seen is not None:
        return None, NoFigure(
            f"found the caption of Figure {number} on page {seen + 1} but no figure beside it",
            f"第 {seen + 1} 页有图 {number} 的图注，但旁边没有找到图",
        )
    return None, NoFigure(f'no caption "Figure {number}" in the PDF', f"PDF 里没有找到图 {number} 的图注")


def _find(
    doc: pymupdf.Document, number: int | None, pages: Sequence[int]
) -> tuple[Figure | None, int | None, list[int]]:
    """Figure `number` (None: the first numbered in its chapter) on `pages`, or None and the first page with its
    caption; and the pages searched that have a figure's label anywhere in their text (the only ones a second
    search needs to read again)."""
    seen_caption: int | None = None
    pattern = figures.caption_pattern(number)
    labelled: list[int] = []
    for index in pages:
        page = doc[index]
        textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)
        if not figures.QUICK.search(textpage.extractText()):
            continue
        labelled.append(index)
        shown = page.rotation
        if shown:
            page.set_rotation(0)
            textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)
        try:
            text = _page_lines(page, textpage)
            hit, seen = _search(doc, page, text, number)
            for angle in sorted({_TURN[d] for t, d in text.turned if d in _TURN and pattern.match(t)}):
                if hit is not None:
                    break
                shown_doc, back = _turned(doc, page, angle)
                view = shown_doc[0]
                view_text = _page_lines(view)
                # The page's running head and footer, with their rules, stand at the sides of the turned view.
                edges = [figures.Box(*(pymupdf.Rect(box.tuple()) * ~back)) for box in _running_bands(page, text)]
                view_text = replace(view_text, marks=[*view_text.marks, *edges])
                hit, seen_turned = _search(shown_doc, view, view_text, number)
                seen = seen or seen_turned
                hit = replace(hit, back=back) if hit is not None else None
        finally:
            if shown:
                page.set_rotation(shown)
        if seen:
            seen_caption = index if seen_caption is None else seen_caption
        if hit is not None:
            return _as_shown(doc, index, hit), None, labelled
    return None, seen_caption, labelled


def _running_bands(page: pymupdf.Page, text: _Text) -> list[figures.Box]:
    """The bands across `page` that hold its running head and its footer (their lines on the page's first and
    last rows of text, in its top and bottom sixth, with a rule just under or over them)."""
    lines = text.lines
    if not lines:
        return []
    first, last = figures.text_rows(lines)
    page_box = figures.Box(*page.rect)
    bands = []
    heads = [line.box for line in lines if figures.running_head(line, first, last) == "head"]
    if heads and max(b.y1 for b in heads) < page_box.y0 + page_box.height / 6:
        bands.append(figures.Box(page_box.x0, page_box.y0, page_box.x1, max(b.y1 for b in heads) + HEAD_GAP / 2))
    feet = [line.box for line in lines if figures.running_head(line, first, last) == "foot"]
    if feet and min(b.y0 for b in feet) > page_box.y1 - page_box.height / 6:
        bands.append(figures.Box(page_box.x0, min(b.y0 for b in feet) - HEAD_GAP / 2, page_box.x1, page_box.y1))
    return bands


@dataclass(frozen=True)
class _Hit:
    ink: _Ink  # the render it was found in
    region: figures.Box  # in the coordinates of the page (or turned view) searched
    caption: str
    method: str
    back: pymupdf.Matrix | None = None  # from a turned view's coordinates to the page's own
    caption_box: figures.Box | None = None  # the caption, when it is on the figure's page


# A rotated caption's direction -> the turn (degrees, as show_pdf_page takes them) that sets it upright.
_TURN = {(0.0, -1.0): -90, (0.0, 1.0): 90, (-1.0, 0.0): 180}


def _turned(doc: pymupdf.Document, page: pymupdf.Page, angle: int) -> tuple[pymupdf.Document, pymupdf.Matrix]:
    """A one-page document showing `page` (its own coordinates) turned by `angle`, and the matrix from the
    view's coordinates back to the page's."""
    width, height = page.rect.width, page.rect.height
    size = (height, width) if angle in (90, -90) else (width, height)
    shown = pymupdf.open()
    view = shown.new_page(width=size[0], height=size[1])
    view.show_pdf_page(view.rect, doc, page.number, rotate=angle)
    back = {  # show_pdf_page sends (x, y) to (y, W - x) for 90, (H - y, x) for -90, (W - x, H - y) for 180
        90: pymupdf.Matrix(0, 1, -1, 0, width, 0),
        -90: pymupdf.Matrix(0, -1, 1, 0, 0, height),
        180: pymupdf.Matrix(-1, 0, 0, -1, width, height),
    }[angle]
    return shown, back


def _search(doc: pymupdf.Document, page: pymupdf.Page, text: _Text, number: int | None) -> tuple[_Hit | None, bool]:
    """Figure `number` found from a caption on this page, and whether its caption is there at all."""
    lines = text.lines
    style = figures.body_style(lines)
    block = figures.text_block(lines, figures.Box(*page.rect))
    seen = False
    for at, line in enumerate(lines):
        if not figures.is_caption(line, number, style, block):
            continue
        seen = True
        located = _locate(doc, page, lines, style, at, text.marks)
        log.debug("figure %s: caption %r on page %d: %s", number, line.text[:40], page.number, located and located[3])
        if located is not None:
            where, box, caption, method = located
            page_box = figures.Box(*page.rect)
            if page.parent is doc and page.number + 1 < doc.page_count and figures.runs_on(lines, at, page_box):
                following = _page_lines(doc[page.number + 1]).lines
                caption = figures.join_text([caption, figures.run_on_text(following, line, page_box)])
            region = figures.with_margin(box, MARGIN, figures.Box(*where.page.rect))
            caption_box = figures.caption_box(lines, at)[0] if where.page.number == page.number else None
            return _Hit(where, region, caption, method, caption_box=caption_box), True
    return None, seen


def _as_shown(doc: pymupdf.Document, index: int, hit: _Hit) -> Figure:
    """The figure as the page is shown: its box in the displayed page's coordinates, its PNG as a viewer sees
    it (a figure set sideways on an upright page stays sideways), and any doubt about it."""
    where = hit.ink.page
    doubt = _doubt(hit)
    if hit.back is None and where.rotation == 0:  # the common case: crop the render it was found in
        return Figure(where.number, hit.region.tuple(), hit.caption, hit.ink.png(hit.region), hit.method, doubt)
    page = doc[index] if hit.back is not None else where
    rect = pymupdf.Rect(hit.region.x0, hit.region.y0, hit.region.x1, hit.region.y1)
    if hit.back is not None:
        rect = rect * hit.back
    rect = (rect * page.rotation_matrix).normalize() & page.rect
    return Figure(page.number, figures.Box(*rect).tuple(), hit.caption, render(page, rect), hit.method, doubt)


def _doubt(hit: _Hit) -> str | None:
    """Why the crop may not be the figure alone, in a few words (the keys of note.DOUBTS), or None when it looks like
    one: it is checked on its own, not against how it was found."""
    return doubt_of(hit.ink, hit.region, hit.method, hit.caption_box)


def doubt_of(ink: _Ink, region: figures.Box, method: str = "", caption: figures.Box | None = None) -> str | None:
    """The doubt about `region` as the figure of the page `ink` rendered (also what bench/figures.py asks of
    crops that are deliberately wrong, to measure the check)."""
    page_box = figures.Box(*ink.page.rect)
    inside = [line for line in ink.lines if line.box.intersects(region.grown(-1))]
    if figures.reads_like_authors(inside):
        return "an author list"
    body = [line for line in inside if figures.is_body(line, ink.style) and not ink.tied(line)]
    if len(body) >= 2 and caption is not None and figures.centred_over(caption, region):
        beside = _beside_lines(ink, _graphics_in(ink, region), caption, body)  # a tree's leaves set as text
        body = [line for line in body if line not in beside]
    if len(body) >= 2:
        return "body text"
    if ink.page.number == 0 and figures.holds_title(inside, ink.lines, ink.style):
        return "the title"
    if any(ink.head_apart(line, region, at_edge=True) for line in inside):
        return "a running head"
    if ink.ruled(region, 0, range(math.floor(region.y0), math.ceil(region.y1))):
        return "a table"
    if figures.touches_edge(region, page_box):
        return "the page edge"
    if region.height > 0.8 * figures.content_zone(page_box).height:
        return "most of the page"
    if "sparse" in method:
        return "far from its caption"
    if _cut_through(ink, region):
        return "cut through"
    captions = [
        figures.caption_box(ink.lines, i)[0]
        for i, line in enumerate(ink.lines)
        if figures.is_any_caption(line) or figures.is_figure_note(line)
    ]
    captions += [caption] if caption is not None else []
    others = [
        line
        for line in ink.lines
        if not any(line.box.intersects(c) for c in captions) and not ink.head_apart(line, region)
    ]
    if figures.labels_left_out(region, others, ink.style, page_box):
        return "labels left out"
    return None


HEAD_GAP = 8.0  # points of blank rows between a running head and what follows it, at least


def _graphics_in(ink: _Ink, region: figures.Box) -> figures.Box:
    """The box of the graphics (text masked) in `region`; `region` when it has none."""
    top, rows, _ = ink.rows(region)
    inked = [i for i, r in enumerate(rows) if r is not None]
    cols = figures.columns(rows, range(len(rows)))
    if not inked or cols is None:
        return region
    return figures.Box(cols[0], top + inked[0], cols[1] + 1, top + inked[-1] + 1)


def _cut_through(ink: _Ink, region: figures.Box) -> bool:
    """Whether the figure's graphics run on past an edge of the crop (a crop trimmed to the figure's ink has
    blank rows and columns just outside it)."""
    strips = [
        figures.Box(region.x0, region.y0 - 3, region.x1, region.y0 - 0.5),
        figures.Box(region.x0, region.y1 + 0.5, region.x1, region.y1 + 3),
    ]
    for strip in strips:
        strip = strip & ink.area
        if strip.height < 1:
            continue
        _, rows, _ = ink.rows(strip)
        if any(r is not None and r[1] - r[0] >= 0.3 * region.width for r in rows):
            return True
    return False


def page_ink(page: pymupdf.Page) -> _Ink:
    """The whole page's render and text, for `doubt_of` on any region of it."""
    text = _page_lines(page)
    return _Ink(page, text.lines, figures.body_style(text.lines), figures.Box(*page.rect), text.marks)


def render(page: pymupdf.Page, region: pymupdf.Rect) -> bytes:
    """`region` of `page` as PNG bytes, without annotations, at DPI or less to stay under MAX_PIXELS."""
    zoom = DPI / 72
    pixels = region.width * zoom * region.height * zoom
    if pixels > MAX_PIXELS:
        zoom *= (MAX_PIXELS / pixels) ** 0.5
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=region, annots=False, alpha=False)
    return bytes(pix.tobytes("png"))
