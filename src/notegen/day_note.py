"""A day's note on disk: read it (refusing one notegen cannot edit safely), and write new sections into it under
the workspace's lock, whole or not at all. The text itself is note.py's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from notegen import note, vault
from notegen.errors import NotegenError, PaperError
from notegen.jobs import Job
from notegen.result import DraftResult
from notegen.session import Session
from notegen.textfile import UTF8, Encoding


def read(path: Path) -> note.Note | None:
    """The note at `path`, or None when there is none yet; one notegen may not write is refused."""
    vault.check_writable(path)
    return _read_as(path)[0]


def _read_as(path: Path) -> tuple[note.Note | None, Encoding]:
    """The note at `path` (None when there is none yet) and the encoding to write it in."""
    if not path.is_file():
        return None, UTF8
    return vault.parse_note_file(path)


def write(session: Session, path: Path, day: date, named: list[tuple[Job, note.Section]], result: DraftResult) -> None:
    """The day's note with these papers' sections (`named`: the paper's job, its section). A paper
    whose own files cannot be written (its tag note) fails alone; the note is written whole or not at all. With
    a dry run, the sections go to `result.preview` instead."""
    settings = session.settings
    with session.writing():
        existing, encoding = _read_as(path)  # again, under the lock: another run may have written meanwhile
        now = session.clock()
        sections: list[note.Section] = []
        for job, section in named:
            name = job.name
            if job.found_in(existing):  # by what identifies the paper, not by a heading made from its file's name
                result.skipped.append(name)  # another run wrote it meanwhile
                continue
            if session.dry_run:
                sections.append(section)
                continue
            try:
                result.written.extend(vault.ensure_tag_notes(settings, [section.tag], now))
            except NotegenError as err:
                why = f"its tag note could not be written: {err.where + ': ' if err.where else ''}{err.reason}"
                result.failures.append(PaperError(name, why, detail=err.detail, hint=err.hint))
                continue
            sections.append(section)
        if not sections:
            return
        if session.dry_run:
            start = existing.next_figure if existing is not None else 0
            result.preview += "\n\n".join(note.render_section(s, start + n) for n, s in enumerate(sections))
            return
        if existing is None:
            root = vault.ensure_root(settings, now)
            if root is not None:
                result.written.append(root)
            note_id = vault.unique_id(vault.note_ids(settings), session.new_id)
            text = note.render_note(note_id, day, now, sections)
        else:
            text = note.append_sections(existing, sections, now, str(path))
        vault.write_note(path, text, encoding, settings.scratch)
    result.written.insert(0, path)
