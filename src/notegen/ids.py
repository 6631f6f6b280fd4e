"""What people type or paste: paper references (arXiv IDs in every form, local PDF paths) and days. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from notegen.errors import NotegenError, Problems, UsageError

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
    """The arXiv ID in `text` if the whole of it is one (bare, `arXiv:` prefixed or an arxiv.org URL) and one
    arXiv can have given."""
    found = _shape(text)
    return found if found is not None and why_impossible(found) is None else None


def _shape(text: str) -> ArxivId | None:
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


def why_impossible(arxiv_id: ArxivId, today: date | None = None) -> str | None:
    """Why an ID of the right shape is none arXiv ever gave (a digit lost or added, a month 13), or None.

    New-style IDs (April 2007 on) are YYMM.NNNN, with a fifth digit from January 2015; old-style ones
    (archive/YYMMNNN) run from August 1991 to March 2007.
    """
    today = today or date.today()
    base = arxiv_id.base
    if "/" in base:
        yymm = base.split("/")[1][:4]
        year = (1900 if int(yymm[:2]) > 50 else 2000) + int(yymm[:2])
        first, last = (1991, 8), (2007, 3)
    else:
        yymm, number = base.split(".")
        year = 2000 + int(yymm[:2])
        first, last = (2007, 4), (today.year, today.month)
        digits = 5 if year >= 2015 else 4
        if len(number) != digits:
            since = "since January 2015" if digits == 5 else "before 2015"
            return f"{since} the number after the dot has {digits} digits"
    month = int(yymm[2:])
    if not 1 <= month <= 12:
        return f"{yymm[2:]} is not a month"
    if not first <= (year, month) <= last:
        return f"arXiv gave such IDs from {first[1]:02d}/{first[0]} to {last[1]:02d}/{last[0]}, not {month:02d}/{year}"
    return None


def why_not_arxiv_id(text: str) -> str:
    """Why `text` is not an arXiv ID, for a message."""
    shaped = _shape(text)
    why = why_impossible(shaped) if shaped is not None else None
    return f"cannot be an arXiv ID: {why}" if why else "is not an arXiv ID"


_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
FIRST_DAY = date(1991, 8, 1)  # arXiv's first month


def parse_day(text: str) -> date:
    """A day as people write it (2024-01-30 or 20240130); UsageError saying what is wrong otherwise."""
    m = _DAY.fullmatch(text.strip())
    if not m:
        raise UsageError(f"{text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2024-01-30")
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise UsageError(f"{text!r} is not a day of the calendar", hint="check the month and the day") from None
    if day < FIRST_DAY:
        raise UsageError(f"{text!r} is before arXiv began", detail="August 1991", hint="check the year")
    return day


def parse_ref(text: str) -> Ref:
    """One command-line argument as an arXiv ID or a local PDF; raise UsageError naming it otherwise."""
    shaped = _shape(text)
    if shaped is not None:
        why = why_impossible(shaped)
        if why:
            raise UsageError(f"{text!r} cannot be an arXiv ID: {why}", hint="check it for a lost or extra digit")
        return shaped
    if text.lower().endswith(".pdf") and "://" not in text:
        path = Path(text)
        if path.is_dir():
            raise UsageError("is a directory, not a PDF", subject=text, hint="pass the PDF file inside it")
        if not path.is_file():
            raise UsageError("no such file", subject=text, hint="check the path")
        return LocalPdf(path)
    path = Path(text)
    if path.is_file():
        return LocalPdf(path)
    if path.is_dir():
        raise UsageError("is a directory, not a PDF", subject=text, hint="pass the PDF file inside it")
    raise UsageError(
        f"{text!r} is not an arXiv ID or a PDF path",
        hint="use a form like 2401.16420, 2401.16420v2, arXiv:2401.16420, hep-th/9901001 or an arxiv.org link",
    )


def parse_refs(texts: list[str]) -> tuple[list[Ref], list[str]]:
    """All arguments at once: the refs in order without duplicates, and a warning per duplicate.

    Every malformed argument is reported in one UsageError, so a person fixes the list in one go.
    """
    refs: list[Ref] = []
    warnings: list[str] = []
    problems: list[NotegenError] = []
    seen: dict[str, str] = {}
    for text in texts:
        try:
            ref = parse_ref(text)
        except UsageError as err:
            problems.append(err)
            continue
        key = ref.key if isinstance(ref, ArxivId) else f"pdf:{ref.path.resolve()}"
        if key in seen:
            warnings.append(f"{text}: given twice (as {seen[key]}); drafting it once")
            continue
        seen[key] = text
        refs.append(ref)
    if problems:
        raise Problems(problems, 10, " arguments like these")
    return refs, warnings
