"""notegen backfill --batch-api: before the backfill, have the Batch API answer every question it will ask, into
the answer cache, where the backfill then finds them. The pending job is kept under .notegen/, so a rerun
collects it instead of sending it again."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

from notegen import batch_api, manifest
from notegen.errors import PaperError
from notegen.jobs import Job, job_for, with_metadata
from notegen.session import Session
from notegen.step import Voice, first_messages, read_paper
from notegen.storage import write_atomic


def answer_by_batch(session: Session, days: list[manifest.Day], manifest_key: str) -> bool:
    """True when every question of the backfill has its answer in the cache (or the job ended and the rest is
    to be asked directly); False when the job is still running after batch_wait: the person reruns later."""
    answers, settings = session.answers, session.settings
    assert answers is not None
    state_path = settings.state / "batch" / f"{manifest_key}.json"
    try:
        batch_id = str(json.loads(state_path.read_text(encoding="utf-8"))["batch"])
        session.status(f"collecting batch {batch_id} sent by an earlier run")
    except (OSError, ValueError, KeyError, TypeError):
        missing = [m for m in _questions(session, days, manifest_key) if not answers.has(m)]
        if not missing:
            return True
        batch_id = batch_api.submit(answers, missing)
        write_atomic(state_path, json.dumps({"batch": batch_id, "questions": len(missing)}).encode("utf-8"))
        session.status(f"sent {len(missing)} questions as batch {batch_id}")
    deadline = time.monotonic() + settings.batch_wait if settings.batch_wait else None
    while True:
        status, output = batch_api.status(answers, batch_id)
        if status in ("completed", "expired", "failed", "cancelled"):
            stored = batch_api.collect(answers, output) if output else 0
            state_path.unlink(missing_ok=True)
            session.status(f"batch {batch_id} {status}: {stored} answers; anything missing is asked directly")
            return True
        if deadline is not None and time.monotonic() >= deadline:
            session.status(f"batch {batch_id} is {status}; rerun the same command later to collect it")
            return False
        time.sleep(settings.batch_poll)


def _questions(session: Session, days: list[manifest.Day], manifest_key: str) -> list[list[dict[str, str]]]:
    """The first question of every paper the backfill has left, exactly as the backfill will ask it."""
    prompts = session.prompts
    assert prompts is not None
    voice = Voice.kept(session.settings, manifest_key, for_model=session.answers is not None)
    plan = manifest.plan(session.settings, days)
    jobs = [job_for(ref) for planned in plan if not planned.broken for ref in planned.todo]
    notes = {job_for(ref).name: planned.existing for planned in plan for ref in planned.todo}
    known, _ = with_metadata(session.arxiv, jobs, session.status)  # papers arXiv does not know: the backfill says
    found = [j for j in known if not j.found_in(notes.get(j.name))]
    cores = os.cpu_count() or 1
    with session.bounded(cores) as bounded, ThreadPoolExecutor(session.settings.pdf_connections + cores) as pool:

        def question(job: Job) -> list[dict[str, str]] | None:
            try:
                _, inputs = read_paper(session, job, bounded)
            except PaperError:
                return None  # the backfill itself reports it
            return first_messages(prompts, inputs, voice, session.prompt_budget)

        return [q for q in pool.map(question, found) if q is not None]
