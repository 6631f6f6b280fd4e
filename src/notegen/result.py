"""What drafting a paper gives (a section, or why not) and what a command did; `DraftResult.merge` is the one
place a paper's outcome enters a command's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from notegen import note
from notegen.answers import Usage
from notegen.errors import PaperError


@dataclass(frozen=True)
class Review:
    """Why a summary awaits the person: in the note in Chinese, on stderr in English. A `doubt` is about a usable
    summary (written, with its review line); otherwise there is no summary, only the placeholder."""

    zh: str
    en: str
    doubt: bool = False


@dataclass(frozen=True)
class Drafted:
    """A paper's section, and its figure's image file if this run stored it (None when it was there already)."""

    section: note.Section
    stored: Path | None = None


@dataclass
class DraftResult:
    """What a command did: the files it wrote, the papers that failed or wait for review, those it skipped."""

    written: list[Path] = field(default_factory=list)  # note and new images, in the order written
    failures: list[PaperError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the note
    doubts: list[PaperError] = field(default_factory=list)  # summaries written with a review line to check
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
            self.failures.append(PaperError(name, f"summary needs review: {outcome.section.review_detail}"))
        elif outcome.section.review:
            self.doubts.append(PaperError(name, f"summary to check: {outcome.section.review_detail}"))
        return outcome.section
