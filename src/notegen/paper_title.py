"""Which text of a PDF is its paper's title: the metadata's title or the largest type at the top of page 1. Pure
rules over strings and text lines; extract.py reads them from the PDF.

A metadata title is often not the paper's: a template's ("Springer Nature 2021 LaTeX template"), a file's name
("main.dvi", "Microsoft Word - draft.docx"), the tool's ("LaTeX with hyperref"), an identifier ("arXiv:…"), a
placeholder ("Untitled1", "Title"). Such a title says nothing about which paper a file is: every paper made from
the same template carries it. A reader sees the title on page 1, so the page wins whenever the metadata is one of
these, or names something page 1 does not show.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_LINES = 4  # a title wraps over two or three lines, rarely four; more is the text below it
CLEAR = 1.2  # a page's title is clear when set this much larger than its body text

# Words that name no paper: tools and file formats, publishers' classes and templates, the words of placeholder
# titles and of banners, and the little words between them. A title made of these and numbers alone is not one.
_GENERIC = frozenset(
    """
    a an and as at by for from in of on the to with using use via your here
    latex tex pdftex pdflatex xetex xelatex luatex lualatex hyperref package dvips dvipdfm dvipdfmx ghostscript
    acrobat distiller adobe microsoft word powerpoint excel office openoffice libreoffice writer impress keynote
    google docs overleaf pandoc typst quarto markdown knitr jupyter notebook indesign quartz pdfmaker
    untitled title titled subtitle document presentation slide slides manuscript paper papers draft article
    template templates sample example test new file copy final version revised revision main output class style
    format formatting instructions guide guidelines author authors submission submitted camera ready insert type
    enter preprint proceedings conference journal report technical letter review research original open access
    communication short full page preparation transactions letters sig
    springer nature elsevier ieee ieeetran acm acmart sigconf aaai ijcai iclr neurips nips icml cvpr iccv eccv
    acl emnlp naacl aps revtex aip mdpi wiley iop plos frontiers arxiv lncs llncs jmlr pmlr siam ams amsart
    elsarticle svjour sn jnl
    """.split()  # noqa: SIM905 (a list of words reads best as words)
)
_NUMBERISH = re.compile(r"^(?:v?\d+(?:[.\-]\d+)*[a-z]?|\d+(?:pt|st|nd|rd|th))$")  # 2021, v2, 1.0, 12pt, 2nd
_FILE_NAME = re.compile(
    r"\.(?:pdf|dvi|ps|eps|tex|ltx|bib|doc|docx|dot|dotx|rtf|odt|ott|odp|ppt|pptx|key|pages|indd|txt|md|html?|"
    r"qmd|rmd|ipynb|xps|wpd)\b|^(?:[a-z]:\\|\\\\|~?/)",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"^(?:arxiv\s*:|doi\s*:|https?://|www\.|10\.\d{4,}/|\d{4}\.\d{4,5}(?:v\d+)?\b)", re.I)
_APP_PREFIX = re.compile(r"^(?P<app>[^-–—:]{2,40}?)\s+[-–—]\s+\S")  # "Microsoft Word - draft", "<app> - <name>"
# Lines at the top of page 1 that are not the title: arXiv's stamp, a preprint or venue banner, a journal's
# header (volume, pages, DOI, web address), a copyright line.
_BANNER = re.compile(
    r"^(?:arxiv\s*:|(?:a\s+)?preprint(?:\s*[.,:;]|\s*$|\s+(?:submitted|under|version|typeset|posted)\b)|"
    r"published\s+(?:as|in|at|by|online)\b|accepted\s+(?:at|to|by|for|as|in)\b|under\s+(?:review|submission)\b|"
    r"submitted\s+(?:to|for)\b|to\s+appear\s+(?:in|at)\b|in\s+submission\b|in\s+press\b|proceedings\s+of\b|"
    r"draft\s+version\b|typeset\s+using\b|received\s*(?::|\d|on\b)|contents\s+lists?\b|journal\s+homepage\b|"
    r"doi\s*:|https?://|www\.|©|\(c\)\s|copyright\b)"
    r"|\bvol(?:\.|ume)\s*\d|\bpp\.\s*\d|\(\s*(?:19|20)\d\d\s*\)\s*\d",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^title\s*:\s*", re.IGNORECASE)  # a form's label before the title ("Title: …")
# A labelled field below a title set as a form ("Authors: …"), not the title's next line
_FIELD = re.compile(
    r"^(?:authors?|by|keywords?|affiliations?|abstract|corresponding\s+authors?|running\s+(?:title|head)|"
    r"e-?mail|date)\s*:",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Line:
    """A horizontal text line of page 1: its text, the size of its largest type, where it is, and its style."""

    text: str
    size: float
    y0: float
    y1: float
    bold: bool
    italic: bool


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


def is_placeholder(title: str, tools: Iterable[str] = ()) -> bool:
    """Whether `title` names no paper: too short to, a file's name or path, an identifier, the name of the tool
    that made the file (`tools`: the PDF's creator and producer), or made only of generic words and numbers
    (a template's, a placeholder's, an application's name heading a document's)."""
    title = " ".join(unicodedata.normalize("NFKC", title).split())
    cjk = len(_CJK.findall(title))
    if cjk < 4 and (len(title) < 8 or len(title.split()) < 2):
        return True
    if _FILE_NAME.search(title) or _IDENTIFIER.match(title):
        return True
    folded = title.casefold()
    if any(folded == " ".join(tool.split()).casefold() for tool in tools if tool.strip()):
        return True
    app = _APP_PREFIX.match(title)
    if app and _generic(app.group("app")):
        return True
    return _generic(title)


def _generic(text: str) -> bool:
    words = _words(text)
    return bool(words) and all(w in _GENERIC or _NUMBERISH.match(w) for w in words)


@dataclass(frozen=True)
class PageTitle:
    text: str  # "" when page 1 shows none
    clear: bool  # set clearly larger than the body text, so the page's title without a doubt


def page_title(lines: Sequence[Line], height: float) -> PageTitle:
    """The largest type in the top half of page 1 that reads as a title: its line and the lines of the same
    size and style right below it (a title wrapped over a few lines), not a banner, a journal's header or a
    running head. Text that reads as no title (a journal's one-word name, "Article") is passed over."""
    body = _body_size(lines)
    left = [ln for ln in lines if ln.y0 <= height / 2 and _letters(ln.text) >= 2 and not _BANNER.search(ln.text)]
    left.sort(key=lambda ln: ln.y0)
    for _ in range(3):
        size = max((ln.size for ln in left), default=0.0)
        if not left or size < body - 0.5:
            break
        title = _wrapped(left, size)
        text = unicodedata.normalize("NFKC", " ".join(" ".join(ln.text for ln in title).split()))
        text = _LABEL.sub("", text)[:300]
        if not is_placeholder(text):
            return PageTitle(text, size >= CLEAR * body)
        left = [ln for ln in left if ln not in title]
    return PageTitle("", False)


def _wrapped(lines: Sequence[Line], size: float) -> list[Line]:
    """The first line set in `size` and the lines of its size and style that continue it."""
    first = next(i for i, ln in enumerate(lines) if abs(ln.size - size) <= 0.5)
    head = lines[first]
    title = [head]
    for line in lines[first + 1 :]:
        last = title[-1]
        same = abs(line.size - size) <= 0.5 and (line.bold, line.italic) == (head.bold, head.italic)
        if line.y0 < last.y1 - 0.3 * size:
            if same:
                title.append(line)  # on the same row: a piece of the title set apart
            continue
        if not same or _FIELD.match(line.text):
            break  # the text below the title (its authors, "Authors: …"): the title ended
        if line.y0 - last.y0 > 2.5 * size or len(title) == MAX_LINES:
            break  # the same type further down is a heading, not the title
        title.append(line)
    return title


def _body_size(lines: Sequence[Line]) -> float:
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def shown(title: str, page_text: str) -> bool:
    """Whether page 1 shows `title`, whatever its spacing and line breaks: the whole of it, or most of its pairs
    of neighbouring words (a title edited a little since the metadata was written). Single words prove
    nothing: another paper's title shares many of them with any page."""
    page = "".join(_words(page_text))
    words = _words(title)
    if not page or not words:
        return False
    if "".join(words) in page:
        return True
    pairs = [a + b for a, b in itertools.pairwise(words)]
    return bool(pairs) and sum(pair in page for pair in pairs) >= 0.5 * len(pairs)


def choose(meta: str, tools: Iterable[str], page: PageTitle, page_text: str) -> str:
    """The paper's title: the metadata's unless it names no paper, or page 1 clearly shows another title; then
    the page's; "" when neither gives one."""
    meta = unicodedata.normalize("NFKC", " ".join(meta.split()))
    usable = not is_placeholder(meta, tools)
    if usable and not (page.clear and page.text and not shown(meta, page_text)):
        return meta
    return page.text or (meta if usable else "")
