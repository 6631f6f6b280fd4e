"""notegen backfill: many days through the drafting pipeline (see pipeline.py), with bounded workers for as many
PDFs as there are cores; a rerun after a crash picks up where it stopped."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from notegen import manifest, note, pipeline
from notegen.errors import Problems
from notegen.jobs import Job, job_for
from notegen.session import Session
from notegen.step import Voice


def backfill_days(
    session: Session,
    days: list[manifest.Day],
    manifest_key: str,
    on_paper: Callable[[str, bool], None] = lambda name, ok: None,
    on_day: Callable[[date, Path], None] = lambda day, path: None,
) -> pipeline.Report:
    """Draft every paper of `days` the notes do not have yet; `on_paper` and `on_day` hear of each one done."""
    report = pipeline.Report()
    jobs: list[tuple[date, Job]] = []
    existing: dict[date, note.Note | None] = {}
    for planned in manifest.plan(session.settings, days):
        if planned.broken:
            raise Problems([planned.broken])  # checked by the CLI already; a note broken since then
        report.papers_done_before += len(planned.done)
        existing[planned.day] = planned.existing
        if not planned.todo:
            report.days_complete.append(planned.day)
        jobs.extend((planned.day, job_for(ref)) for ref in planned.todo)
    voice = Voice.kept(session.settings, manifest_key, for_model=session.answers is not None)
    with session.bounded(os.cpu_count() or 1) as bounded:
        pipeline.run(session, jobs, existing, voice, bounded, report, on_paper=on_paper, on_day=on_day)
    return report
