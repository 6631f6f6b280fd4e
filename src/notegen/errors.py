"""Domain errors. The core raises these; only the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations


class NotegenError(Exception):
    """Something the person can fix; the message says what and how, in one line."""


class UsageError(NotegenError):
    """Bad input or settings, found before any network call (exit 2)."""


class NoteError(NotegenError):
    """A note notegen cannot read or edit safely: it is refused, never rewritten.

    Its fields, `path`, `line` (1-based; None when the whole file is meant) and `reason` (what is wrong and the
    fix), are for code that shows the problem in its own words, as `notegen review` does; the message is made
    from them here.
    """

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path, self.reason, self.line = path, reason, line
        super().__init__(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}")

    def __reduce__(self) -> tuple[type[NoteError], tuple[str, str, int | None]]:
        return (type(self), (self.path, self.reason, self.line))  # crosses processes intact


class PaperError(NotegenError):
    """One paper could not be drafted; the others go on (exit 1).

    `name` is the paper as the person named it (an arXiv ID or a PDF path), so the message can lead with it.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason

    def __reduce__(self) -> tuple[type[PaperError], tuple[str, str]]:
        return (type(self), (self.name, self.reason))  # crosses process boundaries intact


class FatalError(NotegenError):
    """The run cannot go on for any paper (wrong API key, unknown model, unreachable service) (exit 1)."""
