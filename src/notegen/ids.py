"""Paper references as people paste them: arXiv IDs in every form, or local PDF paths. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from notegen.errors import UsageError

# New style (2007-): YYMM.NNNN or YYMM.NNNNN. Old style (-2007): archive[.SUBJ]/YYMMNNN.
_NEW = r"(?P<new>\d{4}\.\d{4,5})"
_OLD = r"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})"
_ID = rf"(?:{_NEW}|{_OLD})(?:v(?P<version>[1-9]\d{{0,3}}))?"
_BARE = re.compile(rf"(?:arxiv:)?{_ID}", re.IGNORECASE)
_URL = re.compile(
    rf"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class ArxivId:
    """An arXiv identifier: `base` without version (`2401.16420`, `hep-th/9901001`), `version` or None."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base

    @property
    def key(self) -> str:
        """What identifies the paper in a note, whatever its version."""
        return f"arxiv:{self.base}"

    @property
    def slug(self) -> str:
        """A file-name-safe form of the versioned ID (old-style IDs contain a slash)."""
        return str(self).replace("/", "_")


@dataclass(frozen=True)
class LocalPdf:
    """A PDF on disk given in place of an ID."""

    path: Path


Ref = ArxivId | LocalPdf


def parse_arxiv_id(text: str) -> ArxivId | None:
    """The arXiv ID in `text` if the whole of it is one (bare, `arXiv:` prefixed or an arxiv.org URL)."""
    text = text.strip()
    m = _BARE.fullmatch(text) or _URL.fullmatch(text)
    if not m:
        return None
    if m.group("new"):
        base = m.group("new")
    else:
        archive, number = m.group("old").split("/")
        # Archives are lower case; the optional subject class (math.GT) keeps its capitals.
        name, dot, subject = archive.partition(".")
        base = f"{name.lower()}{dot}{subject.upper()}/{number}"
    version = m.group("version")
    return ArxivId(base, int(version) if version else None)


def parse_ref(text: str) -> Ref:
    """One command-line argument as an arXiv ID or a local PDF; raise UsageError naming it otherwise."""
    arxiv_id = parse_arxiv_id(text)
    if arxiv_id is not None:
        return arxiv_id
    if text.lower().endswith(".pdf") and "://" not in text:
        path = Path(text)
        if path.is_dir():
            raise UsageError(f"{text}: is a directory, not a PDF; pass the PDF file inside it")
        if not path.is_file():
            raise UsageError(f"{text}: no such file; check the path")
        return LocalPdf(path)
    path = Path(text)
    if path.is_file():
        return LocalPdf(path)
    if path.is_dir():
        raise UsageError(f"{text}: is a directory, not a PDF; pass the PDF file inside it")
    raise UsageError(
        f"{text!r} is not an arXiv ID or a PDF path; "
        "use a form like 2401.16420, 2401.16420v2, arXiv:2401.16420, hep-th/9901001 or an arxiv.org link"
    )


def parse_refs(texts: list[str]) -> tuple[list[Ref], list[str]]:
    """All arguments at once: the refs in order without duplicates, and a warning per duplicate.

    Every malformed argument is reported in one UsageError, so a person fixes the list in one go.
    """
    refs: list[Ref] = []
    warnings: list[str] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for text in texts:
        try:
            ref = parse_ref(text)
        except UsageError as err:
            problems.append(str(err))
            continue
        key = ref.key if isinstance(ref, ArxivId) else f"pdf:{ref.path.resolve()}"
        if key in seen:
            warnings.append(f"{text}: given twice (as {seen[key]}); drafting it once")
            continue
        seen[key] = text
        refs.append(ref)
    if problems:
        shown = problems[:10]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more arguments like these")
        raise UsageError("\n".join(shown))
    return refs, warnings
