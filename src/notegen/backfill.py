"""notegen backfill: many days in one pipeline. Metadata for every paper in batched calls, downloads a few at a
time, PDFs read in bounded worker processes, model requests `concurrency` at once, and each day's note written
as soon as its last paper is done; a rerun after a crash picks up where it stopped."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from notegen import day_note, manifest, note, vault
from notegen.errors import FatalError, NotegenError, PaperError, UsageError
from notegen.fetch import BATCH
from notegen.jobs import Job, job_for, with_metadata
from notegen.result import Drafted, DraftResult
from notegen.session import Session
from notegen.step import Voice, draft_section


@dataclass
class BackfillReport:
    days_written: list[date] = field(default_factory=list)
    days_complete: list[date] = field(default_factory=list)  # nothing left to do
    papers_ok: int = 0
    papers_skipped: int = 0
    result: DraftResult = field(default_factory=DraftResult)


def backfill_days(
    session: Session,
    days: list[manifest.Day],
    manifest_key: str,
    on_paper: Callable[[str, bool], None] = lambda name, ok: None,
    on_day: Callable[[date, Path], None] = lambda day, path: None,
) -> BackfillReport:
    """Draft every paper of `days` the notes do not have yet; `on_paper` and `on_day` hear of each one done."""
    report = BackfillReport()
    result = report.result
    voice = Voice.kept(session.settings, manifest_key, for_model=session.answers is not None)
    jobs: list[tuple[date, Job]] = []
    existing: dict[date, note.Note | None] = {}
    for planned in manifest.plan(session.settings, days):
        if planned.broken:
            raise UsageError(planned.broken)  # checked by the CLI already; a note broken since then
        report.papers_skipped += len(planned.done)
        existing[planned.day] = planned.existing
        if not planned.todo:
            report.days_complete.append(planned.day)
        else:
            jobs.extend((planned.day, job_for(ref)) for ref in planned.todo)
    pending: dict[date, int] = {}
    for day, _ in jobs:
        pending[day] = pending.get(day, 0) + 1
    sections: dict[date, list[tuple[int, Job, note.Section]]] = {day: [] for day in pending}
    cores = os.cpu_count() or 1
    settings = session.settings

    def settle(day: date) -> None:
        """One paper of `day` is done (or failed); the day's note is written when its last one is."""
        pending[day] -= 1
        if pending[day] == 0 and sections[day]:
            path = vault.note_path(settings, day)
            named = [(job, section) for _, job, section in sorted(sections.pop(day), key=lambda t: t[0])]
            try:
                day_note.write(session, path, day, named, result)
            except FatalError:
                raise
            except NotegenError as err:  # this day's note (a full disk, say): its papers fail, the rest go on
                result.failures.extend(PaperError(job.name, str(err)) for job, _ in named)
                return
            report.days_written.append(day)
            on_day(day, path)

    pool = ThreadPoolExecutor(max_workers=settings.concurrency + settings.pdf_connections + cores)
    with session.bounded(cores) as bounded:
        futures: dict[Future[Drafted | PaperError], tuple[date, int, Job]] = {}
        try:
            # Metadata a batch at a time (paced 3 s apart); each batch's papers start while the next is asked.
            for first in range(0, len(jobs), BATCH):
                chunk = list(enumerate(jobs))[first : first + BATCH]
                asked = [j for _, (_, j) in chunk]
                looked_up, unknown = with_metadata(session.arxiv, asked, session.status)
                found = {j.name: j for j in looked_up}
                result.failures += unknown
                for failure in unknown:
                    on_paper(failure.name, False)
                for index, (day, job) in chunk:
                    if job.name in found and found[job.name].found_in(existing[day]):
                        report.papers_skipped += 1  # a section the person wrote by hand, found by its title
                        on_paper(job.name, True)
                        settle(day)
                    elif job.name in found:
                        future = pool.submit(draft_section, session, found[job.name], voice, bounded)
                        futures[future] = (day, index, found[job.name])
                    else:
                        settle(day)
            for future in as_completed(futures):
                day, index, job = futures[future]
                section = result.merge(job.name, future.result())
                if section is not None:
                    sections[day].append((index, job, section))
                    report.papers_ok += 0 if section.unanswered else 1
                on_paper(job.name, section is not None and not section.unanswered)
                settle(day)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # an interrupt does not wait for requests in flight
            raise
    pool.shutdown()
    result.usage = session.answers.usage if session.answers else None
    return report
