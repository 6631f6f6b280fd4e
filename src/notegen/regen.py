"""notegen regen: one paper's section regenerated in place: the summary (asking the model again), and the tag or
the figure when asked. What the person wrote (an edited summary, words added to a review line, a hand-written
section) is only replaced with `force`, and kept in a backup."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from notegen import note, vault
from notegen.errors import NotegenError, PaperError, UsageError
from notegen.ids import ArxivId, Ref
from notegen.jobs import Job, job_for, with_metadata
from notegen.result import DraftResult
from notegen.session import Session
from notegen.step import Voice, draft_section
from notegen.storage import name_start, write_atomic

WITHOUT_KEY = "; regen asks the model, so it needs one"  # the Session's missing-key message ends so


def regen_paper(
    session: Session, ref: Ref, day: date | None, tag: bool = False, figure: int | None = None, force: bool = False
) -> DraftResult:
    """Regenerate the section of `ref` in the note of `day` (None: wherever it is in the vault); `tag` and
    `figure` (its number in the PDF) replace those too."""
    settings = session.settings
    result = DraftResult()
    paths = [vault.note_path(settings, day)] if day else vault.daily_notes(settings)
    # Every note is read first: one notegen cannot edit safely is refused before anything is fetched.
    notes = [(path, note.parse_note(vault.read_note(path), str(path))) for path in paths if path.is_file()]
    with session.bounded(1) as bounded:
        job = job_for(ref, bounded)
        found = _locate(notes, job)
        if not found and isinstance(job.ref, ArxivId):  # a hand-written section: by the title arXiv gives
            looked_up = _looked_up(session, job, result)
            if looked_up is None:
                return result  # arXiv does not know it: named in result.failures
            job, found = looked_up, _locate(notes, looked_up)
        where = f"the note of {day:%Y-%m-%d}" if day else "any note of the vault"
        if not found:
            raise UsageError(f"{job.name}: not in {where}; draft it first, or pass the --date of its note")
        if len(found) > 1:
            names = ", ".join(f"{path.name}:{span.line}" for path, span in found)
            raise UsageError(f"{job.name}: in several notes ({names}); pass --date to choose one")
        path, span = found[0]
        _guard(path, next(n for p, n in notes if p == path), span, job.name, force)
        if job.meta is None and isinstance(job.ref, ArxivId):
            looked_up = _looked_up(session, job, result)
            if looked_up is None:
                return result
            job = looked_up
        # Regenerating means asking the model again, not reading its last answer.
        outcome = draft_section(session, job, Voice.of(settings), bounded, figure or 1, refresh=True)
    if isinstance(outcome, PaperError):
        result.failures.append(outcome)
        return result
    section = outcome.section
    if section.review:
        result.failures.append(
            PaperError(job.name, f"{section.review_detail}; the summary in {path.name} was left as it was")
        )
        return result
    if figure is not None and section.image is None:
        result.failures.append(PaperError(job.name, f"no figure {figure}: {section.missing_figure}"))
        return result
    if tag and span.tag is None:
        result.failures.append(
            PaperError(job.name, f"{path.name}:{span.line}: the section has no tag line (#tag) to replace")
        )
        return result
    if outcome.stored is not None:
        result.written.append(outcome.stored)
    with session.writing():
        current = note.parse_note(vault.read_note(path), str(path))
        again = _locate([(path, current)], job)
        if len(again) != 1:
            raise NotegenError(f"{path}: the section of {job.name} changed while notegen worked; run it again")
        span = again[0][1]
        _guard(path, current, span, job.name, force)
        now = session.clock()
        new = note.replace_section_parts(
            current,
            span,
            now,
            summary=section.summary,
            tag=section.tag if tag else None,
            figure=section.image if figure is not None else None,
            paper=job.marker,
            figure_doubt=section.figure_doubt,
        )
        if session.dry_run:
            after = note.parse_note(new, str(path))
            changed = next(s for s in after.sections if s.line == span.line)
            result.preview = new[changed.start : changed.end].rstrip() + "\n"
            return result
        if note.edited(current, span):
            backup = _backup(session, path, current.text[span.start : span.end], job, now)
            session.status(f"{job.name}: the replaced section is kept in {backup}")
        if tag:
            result.written.extend(vault.ensure_tag_notes(settings, [section.tag], now))
        write_atomic(path, new.encode("utf-8"), settings.scratch)
    result.written.insert(0, path)
    result.usage = session.answers.usage if session.answers else None
    return result


def _looked_up(session: Session, job: Job, result: DraftResult) -> Job | None:
    found = with_metadata(session.arxiv, [job], result, session.status)
    return found[0] if found else None


def _locate(notes: list[tuple[Path, note.Note]], job: Job) -> list[tuple[Path, note.SectionSpan]]:
    """The paper's section in each note: by marker, else by title. Two in one note is for the person to sort out
    (`notegen check` lists them), not for notegen to guess."""
    found: list[tuple[Path, note.SectionSpan]] = []
    for path, parsed in notes:
        matches = parsed.find((job.marker, *job.keys), job.title)
        if len(matches) > 1:
            lines = ", ".join(str(m.line) for m in matches)
            raise UsageError(
                f"{job.name}: {path.name} has {len(matches)} sections of this paper (lines {lines}); "
                "keep one and rerun (notegen check lists such sections)"
            )
        found.extend((path, m) for m in matches)
    return found


def _guard(path: Path, parsed: note.Note, span: note.SectionSpan, name: str, force: bool) -> None:
    if force or not note.edited(parsed, span):
        return
    if span.written is None:
        who = "was written by hand"
    elif not note.review_is_notegens(parsed, span):
        who = "has words added to notegen's review line"
    else:
        who = "was edited since notegen wrote it"
    raise NotegenError(
        f"{name}: the summary in {path.name}:{span.line} {who}; pass --force to replace it "
        "(the current text is kept in a backup)"
    )


def _backup(session: Session, path: Path, old: str, job: Job, now: int) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", note.paper_key(job.marker))[:80]  # a file name every system takes
    target = session.settings.state / "backups" / f"{name_start(path.stem, 150)}.{slug}.{now}.md"
    write_atomic(target, old.encode("utf-8"))
    return target
