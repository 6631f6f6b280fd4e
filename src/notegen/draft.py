"""notegen draft: one day's papers into its note, as a one-day run of the drafting pipeline (see pipeline.py).
The papers the note has already are skipped; the others are drafted side by side and written together, in the
order given."""

from __future__ import annotations

from datetime import date

from notegen import day_note, note, pipeline, vault
from notegen.ids import Ref
from notegen.jobs import jobs_for, not_in
from notegen.result import DraftResult
from notegen.session import Session
from notegen.step import Voice


def draft(session: Session, refs: list[Ref], day: date, refresh: bool = False) -> DraftResult:
    """Draft `refs` into the note of `day`; `refresh` asks the model again instead of reading its last answers."""
    report = pipeline.Report()
    path = vault.note_path(session.settings, day)
    existing = day_note.read(path)  # a note notegen cannot edit stops the run here, before any request
    voice = Voice.soon(session.settings, for_model=session.answers is not None)
    with session.bounded(min(session.settings.concurrency, len(refs))) as bounded:
        jobs, failures = jobs_for(refs, bounded, session.status)  # a local PDF is identified by what it holds
        jobs, skipped = not_in(existing, jobs)
        if jobs and existing is not None:
            note.check_appendable(existing, str(path))
        report.result.failures += failures
        report.result.skipped += skipped
        pipeline.run(session, [(day, job) for job in jobs], {day: existing}, voice, bounded, report, refresh)
    return report.result
