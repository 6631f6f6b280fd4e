"""What drafting a paper gives (a section, or why not) and what a command did; `DraftResult.merge` is the one
place a paper's outcome enters a command's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from notegen import note
from notegen.answers import Usage
from notegen.errors import PaperError


@dataclass(frozen=True)
class SummaryDoubt:
    """Why a summary awaits the person (its review line): in the note in Chinese, on stderr in English. The
    summary may be usable (written, with the line) or not (the placeholder is written in its place)."""

    zh: str
    en: str


@dataclass(frozen=True)
class Waiting:
    """Something of a written section that waits for the person: a summary to check, no figure, a figure to
    check, a new tag; `detail` in English, for the terminal."""

    paper: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.paper}: {self.kind}: {self.detail}"


SUMMARY_TO_CHECK, NO_FIGURE, FIGURE_TO_CHECK, NEW_TAG = "summary to check", "no figure", "figure to check", "new tag"
NEEDS_REVIEW = "summary needs review"  # a paper's failure: no usable answer, the section written with a review line


@dataclass(frozen=True)
class Drafted:
    """A paper's section, and its figure's image file if this run stored it (None when it was there already)."""

    section: note.Section
    stored: Path | None = None
    waiting: tuple[tuple[str, str], ...] = ()  # what else waits for the person: (kind, detail in English)


@dataclass
class DraftResult:
    """What a command did: the files it wrote, the papers that failed or wait for review, those it skipped."""

    written: list[Path] = field(default_factory=list)  # note and new images, in the order written
    failures: list[PaperError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the note
    waiting: list[Waiting] = field(default_factory=list)  # summaries to check, figures missing or to check, new tags
    usage: Usage | None = None
    preview: str = ""  # with dry_run: what would have been written, in the note's format

    def merge(self, name: str, outcome: Drafted | PaperError) -> note.Section | None:
        """Take in one paper's outcome: a failure is listed; a section's new image is listed as written, and a
        section waiting for review is listed with its reason. Returns the section to write, if any."""
        if isinstance(outcome, PaperError):
            self.failures.append(outcome)
            return None
        if outcome.stored is not None:
            self.written.append(outcome.stored)
        if outcome.section.unanswered:
            self.failures.append(PaperError(name, NEEDS_REVIEW, detail=outcome.section.review_detail or ""))
        elif outcome.section.review:
            self.waiting.append(Waiting(name, SUMMARY_TO_CHECK, outcome.section.review_detail or ""))
        self.waiting.extend(Waiting(name, kind, detail) for kind, detail in outcome.waiting)
        return outcome.section
