"""Backfill manifests: which papers were read on which day, and what of it the vault still lacks.

One day per line, `2024-01-30 2401.16420 2401.15977` (blank lines and `#` comments allowed), or one paper per
row as `date,id` (CSV) or `date<TAB>id` (TSV), with an optional header row. Every bad line is reported at once,
as file:line, before anything is fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from notegen import note, textfile, vault
from notegen.errors import NotegenError, Problems, UsageError
from notegen.ids import ArxivId, Ref, parse_arxiv_id, parse_day, why_not_arxiv_id
from notegen.settings import Settings

_HEADER = re.compile(r"^\s*date\s*[,\t]\s*(id|arxiv|arxiv_id|paper)\s*$", re.IGNORECASE)


@dataclass
class Day:
    day: date
    refs: list[Ref] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def read_manifest(path: Path) -> str:
    """The manifest's text, whatever the editor or spreadsheet saved it as (UTF-8, UTF-16, GB18030; see textfile)."""
    try:
        return textfile.read_text(path)[0]
    except OSError as err:
        raise UsageError(
            "cannot read the manifest", subject=str(path), detail=str(err.strerror or err), hint="check the path"
        ) from err


def parse_manifest(text: str, name: str) -> list[Day]:
    """The manifest's days in date order (a day given on several lines is one day), IDs deduplicated per day."""
    days: dict[date, Day] = {}
    problems: list[NotegenError] = []
    text = text.removeprefix("\ufeff")  # a spreadsheet's "CSV UTF-8" starts with a byte-order mark
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line or (number == 1 and _HEADER.match(line)):
            continue
        fields = [f.strip() for f in re.split(r"[,\t]|\s+", line) if f.strip()]
        if not fields:
            problems.append(UsageError("no date and no IDs on this line", path=name, line=number))
            continue
        try:
            when = parse_day(fields[0])
        except UsageError as err:
            problems.append(err.with_fields(path=name, line=number))
            continue
        if len(fields) == 1:
            problems.append(UsageError(f"{fields[0]} has no arXiv IDs after the date", path=name, line=number))
            continue
        entry = days.setdefault(when, Day(when))
        for text_id in fields[1:]:
            arxiv_id = parse_arxiv_id(text_id)
            if arxiv_id is None:
                problems.append(UsageError(f"{text_id!r} {why_not_arxiv_id(text_id)}", path=name, line=number))
            elif all(not (isinstance(r, ArxivId) and r.key == arxiv_id.key) for r in entry.refs):
                entry.refs.append(arxiv_id)
        entry.lines.append(number)
    if problems:
        raise Problems(problems)
    if not days:
        raise UsageError(
            "no days in the manifest", subject=name, hint="write lines like: 2024-01-30 2401.16420 2401.15977"
        )
    return [days[d] for d in sorted(days)]


@dataclass(frozen=True)
class PlannedDay:
    day: date
    path: Path
    todo: list[Ref]
    done: list[Ref]  # already in the day's note (by marker; sections found by title are known after the lookup)
    broken: NotegenError | None = None  # why notegen cannot add to the day's note: file:line and the fix
    existing: note.Note | None = None


def plan(settings: Settings, days: list[Day]) -> list[PlannedDay]:
    """What a backfill has left to do, from the vault alone (no network): a rerun after a crash only does this."""
    out = []
    for entry in days:
        path = vault.note_path(settings, entry.day)
        done: list[Ref] = []
        broken: NotegenError | None = None
        parsed = None
        unwritable = None
        try:
            vault.check_writable(path)
        except NotegenError as err:
            unwritable = err  # matters only when the day has papers to add
        if path.is_file():
            try:
                parsed = vault.parse_note_file(path)[0]
                done = [r for r in entry.refs if isinstance(r, ArxivId) and parsed.has([r.key])]
                if len(done) < len(entry.refs):
                    note.check_appendable(parsed, str(path))
            except NotegenError as err:
                broken = err
        todo = [r for r in entry.refs if r not in done]
        if todo and broken is None:
            broken = unwritable
        out.append(PlannedDay(entry.day, path, todo, done, broken, parsed))
    return out


def between(days: list[Day], start: date | None, end: date | None) -> list[Day]:
    return [d for d in days if (start is None or d.day >= start) and (end is None or d.day <= end)]
