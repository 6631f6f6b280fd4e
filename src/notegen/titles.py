"""When two titles name the same paper: the rule a hand-written section is recognised by. Pure.

arXiv gives a title as its authors typed it, LaTeX and all (`$\\alpha$-Net`); a person writes it as it reads
(`α-Net`, `alpha-Net`), often with the venue in brackets (`[CVPR 2016] ...`, `... (CVPR 2016)`) or a translation
after it (`...（医学图像分割）`, `... - 中文翻译`). A title's key is what is left once those differences are taken
out; two titles are one paper when their keys are equal, and only then: never when one is a prefix or a part of
the other, since "Attention Is All You Need In Speech Separation" is not "Attention Is All You Need".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any


def title_key(title: str) -> str:
    """The key a title is compared by: its LaTeX read as text, bracketed venue tags and an appended translation
    set aside, then case, width, spacing, punctuation and accents dropped (a heading retyped by hand, or a PDF
    title whose words came out glued, keeps its key)."""
    return _key(title)


@functools.lru_cache(maxsize=1 << 16)  # a note's headings are keyed once per paper looked up (a note of years: 20,000)
def _key(title: str) -> str:
    text = unicodedata.normalize("NFKC", latex_text(title))
    core = set_aside(text)
    return folded(core) or folded(text)


# -- LaTeX ----------------------------------------------------------------------------------------------------

_LATEX = re.compile(r"[$\\]")  # what a title has when it has LaTeX in it; the rest need no parser
# Real titles are a few hundred characters at most; a longer heading is read as it is, in linear time.
_LONGEST = 1000
# Read before LaTeX does: a bare % is a percent sign to whoever typed it (a comment to LaTeX), and \[ \] are
# Markdown's escaped brackets (notegen writes `\[[`), not display math; an escaped backslash stays one.
_BEFORE = re.compile(r"\\\\|\\[\[\]()%]|%")
_BEFORE_AS = {"%": "\\%", "\\[": "[", "\\]": "]", "\\(": "(", "\\)": ")"}


def latex_text(title: str) -> str:
    """The title with its LaTeX read as text (`$\\alpha$` is α, `Schr\\"odinger` Schrödinger, `\\emph{x}` x), or
    as it is when it has none or the reader gives up on it."""
    if len(title) > _LONGEST or not _LATEX.search(title):
        return title
    try:
        source = _BEFORE.sub(lambda m: _BEFORE_AS.get(m.group(), m.group()), title)
        return str(_reader().latex_to_text(source))
    except Exception:  # the reader's own errors, and RecursionError on thousands of braces: keep the raw text
        return title


# Macros the reader's own table lacks, as they appear in titles: these show their argument, the switches nothing.
_SHOW_ARGUMENT = (
    *("texttt", "textsf", "textup", "textsl", "textmd", "textnormal", "textsuperscript", "textsubscript"),
    *("mbox", "hbox", "operatorname", "boldsymbol", "bm", "mathtt"),
)
_SWITCHES = (
    *("tt", "bf", "it", "sc", "sl", "rm", "sf", "em", "xspace", "relax", "protect", "noindent", "nobreak"),
    *("tiny", "scriptsize", "footnotesize", "small", "normalsize", "large", "Large", "huge"),
)


def _unknown_macro(node: Any, l2tobj: Any) -> str:
    """A macro nobody defined: its arguments when the parser saw some, else its name, so that a stray backslash
    in a hand-written heading (`C:\\Users`) loses no word."""
    arguments = [n for n in (node.nodeargd.argnlist if node.nodeargd else None) or [] if n is not None]
    if arguments:
        return str(l2tobj.nodelist_to_text(arguments))
    return str(node.macroname)


@functools.cache
def _reader() -> Any:
    """pylatexenc's LaTeX-to-text reader, imported on the first title with LaTeX in it (30 ms)."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    context.add_context_category(
        "notegen-titles",
        macros=[MacroTextSpec(name, discard=False) for name in _SHOW_ARGUMENT]
        + [MacroTextSpec(name, discard=True) for name in _SWITCHES],
        prepend=True,
    )
    context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro))
    return LatexNodes2Text(latex_context=context, math_mode="text")


# -- what a person adds around a title ------------------------------------------------------------------------

