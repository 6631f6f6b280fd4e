"""fetch -> extract -> summarize -> write, for one day's papers."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Self

from notegen import extract, manifest, note, secret, summarize, vault
from notegen.bounded import Bounded
from notegen.errors import FatalError, NotegenError, PaperError, UsageError
from notegen.fetch import BATCH, Arxiv, Paper
from notegen.ids import ArxivId, LocalPdf, Ref
from notegen.llm import LLM, ContextTooLong, Reply, Usage
from notegen.settings import Settings
from notegen.storage import clean_stale, vault_lock, write_atomic

log = logging.getLogger(__name__)

UNTAGGED = "untagged"
OPENING = "这篇论文试图解决的问题是"
PLACEHOLDER = f"**待填写**（notegen）：{OPENING}……"


@dataclass(frozen=True)
class Review:
    """Why a summary awaits the person: in the note in Chinese, on stderr in English."""

    zh: str
    en: str


@dataclass
class DraftResult:
    written: list[Path] = field(default_factory=list)  # note and new images, in the order written
    failures: list[PaperError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the note
    usage: Usage | None = None
    preview: str = ""  # with dry_run: what would have been written, in the note's format


@dataclass(frozen=True)
class _Job:
    ref: Ref
    name: str  # how the person named it
    paper: str  # the marker's paper field
    meta: Paper | None = None
    keys: tuple[str, ...] = ()  # every marker key that means this paper
    title: str | None = None  # known once arXiv answered, or read from a local PDF

    def found_in(self, existing: note.Note | None) -> bool:
        return existing is not None and existing.has((self.paper, *self.keys), self.title)


class Drafter:
    """Drafts papers into a day's note. `clock` (epoch ms) and `new_id` are there for golden tests."""

    without_key = ", or pass --no-llm"  # what a person can do instead, in the missing-key message

    def __init__(
        self,
        settings: Settings,
        use_llm: bool = True,
        refresh: bool = False,
        clock: Callable[[], int] = lambda: int(time.time() * 1000),
        new_id: Callable[[], str] = note.new_id,
        arxiv: Arxiv | None = None,
        status: Callable[[str], None] = lambda message: None,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.status = status
        self.dry_run = dry_run  # nothing written to the workspace (answers and PDFs may still be cached)
        self.use_llm = use_llm
        self.refresh = refresh
        self.clock = clock
        self.new_id = new_id
        self.arxiv = arxiv or Arxiv(
            settings.arxiv_url,
            settings.pdf_url,
            interval=settings.arxiv_interval,
            timeout=settings.http_timeout,
            attempts=settings.retries,
            connections=settings.pdf_connections,
        )
        # What a killed run left behind goes first (temp files, half-downloaded PDFs).
        if not dry_run:
            clean_stale(
                [
                    settings.scratch,
                    settings.state / "pdfs",
                    settings.state / "llm",
                    settings.vault_dir,
                    settings.images_dir,
                ]
            )
        self._llm_slots = threading.Semaphore(max(1, settings.concurrency))
        self._lock_left = settings.lock_timeout
        self.llm: LLM | None = None
        self.prompts: summarize.Prompts | None = None
        if use_llm:
            if not settings.api_key:
                raise UsageError(
                    "OPENAI_API_KEY is not set; export OPENAI_API_KEY=<your key> "
                    f"(and OPENAI_BASE_URL for a non-OpenAI endpoint){self.without_key}"
                )
            wrong = secret.problem(settings.api_key)
            if wrong:
                raise UsageError(f"OPENAI_API_KEY {wrong}; export it again exactly as your provider shows it")
            self.prompts = summarize.load_prompts(settings.prompts_dir)
            self.llm = LLM(
                settings.api_key,
                settings.model,
                settings.base_url,
                settings.state / "llm",
                timeout=settings.llm_timeout,
                attempts=settings.retries,
                schema=summarize.SCHEMA,
                max_tokens=settings.max_tokens,
            )
        self.examples: list[str] = []
        self.length = summarize.DEFAULT_LENGTH

    def close(self) -> None:
        """Close the network sessions (arXiv, the LLM endpoint)."""
        self.arxiv.close()
        if self.llm is not None:
            self.llm.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def draft(self, refs: list[Ref], day: date) -> DraftResult:
        result = DraftResult()
        path = vault.note_path(self.settings, day)
        existing = self._read(path)  # a note notegen cannot edit stops the run here, before any request
        with Bounded(
            workers=min(self.settings.concurrency, os.cpu_count() or 1, max(1, len(refs))),
            seconds=self.settings.extract_timeout,
            memory_mb=self.settings.extract_memory_mb,
        ) as bounded:
            jobs = self._not_in(existing, self._jobs(refs, bounded, result), result)
            if jobs and existing is not None:
                note.check_appendable(existing, str(path))
            jobs = self._not_in(existing, self._with_metadata(jobs, result), result)  # now by title too
            vocabulary = [t for t in vault.tag_vocabulary(self.settings) if t != UNTAGGED]
            if self.llm is not None:
                self.examples = vault.past_summaries(self.settings)
                self.length = summarize.length_from(vault.own_summaries(self.settings))
            outcomes = self._sections(jobs, vocabulary, bounded)
        sections: list[tuple[str, note.Section]] = []
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, PaperError):
                result.failures.append(outcome)
                continue
            section, image = outcome
            sections.append((job.name, section))
            if image is not None:
                result.written.append(image)
            if section.review:
                result.failures.append(PaperError(job.name, f"summary needs review: {section.review_detail}"))
        if sections:
            self._write(path, day, sections, result)
        result.usage = self.llm.usage if self.llm else None
        return result

    def _jobs(self, refs: list[Ref], bounded: Bounded, result: DraftResult) -> list[_Job]:
        """A job per paper; local PDFs are identified (arXiv stamp, document /ID, title) in a bounded worker,
        and a paper given twice (a PDF and its ID, a PDF saved again with a highlight) is drafted once."""
        jobs: list[_Job] = []
        for ref in refs:
            try:
                job = _job(ref, bounded)
            except PaperError as err:
                result.failures.append(err)
                continue
            twin = next((j for j in jobs if set(j.keys) & set(job.keys)), None)
            if twin is not None:
                self.status(f"warning: {job.name}: the same paper as {twin.name}; drafting it once")
                continue
            jobs.append(job)
        return jobs

    @staticmethod
    def _not_in(existing: note.Note | None, jobs: list[_Job], result: DraftResult) -> list[_Job]:
        """The jobs whose paper the note does not have yet: by marker, else by title (hand-written sections)."""
        kept = []
        for job in jobs:
            if job.found_in(existing):
                result.skipped.append(job.name)
            else:
                kept.append(job)
        return kept

    def _read(self, path: Path) -> note.Note | None:
        if not path.is_file():
            return None
        return note.parse_note(vault.read_note(path), str(path))

    def _with_metadata(self, jobs: list[_Job], result: DraftResult) -> list[_Job]:
        ids = [j.ref for j in jobs if isinstance(j.ref, ArxivId)]
        if not ids:
            return jobs
        self.status(f"looking up {len(ids)} paper{'s' if len(ids) > 1 else ''} on arXiv")
        try:
            lookup = self.arxiv.lookup(ids)
        except FatalError as err:
            if len(ids) == len(jobs):
                raise
            # The local PDFs can still be drafted: every arXiv paper fails with the reason.
            reason = str(err).split(": ", 1)[-1]
            result.failures.extend(PaperError(j.name, reason) for j in jobs if isinstance(j.ref, ArxivId))
            return [j for j in jobs if not isinstance(j.ref, ArxivId)]
        kept: list[_Job] = []
        for job in jobs:
            if not isinstance(job.ref, ArxivId):
                kept.append(job)
            elif job.ref.key in lookup.found:
                meta = lookup.found[job.ref.key]
                kept.append(replace(job, paper=f"arxiv:{meta.arxiv_id}", meta=meta, title=meta.title))
            else:
                result.failures.append(PaperError(job.name, "arXiv has no paper with this ID; check it for typos"))
        return kept

    def _sections(
        self, jobs: list[_Job], vocabulary: list[str], bounded: Bounded
    ) -> list[tuple[note.Section, Path | None] | PaperError]:
        """Every job's section, `concurrency` at a time; a FatalError (a wrong key, say) stops the rest."""
        pool = ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency))
        try:
            futures = [pool.submit(self._section, job, vocabulary, bounded) for job in jobs]
            outcomes = [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # an interrupt does not wait for requests in flight
            raise
        pool.shutdown()
        return outcomes

    def _section(
        self, job: _Job, vocabulary: list[str], bounded: Bounded, number: int = 1
    ) -> tuple[note.Section, Path | None] | PaperError:
        try:
            return self._make_section(job, vocabulary, bounded, number)
        except PaperError as err:
            return err
        except FatalError:
            raise
        except NotegenError as err:
            return PaperError(job.name, str(err))
        except Exception as err:  # a fault nobody foresaw fails this paper, not the run
            log.debug("%s: unexpected error", job.name, exc_info=True)
            return PaperError(job.name, f"unexpected {type(err).__name__}: {err}; rerun with --debug and report it")

    def _read_paper(self, job: _Job, bounded: Bounded, number: int = 1) -> tuple[extract.Extracted, summarize.Inputs]:
        """The paper's PDF (downloaded once), read in a bounded worker, and what the model is given of it."""
        if isinstance(job.ref, LocalPdf):
            pdf = job.ref.path
        else:
            assert job.meta is not None
            self.status(f"{job.name}: downloading the PDF")
            pdf = self.arxiv.download_pdf(
                job.meta, self.settings.state / "pdfs", lambda p: bounded.call(job.name, extract.check_pdf, p, job.name)
            )
        found = bounded.call(job.name, extract.extract, pdf, job.name, number, self.settings.intro_chars)
        title = job.meta.title if job.meta else (job.title or found.title)
        if not title:
            title = job.ref.path.stem if isinstance(job.ref, LocalPdf) else job.name
        abstract = job.meta.abstract if job.meta and job.meta.abstract else found.abstract
        caption = found.figure.caption if found.figure else ""
        return found, summarize.Inputs(title, abstract, found.introduction, caption)

    def _first_messages(
        self, inputs: summarize.Inputs, vocabulary: list[str], budget: int | None
    ) -> list[dict[str, str]]:
        """The first question for a paper: the introduction cut to `budget` tokens of prompt when given."""
        assert self.prompts is not None
        examples, length = self.examples, self.length
        if budget is not None:
            inputs = summarize.fit_introduction(self.prompts, inputs, vocabulary, OPENING, examples, budget, length)
        return summarize.build_messages(self.prompts, inputs, vocabulary, OPENING, examples, length)

    def _make_section(
        self, job: _Job, vocabulary: list[str], bounded: Bounded, number: int = 1
    ) -> tuple[note.Section, Path | None]:
        """The paper's section, and the path of its figure if this run stored it."""
        settings = self.settings
        found, inputs = self._read_paper(job, bounded, number)
        image, stored = None, None
        if found.figure is not None and self.dry_run:
            image = vault.image_link(settings, hashlib.sha256(found.figure.png).hexdigest())
        elif found.figure is not None:
            path, image, new = vault.save_image(settings, found.figure.png)
            stored = path if new else None
        else:
            self.status(f"{job.name}: no figure ({found.figure_reason})")
        summary, tag, review = PLACEHOLDER, UNTAGGED, None
        if self.llm is not None and self.prompts is not None:
            self.status(f"{job.name}: asking {settings.model} for the summary")
            with self._llm_slots:
                summary, tag, review = self._summarize(job.name, inputs, vocabulary)
        section = note.Section(
            paper=job.paper,
            title=inputs.title,
            tag=tag,
            summary=summary,
            image=image,
            missing_figure=found.figure_reason,
            figure_doubt=note.DOUBTS.get(found.figure.doubt or "") if found.figure else None,
            review=review.zh if review else None,
            review_detail=review.en if review else None,
        )
        return section, stored

    def _budget(self) -> int | None:
        s = self.settings
        return s.context_tokens - s.max_tokens if s.context_tokens else None

    def _summarize(self, name: str, inputs: summarize.Inputs, vocabulary: list[str]) -> tuple[str, str, Review | None]:
        """(summary, tag, review reason or None): one re-ask quoting the problem, then a review marker.

        The introduction is cut to the model's context when it is known (`context_tokens`) or when the server
        says the prompt is too long; the title, abstract and caption always go whole.
        """
        assert self.llm is not None and self.prompts is not None
        llm, settings = self.llm, self.settings
        deadline = time.monotonic() + settings.llm_timeout  # the whole model step: every try, the re-ask

        def usable(text: str) -> bool:  # only such answers are cached: an unusable one is asked again next run
            try:
                summarize.parse_answer(text, vocabulary, OPENING, inputs.abstract, self.length)
            except summarize.AnswerError:
                return False
            return True

        def ask(messages: list[dict[str, str]]) -> Reply:
            return llm.ask(messages, name, refresh=self.refresh, accept=usable, deadline=deadline)

        messages = self._first_messages(inputs, vocabulary, self._budget())
        try:
            reply = ask(messages)
        except ContextTooLong as err:
            used = sum(summarize.estimate_tokens(m["content"]) for m in messages)
            budget = (err.limit if err.limit else used // 2) - min(settings.max_tokens, (err.limit or used) // 3)
            self.status(f"{name}: the prompt is too long for the model; cutting the introduction to fit")
            messages = self._first_messages(inputs, vocabulary, max(0, budget - 64))
            reply = ask(messages)
        for attempt in (1, 2):
            try:
                if reply.truncated:
                    raise summarize.AnswerError("the answer was cut off at the token limit", "回答在字数上限处被截断")
                answer = summarize.parse_answer(reply.text, vocabulary, OPENING, inputs.abstract, self.length)
            except summarize.AnswerError as err:
                if attempt == 2:
                    log.info("%s: the model's answers: %r", name, reply.text[:2000])
                    twice = f"the model's answer was unusable twice ({err})"
                    return PLACEHOLDER, UNTAGGED, Review(f"模型两次给出的回答都不能用（{err.zh}）", twice)
                self.status(f"{name}: asking again: {err}")
                try:
                    reply = ask(summarize.reask_messages(messages, reply.text, str(err)))
                except ContextTooLong:
                    why = Review(
                        f"模型的回答不能用（{err.zh}），提示太长，无法再问一次", f"{err}; no room to ask again"
                    )
                    return PLACEHOLDER, UNTAGGED, why
                continue
            if answer.new_tag:
                self.status(f"{name}: new tag #{answer.tag} (not used in the vault yet)")
            return answer.summary, answer.tag, None
        raise AssertionError("unreachable")

    def _write(self, path: Path, day: date, named: list[tuple[str, note.Section]], result: DraftResult) -> None:
        """The day's note with these papers' sections. A paper whose own files cannot be written (its tag note)
        fails alone; the note itself is written whole or not at all."""
        with vault_lock(self.settings.state, wait=self._lock_left) as waited:
            self._lock_left = max(0.0, self._lock_left - waited)  # lock_timeout bounds the whole run's waits
            existing = self._read(path)  # again, under the lock: another run may have written meanwhile
            now = self.clock()
            sections: list[note.Section] = []
            for name, section in named:
                if existing is not None and existing.has([section.paper], section.title):
                    continue
                if self.dry_run:
                    sections.append(section)
                    continue
                try:
                    result.written.extend(vault.ensure_tag_notes(self.settings, [section.tag], now))
                except NotegenError as err:
                    result.failures.append(PaperError(name, f"its tag note could not be written: {err}"))
                    continue
                sections.append(section)
            if not sections:
                return
            if self.dry_run:
                start = existing.next_figure if existing is not None else 0
                result.preview += "\n\n".join(note.render_section(s, start + n) for n, s in enumerate(sections))
                return
            if existing is None:
                root = vault.ensure_root(self.settings, now)
                if root is not None:
                    result.written.append(root)
                note_id = vault.unique_id(vault.note_ids(self.settings.vault_dir), self.new_id)
                text = note.render_note(note_id, day, now, sections)
            else:
                text = note.append_sections(existing, sections, now, str(path))
            write_atomic(path, text.encode("utf-8"), self.settings.scratch)
        result.written.insert(0, path)


@dataclass
class BackfillReport:
    days_written: list[date] = field(default_factory=list)
    days_complete: list[date] = field(default_factory=list)  # nothing left to do
    papers_ok: int = 0
    papers_skipped: int = 0
    result: DraftResult = field(default_factory=DraftResult)


class Backfiller(Drafter):
    """Drafts many days in one pipeline: metadata for every paper in batched calls, downloads a few at a time,
    extraction in bounded worker processes, model requests `concurrency` at once, and each day's note written
    as soon as its last paper is done."""

    def backfill(
        self,
        days: list[manifest.Day],
        manifest_key: str,
        on_paper: Callable[[str, bool], None] = lambda name, ok: None,
        on_day: Callable[[date, Path], None] = lambda day, path: None,
    ) -> BackfillReport:
        report = BackfillReport()
        result = report.result
        vocabulary, self.examples = self._prompt_inputs(manifest_key)
        jobs: list[tuple[date, _Job]] = []
        existing: dict[date, note.Note | None] = {}
        for planned in manifest.plan(self.settings, days):
            if planned.broken:
                raise note.NoteError(planned.broken)  # checked by the CLI already; a note broken since then
            report.papers_skipped += len(planned.done)
            existing[planned.day] = planned.existing
            if not planned.todo:
                report.days_complete.append(planned.day)
            else:
                jobs.extend((planned.day, _job(ref)) for ref in planned.todo)
        pending: dict[date, int] = {}
        for day, _ in jobs:
            pending[day] = pending.get(day, 0) + 1
        sections: dict[date, list[tuple[int, str, note.Section]]] = {day: [] for day in pending}
        cores = os.cpu_count() or 1
        threads = self.settings.concurrency + self.settings.pdf_connections + cores

        def settle(day: date) -> None:
            """One paper of `day` is done (or failed); the day's note is written when its last one is."""
            pending[day] -= 1
            if pending[day] == 0 and sections[day]:
                path = vault.note_path(self.settings, day)
                named = [(name, section) for _, name, section in sorted(sections.pop(day), key=lambda t: t[0])]
                try:
                    self._write(path, day, named, result)
                except FatalError:
                    raise
                except NotegenError as err:  # this day's note (a full disk, say): its papers fail, the rest go on
                    result.failures.extend(PaperError(name, str(err)) for name, _ in named)
                    return
                report.days_written.append(day)
                on_day(day, path)

        pool = ThreadPoolExecutor(max_workers=threads)
        with Bounded(
            workers=cores, seconds=self.settings.extract_timeout, memory_mb=self.settings.extract_memory_mb
        ) as bounded:
            futures: dict[Future[tuple[note.Section, Path | None] | PaperError], tuple[date, int, _Job]] = {}
            try:
                # Metadata a batch at a time (paced 3 s apart); each batch's papers start while the next is asked.
                for first in range(0, len(jobs), BATCH):
                    chunk = list(enumerate(jobs))[first : first + BATCH]
                    seen = len(result.failures)
                    found = {j.name: j for j in self._with_metadata([j for _, (_, j) in chunk], result)}
                    for failure in result.failures[seen:]:
                        on_paper(failure.paper, False)
                    for index, (day, job) in chunk:
                        if job.name in found and found[job.name].found_in(existing[day]):
                            report.papers_skipped += 1  # a section the person wrote by hand, found by its title
                            on_paper(job.name, True)
                            settle(day)
                        elif job.name in found:
                            future = pool.submit(self._section, found[job.name], vocabulary, bounded)
                            futures[future] = (day, index, found[job.name])
                        else:
                            settle(day)
                for future in as_completed(futures):
                    day, index, job = futures[future]
                    outcome = future.result()
                    if isinstance(outcome, PaperError):
                        result.failures.append(outcome)
                        on_paper(job.name, False)
                    else:
                        section, image = outcome
                        sections[day].append((index, job.name, section))
                        if image is not None:
                            result.written.append(image)
                        if section.review:
                            result.failures.append(
                                PaperError(job.name, f"summary needs review: {section.review_detail}")
                            )
                        report.papers_ok += 0 if section.review else 1
                        on_paper(job.name, not section.review)
                    settle(day)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # an interrupt does not wait for requests in flight
                raise
        pool.shutdown()
        result.usage = self.llm.usage if self.llm else None
        return report

    def answer_by_batch(self, days: list[manifest.Day], manifest_key: str) -> bool:
        """Have the Batch API answer every question the backfill will ask, into the answer cache; True when
        they are all there. The pending batch is kept under .notegen/, so a rerun collects it instead of
        sending it again."""
        assert self.llm is not None
        settings = self.settings
        state_path = settings.state / "batch" / f"{manifest_key}.json"
        try:
            batch_id = str(json.loads(state_path.read_text(encoding="utf-8"))["batch"])
            self.status(f"collecting batch {batch_id} sent by an earlier run")
        except (OSError, ValueError, KeyError, TypeError):
            questions = self._questions(days, manifest_key)
            missing = [m for m in questions if not self.llm.is_cached(m)]
            if not missing:
                return True
            batch_id = self.llm.submit_batch(missing)
            write_atomic(state_path, json.dumps({"batch": batch_id, "questions": len(missing)}).encode("utf-8"))
            self.status(f"sent {len(missing)} questions as batch {batch_id}")
        deadline = time.monotonic() + settings.batch_wait if settings.batch_wait else None
        while True:
            status, output = self.llm.batch_status(batch_id)
            if status in ("completed", "expired", "failed", "cancelled"):
                stored = self.llm.collect_batch(output) if output else 0
                state_path.unlink(missing_ok=True)
                self.status(f"batch {batch_id} {status}: {stored} answers; anything missing is asked directly")
                return True
            if deadline is not None and time.monotonic() >= deadline:
                self.status(f"batch {batch_id} is {status}; rerun the same command later to collect it")
                return False
            time.sleep(settings.batch_poll)

    def _questions(self, days: list[manifest.Day], manifest_key: str) -> list[list[dict[str, str]]]:
        """The first question of every paper the backfill has left, exactly as the normal path will ask it."""
        vocabulary, self.examples = self._prompt_inputs(manifest_key)
        result = DraftResult()
        plan = manifest.plan(self.settings, days)
        jobs = [_job(ref) for planned in plan if not planned.broken for ref in planned.todo]
        notes = {_job(ref).name: planned.existing for planned in plan for ref in planned.todo}
        found = [job for job in self._with_metadata(jobs, result) if not job.found_in(notes.get(job.name))]
        cores = os.cpu_count() or 1
        with (
            Bounded(
                workers=cores, seconds=self.settings.extract_timeout, memory_mb=self.settings.extract_memory_mb
            ) as bounded,
            ThreadPoolExecutor(max_workers=self.settings.pdf_connections + cores) as pool,
        ):

            def question(job: _Job) -> list[dict[str, str]] | None:
                try:
                    _, inputs = self._read_paper(job, bounded)
                except PaperError:
                    return None  # the backfill itself reports it
                return self._first_messages(inputs, vocabulary, self._budget())

            return [q for q in pool.map(question, found) if q is not None]

    def _prompt_inputs(self, manifest_key: str) -> tuple[list[str], list[str]]:
        """The tag vocabulary and style examples (and the length in the person's voice) for the whole backfill,
        kept under .notegen/ so that a rerun after a crash builds the very same prompts (and finds its answers
        in the cache) although the vault has grown meanwhile."""
        path = self.settings.state / "backfill" / f"{manifest_key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.length = summarize.Length(
                tuple(data["length"]["ask"]), data["length"]["least"], data["length"]["most"]
            )
            return list(data["vocabulary"]), list(data["examples"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        vocabulary = [t for t in vault.tag_vocabulary(self.settings) if t != UNTAGGED]
        examples = vault.past_summaries(self.settings) if self.llm is not None else []
        self.length = summarize.length_from(vault.own_summaries(self.settings))
        length = {"ask": list(self.length.ask), "least": self.length.least, "most": self.length.most}
        data = {"vocabulary": vocabulary, "examples": examples, "length": length}
        write_atomic(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        return vocabulary, examples


class Regenerator(Drafter):
    """Regenerates one paper's section in place: the summary (asking the model again), and the tag or the
    figure when asked. What the person wrote (an edited summary, words added to a review line, a hand-written
    section) is only replaced with `force`, and kept in a backup."""

    without_key = "; regen asks the model, so it needs one"

    def regen(
        self, ref: Ref, day: date | None, tag: bool = False, figure: int | None = None, force: bool = False
    ) -> DraftResult:
        result = DraftResult()
        paths = [vault.note_path(self.settings, day)] if day else vault.daily_notes(self.settings)
        # Every note is read first: one notegen cannot edit safely is refused before anything is fetched.
        notes = [(path, note.parse_note(vault.read_note(path), str(path))) for path in paths if path.is_file()]
        with Bounded(1, self.settings.extract_timeout, self.settings.extract_memory_mb) as bounded:
            job = _job(ref, bounded)
            found = self._locate(notes, job)
            if not found and isinstance(job.ref, ArxivId):  # a hand-written section: by the title arXiv gives
                looked_up = self._looked_up(job, result)
                if looked_up is None:
                    return result  # arXiv does not know it: named in result.failures
                job, found = looked_up, self._locate(notes, looked_up)
            where = f"the note of {day:%Y-%m-%d}" if day else "any note of the vault"
            if not found:
                raise UsageError(f"{job.name}: not in {where}; draft it first, or pass the --date of its note")
            if len(found) > 1:
                names = ", ".join(f"{path.name}:{span.line}" for path, span in found)
                raise UsageError(f"{job.name}: in several notes ({names}); pass --date to choose one")
            path, span = found[0]
            self._guard(path, next(n for p, n in notes if p == path), span, job.name, force)
            if job.meta is None and isinstance(job.ref, ArxivId):
                looked_up = self._looked_up(job, result)
                if looked_up is None:
                    return result
                job = looked_up
            self.refresh = True  # regenerating means asking the model again, not reading its last answer
            vocabulary = [t for t in vault.tag_vocabulary(self.settings) if t != UNTAGGED]
            self.examples = vault.past_summaries(self.settings)
            self.length = summarize.length_from(vault.own_summaries(self.settings))
            outcome = self._section(job, vocabulary, bounded, figure or 1)
        if isinstance(outcome, PaperError):
            result.failures.append(outcome)
            return result
        section, stored = outcome
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
        if stored is not None:
            result.written.append(stored)
        with vault_lock(self.settings.state, wait=self._lock_left):
            current = note.parse_note(vault.read_note(path), str(path))
            again = self._locate([(path, current)], job)
            if len(again) != 1:
                raise NotegenError(f"{path}: the section of {job.name} changed while notegen worked; run it again")
            span = again[0][1]
            self._guard(path, current, span, job.name, force)
            now = self.clock()
            new = note.replace_section_parts(
                current,
                span,
                now,
                summary=section.summary,
                tag=section.tag if tag else None,
                figure=section.image if figure is not None else None,
                paper=job.paper,
                figure_doubt=section.figure_doubt,
            )
            if self.dry_run:
                after = note.parse_note(new, str(path))
                changed = next(s for s in after.sections if s.line == span.line)
                result.preview = new[changed.start : changed.end].rstrip() + "\n"
                return result
            if note.edited(current, span):
                backup = self._backup(path, current.text[span.start : span.end], job, now)
                self.status(f"{job.name}: the replaced section is kept in {backup}")
            if tag:
                result.written.extend(vault.ensure_tag_notes(self.settings, [section.tag], now))
            write_atomic(path, new.encode("utf-8"), self.settings.scratch)
        result.written.insert(0, path)
        result.usage = self.llm.usage if self.llm else None
        return result

    def _looked_up(self, job: _Job, result: DraftResult) -> _Job | None:
        found = self._with_metadata([job], result)
        return found[0] if found else None

    @staticmethod
    def _locate(notes: list[tuple[Path, note.Note]], job: _Job) -> list[tuple[Path, note.SectionSpan]]:
        """The paper's section in each note: by marker, else by title. Two in one note is for the person to
        sort out (`notegen check` lists them), not for notegen to guess."""
        found: list[tuple[Path, note.SectionSpan]] = []
        for path, parsed in notes:
            matches = parsed.find((job.paper, *job.keys), job.title)
            if len(matches) > 1:
                lines = ", ".join(str(m.line) for m in matches)
                raise UsageError(
                    f"{job.name}: {path.name} has {len(matches)} sections of this paper (lines {lines}); "
                    "keep one and rerun (notegen check lists such sections)"
                )
            found.extend((path, m) for m in matches)
        return found

    def _guard(self, path: Path, parsed: note.Note, span: note.SectionSpan, name: str, force: bool) -> None:
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

    def _backup(self, path: Path, old: str, job: _Job, now: int) -> Path:
        slug = re.sub(r"[^A-Za-z0-9._-]", "_", note.paper_key(job.paper))
        target = self.settings.state / "backups" / f"{path.stem}.{slug}.{now}.md"
        write_atomic(target, old.encode("utf-8"))
        return target


def _job(ref: Ref, bounded: Bounded | None = None) -> _Job:
    """The job for one paper. A local PDF is known by the arXiv ID stamped in it, else by its document /ID, else
    by its bytes; all of these and its title find it in a note."""
    if isinstance(ref, ArxivId):
        return _Job(ref, str(ref), f"arxiv:{ref}", keys=(ref.key,))
    name = str(ref.path)
    try:
        digest = hashlib.sha256(ref.path.read_bytes()).hexdigest()[:16]
    except OSError as err:
        raise PaperError(name, f"cannot read the file ({err.strerror}); check the path and its permissions") from err
    if bounded is None:
        raise AssertionError("a local PDF is read in a bounded worker")
    found = bounded.call(name, extract.identify, ref.path, name)
    keys = [f"pdf:{digest}"]
    if found.document_id:
        keys.insert(0, f"pdfid:{found.document_id}")
    if found.arxiv_id:
        keys.insert(0, f"arxiv:{found.arxiv_id}")
    return _Job(ref, name, keys[0], keys=tuple(note.paper_key(k) for k in keys), title=found.title or None)
