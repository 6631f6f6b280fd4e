"""Domain errors. The core raises these with fields; the message is made from them in one place (`__str__`), and
only the CLI turns them into lines on stderr and exit codes. Code that needs the paper, the file, the line or the
reason reads the field: nothing parses a message back."""

from __future__ import annotations

import copy
from typing import Any, Self


class NotegenError(Exception):
    """Something the person can fix.

    - `reason`: what is wrong, in a few words that group alike failures (backfill's table counts by it);
    - `subject`: what it is about (a paper as the person named it, a setting, a file), or `path` and `line`
      (1-based) for a place in a file an editor can jump to;
    - `detail`: the specifics that differ from case to case (an HTTP status, a library's words), shown in brackets;
    - `hint`: the fix;
    - `zh`: the reason in Chinese, where a note shows it to the person.

    Rendered `<where>: <reason> (<detail>); <hint>`, where <where> is `path:line`, the path or the subject.
    """

    def __init__(
        self,
        reason: str,
        *,
        subject: str = "",
        path: str = "",
        line: int | None = None,
        detail: str = "",
        hint: str = "",
        zh: str = "",
    ) -> None:
        self.reason, self.subject, self.path, self.line = reason, subject, path, line
        self.detail, self.hint, self.zh = detail, hint, zh
        super().__init__(reason)

    @property
    def where(self) -> str:
        if self.path:
            return f"{self.path}:{self.line}" if self.line is not None else self.path
        return self.subject

    @property
    def what(self) -> str:
        """The message without its place: reason, detail and fix."""
        text = self.reason + (f" ({self.detail})" if self.detail else "")
        return text + (f"; {self.hint}" if self.hint else "")

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what

    def with_fields(self, **changes: Any) -> Self:
        """This error with some fields changed and the others kept (a date read from a manifest's line is that
        line's problem, its detail and fix the same)."""
        changed = copy.copy(self)
        vars(changed).update(changes)
        return changed

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.fields()))  # crosses process boundaries intact, whatever the subclass


def _rebuild(kind: type[NotegenError], fields: dict[str, Any]) -> NotegenError:
    err = kind.__new__(kind)
    Exception.__init__(err, fields.get("reason", ""))
    vars(err).update(fields)
    return err


class UsageError(NotegenError):
    """Bad input or settings, found before any network call (exit 2)."""


class Problems(UsageError):
    """Several problems with the input, each its own error and line, found together so one run names them all."""

    def __init__(self, problems: list[NotegenError], limit: int = 50, more: str = "") -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems, self.limit, self.more = problems, limit, more

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems[: self.limit]]
        left = len(self.problems) - len(lines)
        return "\n".join(lines + ([f"... and {left} more{self.more}"] if left > 0 else []))


class NoteError(NotegenError):
    """A note notegen cannot read or edit safely: it is refused, never rewritten. `path` and `line` (None when the
    whole file is meant) say where, `reason` what is wrong and how to fix it, for code that shows the problem in its
    own words, as `notegen review` does."""

    def __init__(self, path: str, reason: str, line: int | None = None, *, detail: str = "", hint: str = "") -> None:
        super().__init__(reason, path=path, line=line, detail=detail, hint=hint)


class PaperError(NotegenError):
    """One paper could not be drafted; the others go on (exit 1). `subject` (also `name`) is the paper as the
    person named it (an arXiv ID or a PDF path), so the message leads with it."""

    def __init__(self, name: str, reason: str, *, detail: str = "", hint: str = "", zh: str = "") -> None:
        super().__init__(reason, subject=name, detail=detail, hint=hint, zh=zh)

    @property
    def name(self) -> str:
        return self.subject

    @classmethod
    def of(cls, name: str, err: NotegenError, where: bool = True) -> PaperError:
        """`err` as this paper's failure, its fields kept; the file or thing it names leads its reason unless
        `where` is false (a fault of a request for many papers, named in it, that fails only some)."""
        reason = f"{err.where}: {err.reason}" if where and err.where else err.reason
        return cls(name, reason, detail=err.detail, hint=err.hint, zh=err.zh)


class AnswerError(NotegenError):
    """Why a model's answer cannot be used: `reason` (English) is quoted back to the model in the one re-ask and
    shown on stderr; `zh` says it in the note, to the person."""

    def __init__(self, reason: str, zh: str) -> None:
        super().__init__(reason, zh=zh)


class FatalError(NotegenError):
    """The run cannot go on for any paper (wrong API key, unknown model, unreachable service) (exit 1)."""
