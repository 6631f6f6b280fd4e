"""The one pipeline of the commands that draft new sections: a day (`notegen draft`) and many days (`notegen
backfill`) go the same way and only say how much. Metadata a batch of papers at a time (the arXiv client paces the
calls 3 s apart), each batch's papers drafted while the next batch is asked, in one thread pool, and a day's note
written as soon as its last paper is done. `Pool` is also the pool `notegen regen` drafts in."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from notegen import day_note, note, vault
from notegen.bounded import Bounded
from notegen.errors import FatalError, NotegenError, PaperError
from notegen.fetch import BATCH
from notegen.jobs import Job, with_metadata
from notegen.result import Drafted, DraftResult
from notegen.session import Session
from notegen.step import Voices, draft_section


@dataclass
class Report:
    days_written: list[date] = field(default_factory=list)
    days_complete: list[date] = field(default_factory=list)  # nothing left to do
    papers_ok: int = 0
    papers_done_before: int = 0  # in their notes before the run, by their marker (not named one by one)
    result: DraftResult = field(default_factory=DraftResult)

    @property
    def papers_skipped(self) -> int:
        return self.papers_done_before + len(self.result.skipped)


class Pool:
    """The thread pool papers are drafted in. Model requests at once are bounded by the session (`concurrency`),
    downloads by the arXiv client, PDF reading by the bounded workers: the pool only has to keep them all busy.
    Leaving it with an error (a Ctrl-C, a FatalError) cancels what has not started and does not wait for requests
    in flight."""

    def __init__(self, session: Session, papers: int) -> None:
        settings = session.settings
        workers = settings.concurrency + settings.pdf_connections + (os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(workers, papers)))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self._pool.submit(fn, *args)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self._pool.shutdown(wait=kind is None, cancel_futures=kind is not None)


class _Days:
    """The days as their papers get done: a day's note is written when its last paper is, with its papers taken
    in the order they were given (their sections, images and failures alike, whatever order they finished in).
    A note that cannot be written fails its day's papers, and the other days go on; when it is the run's only day,
    it stops the run as the one thing to fix."""

    def __init__(
        self,
        session: Session,
        report: Report,
        jobs: list[tuple[date, Job]],
        on_day: Callable[[date, Path], None],
    ) -> None:
        self.session, self.report, self.on_day = session, report, on_day
        self.pending: dict[date, int] = {}
        self.outcomes: dict[date, list[tuple[int, Job, Drafted | PaperError]]] = {}
        for day, _ in jobs:
            self.pending[day] = self.pending.get(day, 0) + 1
            self.outcomes.setdefault(day, [])
        self.alone = len(self.pending) == 1

    def settle(self, day: date) -> None:
        """One paper of `day` is done (or failed, or was not drafted); the day's note is written when its last
        one is."""
        self.pending[day] -= 1
        if self.pending[day]:
            return
        named = []
        for _, job, outcome in sorted(self.outcomes.pop(day), key=lambda t: t[0]):
            section = self.report.result.merge(job.name, outcome)
            if section is not None:
                named.append((job, section))
                self.report.papers_ok += 0 if section.unanswered else 1
        if not named:
            return
        path = vault.note_path(self.session.settings, day)
        try:
            day_note.write(self.session, path, day, named, self.report.result)
        except FatalError:
            raise
        except NotegenError as err:
            if self.alone:
                raise
            self.report.result.failures.extend(PaperError.of(job.name, err) for job, _ in named)
            return
        self.report.days_written.append(day)
        self.on_day(day, path)


def run(
    session: Session,
    jobs: list[tuple[date, Job]],
    existing: dict[date, note.Note | None],
    voice: Voices,
    bounded: Bounded,
    report: Report,
    refresh: bool = False,
    on_paper: Callable[[str, bool], None] = lambda name, ok: None,
    on_day: Callable[[date, Path], None] = lambda day, path: None,
) -> None:
    """Draft every job (a day and a paper its note `existing` does not have) and write each day's note; `on_paper`
    and `on_day` hear of each one done. `refresh` asks the model again instead of reading its last answer."""
    result = report.result
    days = _Days(session, report, jobs, on_day)
    numbered = list(enumerate(jobs))  # a paper's place in its day's note
    futures: dict[Future[Drafted | PaperError], tuple[date, int, Job]] = {}
    with Pool(session, len(jobs)) as pool:
        for first in range(0, len(jobs), BATCH):
            chunk = numbered[first : first + BATCH]
            looked_up, unknown = with_metadata(session.arxiv, [job for _, (_, job) in chunk], session.status)
            found = {job.name: job for job in looked_up}
            result.failures += unknown
            for index, (day, job) in chunk:
                known = found.get(job.name)
                if known is not None and known.found_in(existing[day]):
                    result.skipped.append(job.name)  # a section the person wrote by hand, found by its title
                elif known is not None:
                    futures[pool.submit(draft_section, session, known, voice, bounded, 1, refresh)] = (
                        day,
                        index,
                        known,
                    )
                    continue
                on_paper(job.name, known is not None)
                days.settle(day)
        for future in as_completed(futures):
            day, index, job = futures[future]
            outcome = future.result()
            days.outcomes[day].append((index, job, outcome))
            on_paper(job.name, isinstance(outcome, Drafted) and not outcome.section.unanswered)
            days.settle(day)
    result.usage = session.answers.usage if session.answers else None