_OPEN = "([【〔〖《（［"
_CLOSE = ")]】〕〗》）］"
_PAIR = dict(zip(_OPEN, _CLOSE, strict=True))
_O, _C = re.escape(_OPEN), re.escape(_CLOSE)
_LEADING = re.compile(rf"^\s*([{_O}])([^{_O}{_C}]*)([{_C}])[\s:\-–—|]*")
_TRAILING = re.compile(rf"[\s:\-–—|,]*([{_O}])([^{_O}{_C}]*)([{_C}])[\s.。]*$")
# A translation after a space, dash, bar or colon, unbracketed: `Title - 中文翻译`, `Title｜中文`, `Title 中文`.
_TAIL = re.compile(r"^(.*\S)\s*(?:——|-{1,2}|[–—|/:])\s*(.+?)[\s.。]*$", re.DOTALL)  # after NFKC: ｜ is |, ： is :
# After a space alone, a translation must follow a title with words of its own (`Transformer 在医学图像中的应用` is a
# Chinese title, not "Transformer" translated) and hold no bracket (`(ResNet 残差)` is a note, not a tail).
_SPACE_TAIL = re.compile(r"^(.*\S)\s+([^\s()（）\[\]【】][^()（）\[\]【】]*?)[\s.。]*$", re.DOTALL)
_LATIN_WORD = re.compile(r"[^\W\d_]{2,}", re.ASCII)
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])|['’][0-9]{2}(?![0-9])")
_WORD = re.compile(r"^[^\W\d_](?:[^\W\d]|[&+.\-'’])*$")


def set_aside(title: str) -> str:
    """The title without what a person puts around it: venue tags in brackets before or after it (`[CVPR 2016]`,
    `(NeurIPS 2023 Oral)`, `【ICLR 2024】`) and a translation appended (a last bracketed part, or one after a dash,
    that is mostly Chinese, Japanese or Korean in a title that is not). Nothing else goes, and never all of it."""
    text = title
    while len(text) <= _LONGEST:
        shorter = _strip_once(text)
        if shorter == text or not folded(shorter):
            return text
        text = shorter
    return text


def _strip_once(text: str) -> str:
    m = _LEADING.match(text)
    if m and _PAIR[m.group(1)] == m.group(3) and venue(m.group(2)):
        return text[m.end() :]
    m = _TRAILING.search(text)
    if m and _PAIR[m.group(1)] == m.group(3):
        rest = text[: m.start()]
        if venue(m.group(2)) or (mostly_cjk(m.group(2)) and not mostly_cjk(rest)):
            return rest
    m = _TAIL.match(text)
    if m and mostly_cjk(m.group(2)) and not mostly_cjk(m.group(1)):
        return m.group(1)
    m = _SPACE_TAIL.match(text)
    if m and mostly_cjk(m.group(2)) and not mostly_cjk(m.group(1)) and len(_LATIN_WORD.findall(m.group(1))) >= 3:
        return m.group(1)
    return text


def venue(text: str) -> bool:
    """Whether a bracket holds a venue and year (`CVPR 2016`, `CVPR'16`, `NeurIPS 2023 Oral`, `2016`): one year
    and at most four words beside it, no other number (`2000-2020`, `COVID-19` and `ResNet-50` are not)."""
    years = _YEAR.findall(text)
    if len(years) != 1 or len(text) > 48:
        return False
    words = [w.strip("-–—,;·:") for w in _YEAR.sub(" ", text).split()]
    words = [w for w in words if w]
    return len(words) <= 4 and all(_WORD.match(w) for w in words)


def _cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL"))


def mostly_cjk(text: str) -> bool:
    """Whether text is written mostly in Chinese, Japanese or Korean: at least one such character for every two
    other letters (`U-Net 医学图像分割` is, `ResNet 残差` is not)."""
    cjk = sum(1 for ch in text if _cjk(ch))
    other = sum(1 for ch in text if ch.isalpha() and not _cjk(ch))
    return cjk > 0 and 2 * cjk >= other


# -- folding ------------------------------------------------------------------------------------------------

# Greek letters by name: `$\alpha$` reads α, and people type α or alpha.
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta",
    "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi", "ρ": "rho",
    "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip


# Marks that make another name, not punctuation: C, C++ and C# are three languages, k-means++ is not k-means,
# O(√T) is not O(T), ≤ is not ≥.
_MEANING = frozenset("+#")


def folded(text: str) -> str:
    """Letters, digits and the marks that change a name (+, #, math symbols); case, width, accents, spacing and
    punctuation dropped, Greek letters by name."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    # Control and format characters go first: notegen never writes them into a heading, so `0\x1f+` reads `0+`.
    decomposed = "".join(ch for ch in decomposed if unicodedata.category(ch) not in ("Cc", "Cf"))
    kept = (
        ch
        for before, ch in zip(" " + decomposed, decomposed, strict=False)
        if (ch.isalnum() and not unicodedata.category(ch).startswith("M")) or _sign(ch, before)
    )
    return "".join(_GREEK.get(ch, ch) for ch in kept)


def _sign(ch: str, before: str) -> bool:
    """A + or # right after a letter, digit or another of them (C++, C#, A+; not a heading's closing ` #`), or a
    math symbol."""
    if ch in _MEANING:
        return before.isalnum() or before in _MEANING
    return unicodedata.category(ch) == "Sm" and ch not in _NOT_MEANING


# Math symbols that stand for punctuation in titles: a minus for a hyphen, stars and bars for footnote marks.
_NOT_MEANING = frozenset("<>=|~\u2212\u2217\u22c6\u223c\u2223\u2044\u2215")
