"""notegen draft: one day's papers into its note. The papers the note has already are skipped; the others are
drafted `concurrency` at a time and written together, in the order given."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from notegen import day_note, note, vault
from notegen.bounded import Bounded
from notegen.errors import PaperError
from notegen.ids import Ref
from notegen.jobs import Job, jobs_for, not_in, with_metadata
from notegen.result import Drafted, DraftResult
from notegen.session import Session
from notegen.step import Voice, Voices, draft_section


def draft(session: Session, refs: list[Ref], day: date, refresh: bool = False) -> DraftResult:
    """Draft `refs` into the note of `day`; `refresh` asks the model again instead of reading its last answers."""
    result = DraftResult()
    path = vault.note_path(session.settings, day)
    existing = day_note.read(path)  # a note notegen cannot edit stops the run here, before any request
    voice = Voice.soon(session.settings, for_model=session.answers is not None)
    with session.bounded(min(session.settings.concurrency, len(refs))) as bounded:
        jobs, failures = jobs_for(refs, bounded, session.status)
        jobs, skipped = not_in(existing, jobs)
        if jobs and existing is not None:
            note.check_appendable(existing, str(path))
        jobs, unknown = with_metadata(session.arxiv, jobs, session.status)
        jobs, known_by_title = not_in(existing, jobs)  # hand-written sections, by the title arXiv gives
        result.failures += failures + unknown
        result.skipped += skipped + known_by_title
        outcomes = _sections(session, jobs, voice, bounded, refresh)
    sections = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        section = result.merge(job.name, outcome)
        if section is not None:
            sections.append((job, section))
    if sections:
        day_note.write(session, path, day, sections, result)
    result.usage = session.answers.usage if session.answers else None
    return result


def _sections(
    session: Session, jobs: list[Job], voice: Voices, bounded: Bounded, refresh: bool
) -> list[Drafted | PaperError]:
    """Every job's section, `concurrency` at a time; a FatalError (a wrong key, say) stops the rest."""
    pool = ThreadPoolExecutor(max_workers=max(1, session.settings.concurrency))
    try:
        futures = [pool.submit(draft_section, session, job, voice, bounded, 1, refresh) for job in jobs]
        outcomes = [future.result() for future in futures]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # an interrupt does not wait for requests in flight
        raise
    pool.shutdown()
    return outcomes
