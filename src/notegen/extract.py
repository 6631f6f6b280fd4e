"""PDF adapter: a paper's PDF opened (or refused with a reason), its title, the text the summary needs (abstract
and introduction) and what says which paper it is; Figure N is the figure package's (notegen.figure), asked here.

The reads run in a bounded worker: an allocation MuPDF could not make is reported as the memory bound reached.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pymupdf

from notegen import paper_title
from notegen.errors import PaperError
from notegen.figure import Figure, NoFigure, find_figure
from notegen.ids import ArxivId, parse_arxiv_id

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


def unreadable(name: str, err: OSError) -> PaperError:
    return PaperError(name, "cannot read the file", detail=str(err.strerror), hint="check the path and its permissions")


def _open(path: Path, name: str) -> pymupdf.Document:
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as err:
        raise unreadable(name, err) from err
    if b"%PDF-" not in head:
        raise PaperError(name, "not a PDF", detail="no %PDF- header", hint="pass the paper's PDF file")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as err:  # MuPDF raises several types for broken files
        raise PaperError(
            name, "not a readable PDF", detail=_short(err), hint="download it again or pass another file"
        ) from err
    if doc.needs_pass:
        doc.close()
        raise PaperError(name, "the PDF is encrypted with a password", hint="pass a decrypted copy")
    if doc.page_count == 0:
        doc.close()
        raise PaperError(name, "the PDF has no pages", hint="pass another file")
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
