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

from notegen.errors import PaperError

log = logging.getLogger(__name__)

DPI = 150
MAX_PIXELS = 4_000_000  # a cap on the rendered figure, whatever its size on the page
MARGIN = 2.0  # points around the figure's ink
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

Rect = pymupdf.Rect


def caption_pattern(number: int) -> re.Pattern[str]:
    """A caption's opening: the label and number, then punctuation or the end of the line."""
    return re.compile(rf"^\s*(?:Figure|FIGURE|Fig\.?|FIG\.?)\s*{number}\s*(?:[:.|—–]|-\s|$)")


_ANY_CAPTION = re.compile(r"^\s*(?:Figure|FIGURE|Fig\.?|FIG\.?|Table|TABLE)\s*\d+\s*(?:[:.|—–]|-\s|$)")


@dataclass
class _Line:
    rect: Rect
    text: str
    size: float
    block: int


@dataclass
class _Caption:
    page: int
    rect: Rect  # the caption's lines from the label to the end of its block
    text: str


def _lines(page: pymupdf.Page) -> list[_Line]:
    out: list[_Line] = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans:
                continue
            text = "".join(s["text"] for s in line["spans"]).strip()
            size = max(s["size"] for s in spans)
            out.append(_Line(Rect(line["bbox"]), text, size, block["number"]))
    return out


def _find_caption(doc: pymupdf.Document, number: int) -> tuple[_Caption, list[_Line]] | None:
    pattern = caption_pattern(number)
    for index in range(doc.page_count):
        page = doc[index]
        lines = _lines(page)
        for i, line in enumerate(lines):
            if not pattern.match(line.text):
                continue
            rect = Rect(line.rect)
            parts = [line.text]
            for later in lines[i + 1 :]:
                if later.block != line.block:
                    break
                rect |= later.rect
                parts.append(later.text)
            return _Caption(index, rect, _clean("\n".join(parts))), lines
    return None


def find_figure(doc: pymupdf.Document, number: int = 1) -> tuple[Figure | None, str | None]:
    """Figure `number` and its PNG, or None and the reason, for the reviewer."""
    found = _find_caption(doc, number)
    if found is None:
        return None, f'no caption "Figure {number}" in the PDF'
    caption, lines = found
    page = doc[caption.page]
    region = _figure_region(page, caption, lines)
    if region is None:
        return None, f"found the caption of Figure {number} on page {caption.page + 1} but no figure beside it"
    png = render(page, region)
    bbox = (round(region.x0, 1), round(region.y0, 1), round(region.x1, 1), round(region.y1, 1))
    return Figure(caption.page, bbox, caption.text, png, "caption"), None


def _is_background(drawing: dict[str, object], page_area: float) -> bool:
    rect = Rect(drawing["rect"])
    if rect.get_area() >= 0.8 * page_area:
        return True
    fill = drawing.get("fill")
    stroke = drawing.get("color")
    white = fill is not None and all(c > 0.97 for c in fill)  # type: ignore[attr-defined]
    return white and stroke is None


def _graphics(page: pymupdf.Page) -> list[Rect]:
    page_rect = page.rect
    area = page_rect.get_area()
    rects: list[Rect] = []
    for drawing in page.get_drawings():
        if _is_background(drawing, area):
            continue
        rect = Rect(drawing["rect"]) & page_rect
        if not rect.is_empty or rect.width > 0 or rect.height > 0:
            rects.append(rect)
    for info in page.get_image_info():
        rect = Rect(info["bbox"]) & page_rect
        if rect.width > 4 and rect.height > 4:
            rects.append(rect)
    return rects


def _body_size(lines: list[_Line]) -> float:
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _span(page: pymupdf.Page, caption: Rect) -> tuple[float, float]:
    width = page.rect.width
    middle = width / 2
    if caption.x0 < middle - 10 < middle + 10 < caption.x1:
        return 0.0, width
    return (0.0, middle) if caption.x1 <= middle + 10 else (middle, width)


def _figure_region(page: pymupdf.Page, caption: _Caption, lines: list[_Line]) -> Rect | None:
    x0, x1 = _span(page, caption.rect)
    body = _body_size(lines)
    graphics = [g for g in _graphics(page) if g.x1 > x0 and g.x0 < x1]
    # What bounds a figure: paragraphs of body text and other captions, in the caption's span.
    barriers = [
        line.rect
        for line in lines
        if line.rect.x1 > x0
        and line.rect.x0 < x1
        and not caption.rect.intersects(line.rect)
        and (
            _ANY_CAPTION.match(line.text)
            or (abs(line.size - body) < 0.6 and line.rect.width > 0.6 * (x1 - x0) and len(line.text) > 40)
        )
    ]
    for above in (True, False):
        if above:
            limit = max((b.y1 for b in barriers if b.y1 <= caption.rect.y0 + 1), default=page.rect.y0)
            parts = [g for g in graphics if g.y0 >= limit - 1 and g.y1 <= caption.rect.y0 + 2]
        else:
            limit = min((b.y0 for b in barriers if b.y0 >= caption.rect.y1 - 1), default=page.rect.y1)
            parts = [g for g in graphics if g.y0 >= caption.rect.y1 - 2 and g.y1 <= limit + 1]
        parts = [g for g in parts if g.width > 1 or g.height > 1]
        if not parts:
            continue
        region = Rect(parts[0])
        for part in parts[1:]:
            region |= part
        if region.height < 12 or region.width < 24:
            continue
        # In-figure labels set as text: lines inside the region's band that are not body text or captions.
        for line in lines:
            inside = line.rect.y0 >= region.y0 - 2 and line.rect.y1 <= region.y1 + 2
            if inside and line.rect.x0 >= x0 - 1 and line.rect.x1 <= x1 + 1 and line.rect not in barriers:
                region |= line.rect
        return Rect(region.x0 - MARGIN, region.y0 - MARGIN, region.x1 + MARGIN, region.y1 + MARGIN) & page.rect
    return None


def render(page: pymupdf.Page, region: Rect) -> bytes:
    """`region` of `page` as PNG bytes, without annotations, at DPI or less to stay under MAX_PIXELS."""
    zoom = DPI / 72
    pixels = region.width * zoom * region.height * zoom
    if pixels > MAX_PIXELS:
        zoom *= (MAX_PIXELS / pixels) ** 0.5
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=region, annots=False, alpha=False)
    return bytes(pix.tobytes("png"))
