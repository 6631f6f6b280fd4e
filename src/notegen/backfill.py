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


class _Days:
    """The days of a backfill as their papers get done: a day's note is written when its last paper is."""

    def __init__(self, session: Session, report: BackfillReport, on_day: Callable[[date, Path], None]) -> None:
        self.session, self.report, self.on_day = session, report, on_day
        self.jobs: list[tuple[date, Job]] = []
        self.existing: dict[date, note.Note | None] = {}
        self.pending: dict[date, int] = {}
        self.sections: dict[date, list[tuple[int, Job, note.Section]]] = {}

    def plan(self, days: list[manifest.Day]) -> None:
        """What is left to do: each day's papers its note does not have yet."""
        for planned in manifest.plan(self.session.settings, days):
            if planned.broken:
                raise UsageError(planned.broken)  # checked by the CLI already; a note broken since then
            self.report.papers_skipped += len(planned.done)
            self.existing[planned.day] = planned.existing
            if not planned.todo:
                self.report.days_complete.append(planned.day)
            else:
                self.jobs.extend((planned.day, job_for(ref)) for ref in planned.todo)
        for day, _ in self.jobs:
            self.pending[day] = self.pending.get(day, 0) + 1
            self.sections.setdefault(day, [])

    def settle(self, day: date) -> None:
        """One paper of `day` is done (or failed); the day's note is written when its last one is."""
        self.pending[day] -= 1
        if self.pending[day] or not self.sections[day]:
            return
        path = vault.note_path(self.session.settings, day)
        named = [(job, section) for _, job, section in sorted(self.sections.pop(day), key=lambda t: t[0])]
        try:
            day_note.write(self.session, path, day, named, self.report.result)
        except FatalError:
            raise
        except NotegenError as err:  # this day's note (a full disk, say): its papers fail, the rest go on
            self.report.result.failures.extend(PaperError(job.name, str(err)) for job, _ in named)
            return
        self.report.days_written.append(day)
        self.on_day(day, path)


def backfill_days(
    session: Session,
    days: list[manifest.Day],
    manifest_key: str,
    on_paper: Callable[[str, bool], None] = lambda name, ok: None,
    on_day: Callable[[date, Path], None] = lambda day, path: None,
) -> BackfillReport:
    """Draft every paper of `days` the notes do not have yet; `on_paper` and `on_day` hear of each one done.
    Metadata a batch at a time (paced 3 s apart); each batch's papers start while the next is asked."""
    report = BackfillReport()
    result = report.result
    voice = Voice.kept(session.settings, manifest_key, for_model=session.answers is not None)
    state = _Days(session, report, on_day)
    state.plan(days)
    cores = os.cpu_count() or 1
    settings = session.settings
    pool = ThreadPoolExecutor(max_workers=settings.concurrency + settings.pdf_connections + cores)
    with session.bounded(cores) as bounded:
        futures: dict[Future[Drafted | PaperError], tuple[date, int, Job]] = {}
        try:
            for first in range(0, len(state.jobs), BATCH):
                chunk = list(enumerate(state.jobs))[first : first + BATCH]
                looked_up, unknown = with_metadata(session.arxiv, [j for _, (_, j) in chunk], session.status)
                found = {j.name: j for j in looked_up}
                result.failures += unknown
                for failure in unknown:
                    on_paper(failure.name, False)
                for index, (day, job) in chunk:
                    if job.name in found and found[job.name].found_in(state.existing[day]):
                        report.papers_skipped += 1  # a section the person wrote by hand, found by its title
                        on_paper(job.name, True)
                        state.settle(day)
                    elif job.name in found:
                        future = pool.submit(draft_section, session, found[job.name], voice, bounded)
                        futures[future] = (day, index, found[job.name])
                    else:
                        state.settle(day)
            for future in as_completed(futures):
                day, index, job = futures[future]
                section = result.merge(job.name, future.result())
                if section is not None:
                    state.sections[day].append((index, job, section))
                    report.papers_ok += 0 if section.unanswered else 1
                on_paper(job.name, section is not None and not section.unanswered)
                state.settle(day)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # an interrupt does not wait for requests in flight
            raise
    pool.shutdown()
    result.usage = session.answers.usage if session.answers else None
    return report
