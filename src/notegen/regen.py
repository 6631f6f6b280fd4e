"""notegen regen: papers' sections regenerated in place: the summary (asking the model again), and the tag or
the figure when asked. Either the papers the person names, or every summary that waits (`--waiting`: the
placeholder `draft --no-llm` leaves, or a review line after an unusable answer). What the person wrote (an
edited summary, words added to a review line, a hand-written section) is only replaced with `force`, and kept
in a backup.

The papers are drafted side by side, `concurrency` at a time, in one Session and one pool of PDF workers; each
is written once it is done, in the order given, under the workspace's lock, into the note as it is then: several
papers of one note all end up in it, and an interrupted run keeps what it wrote."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from notegen import index, note, review, vault
from notegen.bounded import Bounded
from notegen.errors import FatalError, NoteError, NotegenError, PaperError, Problems, UsageError
from notegen.ids import ArxivId, LocalPdf, Ref, parse_arxiv_id
from notegen.jobs import Job, job_for, with_metadata
from notegen.pipeline import Pool
from notegen.result import NEEDS_REVIEW, SUMMARY_TO_CHECK, Drafted, DraftResult, Waiting
from notegen.session import Session
from notegen.settings import Settings
from notegen.step import Voice, draft_section
from notegen.storage import name_start, write_atomic

WITHOUT_KEY = "; regen asks the model, so it needs one"  # the Session's missing-key message ends so
WAITING = ("placeholder", "review")  # the kinds `notegen review` lists that a new summary clears
LOCAL = ("pdf:", "pdfid:")  # the markers of papers drafted from a local PDF (see jobs.job_for)
FORCE = "pass --force to replace it (the current text is kept in a backup)"

Found = tuple[Path, note.Note, note.SectionSpan]  # a paper's section: its note's file, the note, where it is


@dataclass(frozen=True)
class _Target:
    """One section to regenerate: the paper, the note it is in, and whether its tag line is replaced too."""

    job: Job
    path: Path
    tag: bool


def regen_papers(
    session: Session,
    refs: list[Ref],
    day: date | None,
    tag: bool = False,
    figure: int | None = None,
    force: bool = False,
) -> DraftResult:
    """Regenerate the sections of `refs` in the note of `day` (None: wherever each is in the vault); `tag` and
    `figure` (its number in the PDF; one paper) replace those too. A paper regen cannot place (in no note, in
    several) is bad input: a UsageError names each such paper, before arXiv is asked (or, for a paper only its
    arXiv title can find, before the model is). Any other paper that fails is named in the result, and the
    others go on."""
    result = DraftResult()
    with session.bounded(min(session.settings.concurrency, len(refs))) as bounded:
        jobs = _jobs(refs, bounded, result)
        placing = _Placing(session.settings, day, tag, figure is not None, force, result)
        placing.by_marker(jobs)  # before arXiv is asked
        looked_up, unknown = with_metadata(session.arxiv, placing.to_look_up(jobs), session.status)
        result.failures += unknown
        try:
            chosen = placing.by_title(jobs, {j.name: j for j in looked_up})  # before the model is asked
        except Problems as err:
            raise Problems([*result.failures, *err.problems]) from None  # every paper that is not run, named
        targets: list[_Target] = []
        seen: dict[tuple[Path, int], str] = {}
        for job, (path, parsed, span) in chosen:
            twin = seen.setdefault((path, span.start), job.name)
            if twin != job.name:
                session.status(f"warning: {job.name}: the same section as {twin}; regenerating it once")
            elif tag and span.tag is None:
                where = vault.place(session.settings, path, span.line)
                result.failures.append(PaperError(job.name, f"{where}: the section has no tag line (#tag) to replace"))
            else:
                targets.append(_Target(job, path, tag or _untagged(parsed, span)))
        _regenerate(session, targets, bounded, figure, force, result)
    result.usage = session.answers.usage if session.answers else None
    return result


class _Placing:
    """Where each paper's section is, and whether it may be replaced. A paper that cannot be placed (in no note,
    in several) is bad input: all such papers are named in one UsageError. A note notegen cannot edit safely is
    refused before anything is fetched (across the vault, only when a paper is not found in the others by its
    marker: it may be in that note)."""

    def __init__(self, settings: Settings, day: date | None, tag: bool, figure: bool, force: bool, result: DraftResult):
        self.settings, self.tag, self.figure, self.force, self.result = settings, tag, figure, force, result
        self.notes = _Notes(settings, day)
        self.where = f"the note of {day:%Y-%m-%d}" if day else "any note of the vault"
        self.placed: dict[str, Found] = {}
        self.refused: set[str] = set()

    def by_marker(self, jobs: list[Job]) -> None:
        """Place the papers the notes name (by marker, or by the title a local PDF gives)."""
        problems: list[NotegenError] = []
        for job in jobs:
            need = not isinstance(job.ref, ArxivId)
            found = _place(self.settings, self.notes.of(job), job, self.where, problems, need)
            if found is not None and self._refused(found, job):
                self.refused.add(job.name)
            elif found is not None:
                self.placed[job.name] = found
        if self.notes.unreadable and any(j.name not in self.placed and j.name not in self.refused for j in jobs):
            raise Problems(self.notes.unreadable)  # a paper not found may be in such a note
        if problems:
            raise Problems(problems)

    def to_look_up(self, jobs: list[Job]) -> list[Job]:
        return [j for j in jobs if isinstance(j.ref, ArxivId) and j.name not in self.refused]

    def by_title(self, jobs: list[Job], known: dict[str, Job]) -> list[tuple[Job, Found]]:
        """Every paper with its section, the rest placed by the title arXiv gives (a hand-written section)."""
        chosen: list[tuple[Job, Found]] = []
        problems: list[NotegenError] = []
        for job in jobs:
            if job.name in self.refused or (isinstance(job.ref, ArxivId) and job.name not in known):
                continue  # named in the result (arXiv does not know it, or the person's text stops it)
            job = known.get(job.name, job)
            if job.name not in self.placed:
                found = _place(self.settings, self.notes.of(job), job, self.where, problems, need=True)
                if found is None or self._refused(found, job):
                    continue
                self.placed[job.name] = found
            chosen.append((job, self.placed[job.name]))
        if problems:
            raise Problems(problems)
        return chosen

    def _refused(self, found: Found, job: Job) -> bool:
        return _refused(self.settings, found, job, self.force, self.result, self.tag, self.figure)


def waiting(settings: Settings, day: date | None, status: Callable[[str], None]) -> list[review.Item]:
    """What `notegen review` lists as a summary waiting (a placeholder, a review line), in the note of `day` or
    in the whole vault. A note that cannot be read is named and left out; with `day`, it is refused."""
    only = vault.note_path(settings, day) if day else None
    if only is not None:
        if not only.is_file():
            raise UsageError(
                f"the vault has no note of that day ({only.name})",
                subject=f"--date {day:%Y-%m-%d}",
                hint="check the date",
            )
        vault.parse_note_file(only)  # refused with its file and line
    items = []
    for item in review.pending(settings):
        if only is not None and not _same_file(item.path, only):
            continue
        if item.kind == "unreadable note":
            where = vault.place(settings, item.path, item.line)
            status(f"warning: {where}: {item.reason}; its summaries were left out")
        elif item.kind in WAITING:
            items.append(item)
    return items


def regen_waiting(session: Session, items: list[review.Item], tag: bool = False, force: bool = False) -> DraftResult:
    """Regenerate the section of each waiting item (see `waiting`), keeping its tag unless `tag`. A section the
    person wrote to (an edited summary, words added to the review line, a hand-written section) is skipped with
    a status line, unless `force`. A section drafted from a local PDF is regenerated from that PDF when it is in
    the workspace (it is known by the keys in its marker)."""
    result = DraftResult()
    sections = _sections_of(items)
    notes = len({path for path, _, _ in sections})
    plural = "summaries wait" if len(sections) > 1 else "summary waits"
    session.status(f"{len(sections)} {plural} in {notes} note{'s' * (notes > 1)}")
    with session.bounded(min(session.settings.concurrency, len(sections))) as bounded:
        by_id: list[tuple[Job, Found]] = []
        local: list[Found] = []
        for found in sections:
            path, parsed, span = found
            paper = span.paper or ""
            arxiv_id = parse_arxiv_id(paper.removeprefix("arxiv:")) if paper.startswith("arxiv:") else None
            name = str(arxiv_id) if arxiv_id else span.title
            reason = None if force else _edited(parsed, span, tag)
            if reason:
                where = vault.place(session.settings, path, span.line)
                session.status(f"{name}: {reason.format(where=where)}; skipped it (pass --force to replace it)")
            elif arxiv_id is not None:
                by_id.append((job_for(arxiv_id), found))
            elif paper.startswith(LOCAL):
                local.append(found)
            else:
                where = vault.place(session.settings, path, span.line)
                fix = "pass its arXiv ID or PDF (notegen regen <ID or PDF> --force)"
                result.failures.append(
                    PaperError(name, f"{where} has no notegen marker that names the paper", hint=fix)
                )
        asked = list({j.name: j for j, _ in by_id}.values())  # a paper waiting in two notes is looked up once
        looked_up, unknown = with_metadata(session.arxiv, asked, session.status)
        result.failures += unknown
        known = {j.name: j for j in looked_up}
        chosen = [(found, known[job.name]) for job, found in by_id if job.name in known]
        chosen.extend(_local_jobs(session, local, bounded, result))
        chosen = [(found, job) for found, job in chosen if _alone(found, job, result)]
        order = {(path, span.start): i for i, (path, _, span) in enumerate(sections)}
        chosen.sort(key=lambda pair: order[pair[0][0], pair[0][2].start])  # the notes' order, top to bottom
        targets = [_Target(job, path, tag or _untagged(parsed, span)) for (path, parsed, span), job in chosen]
        _regenerate(session, targets, bounded, None, force, result)
    result.usage = session.answers.usage if session.answers else None
    return result


# -- which section, and may it be replaced ------------------------------------------------------------------


def _jobs(refs: list[Ref], bounded: Bounded, result: DraftResult) -> list[Job]:
    jobs = []
    for ref in refs:
        try:
            jobs.append(job_for(ref, bounded))
        except PaperError as err:
            result.failures.append(err)
    return jobs


class _Notes:
    """The notes to look for papers in: the note of `day`, or (None) the vault's daily notes, of which only those
    the vault's index names for a paper are read. The note of the day is refused at once (NoteError) when notegen
    cannot edit it safely; across the vault such a note is set aside and named in `unreadable`, so that one
    broken note does not stop the papers found in the others."""

    def __init__(self, settings: Settings, day: date | None) -> None:
        self.settings = settings
        self.unreadable: list[NotegenError] = []
        self._day: list[tuple[Path, note.Note]] | None = None
        if day is not None:
            path = vault.note_path(settings, day)
            self._day = [(path, vault.parse_note_file(path)[0])] if path.is_file() else []
            return
        with index.opened(settings) as found:
            self.unreadable = [NoteError(str(path), reason, line) for path, line, reason in found.unreadable()]

    def of(self, job: Job) -> list[tuple[Path, note.Note]]:
        """The notes that may hold the paper of `job`, read."""
        if self._day is not None:
            return self._day
        with index.opened(self.settings) as found:
            paths = found.with_paper((job.marker, *job.keys), job.title)
        notes: list[tuple[Path, note.Note]] = []
        for path in paths:
            try:
                notes.append((path, vault.parse_note_file(path)[0]))
            except NoteError as err:  # changed since the index was brought up to date
                self.unreadable += [err] if str(err) not in map(str, self.unreadable) else []
            except OSError:
                continue  # gone
        return notes


def _place(
    settings: Settings,
    notes: list[tuple[Path, note.Note]],
    job: Job,
    where: str,
    problems: list[NotegenError],
    need: bool,
) -> Found | None:
    """The paper's one section; None when there is none (a problem when `need`) or several (a problem)."""
    try:
        found = _locate(notes, job)
    except PaperError as err:
        problems.append(err)
        return None
    if not found and need:
        problems.append(
            UsageError(f"not in {where}", subject=job.name, hint="draft it first, or pass the --date of its note")
        )
    if len(found) > 1:
        names = ", ".join(vault.place(settings, path, span.line) for path, _, span in found)
        problems.append(
            UsageError("in several notes", subject=job.name, detail=names, hint="pass --date to choose one")
        )
    return found[0] if len(found) == 1 else None


def _locate(notes: list[tuple[Path, note.Note]], job: Job) -> list[Found]:
    """The paper's section in each note: by marker, else by title. Two in one note is for the person to sort out
    (`notegen check` lists them), not for notegen to guess."""
    found: list[Found] = []
    for path, parsed in notes:
        matches = parsed.find((job.marker, *job.keys), job.title)
        if len(matches) > 1:
            lines = ", ".join(str(m.line) for m in matches)
            raise PaperError(
                job.name,
                f"{path.name} has {len(matches)} sections of this paper",
                detail=f"lines {lines}",
                hint="keep one and rerun (notegen check lists such sections)",
            )
        found.extend((path, parsed, m) for m in matches)
    return found


def _alone(found: Found, job: Job, result: DraftResult) -> bool:
    """Whether the paper has only this section in its note; two are named (once) in the result, not guessed."""
    path, parsed, _ = found
    try:
        _locate([(path, parsed)], job)
    except PaperError as err:
        if str(err) not in map(str, result.failures):
            result.failures.append(err)
        return False
    return True


def _refused(
    settings: Settings,
    found: Found,
    job: Job,
    force: bool,
    result: DraftResult,
    tag: bool = False,
    figure: bool = False,
) -> bool:
    """Whether what the person wrote stops this paper (then named in the result)."""
    path, parsed, span = found
    vault.check_writable(path)  # a note the person made read-only stops the run, before anything is asked
    reason = None if force else _edited(parsed, span, tag, figure)
    if reason:
        where = vault.place(settings, path, span.line)
        result.failures.append(PaperError(job.name, reason.format(where=where), hint=FORCE))
    return reason is not None


def _edited(parsed: note.Note, span: note.SectionSpan, tag: bool = False, figure: bool = False) -> str | None:
    """What the person did to a part regen would replace, as a sentence with {where} for the section's place;
    None when all of it is notegen's. Lines the person added around notegen's stay theirs and stop nothing;
    the tag line and the image line count only when they are to be replaced."""
    if note.edited(parsed, span):
        if span.written is None:
            return "the summary in {where} was written by hand"
        if not note.review_is_notegens(parsed, span):
            return "the summary in {where} has words added to notegen's review line"
        return "the summary in {where} was edited since notegen wrote it"
    if tag and note.tag_line_edited(parsed, span):
        return "the tag line in {where} has the person's own tags"
    if figure and not note.figure_is_notegens(parsed, span):
        return "the figure in {where} is not one notegen put there"
    return None


def _untagged(parsed: note.Note, span: note.SectionSpan) -> bool:
    """Whether the tag line is still the stand-in notegen writes when the model gave no tag (`#untagged`): it
    waits for a tag as the placeholder waits for a summary, so the model's tag replaces it."""
    if span.tag is None:
        return False
    return parsed.text[span.tag[0] : span.tag[1]].strip() == f"#{note.UNTAGGED}"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a == b


def _sections_of(items: list[review.Item]) -> list[Found]:
    """The section each item is in, once per section, in the items' order (a note's sections top to bottom)."""
    notes: dict[Path, note.Note] = {}
    found: dict[tuple[Path, int], Found] = {}
    for item in items:
        if item.path not in notes:
            notes[item.path] = vault.parse_note_file(item.path)[0]
        parsed = notes[item.path]
        above = [s for s in parsed.sections if s.line <= item.line]
        if above:  # (always: review lists lines inside sections)
            found.setdefault((item.path, above[-1].start), (item.path, parsed, above[-1]))
    return list(found.values())


# -- local PDFs ---------------------------------------------------------------------------------------------


def _local_jobs(
    session: Session, sections: list[Found], bounded: Bounded, result: DraftResult
) -> list[tuple[Found, Job]]:
    """Sections drafted from a local PDF, each with the job of its PDF: the one their marker names (by its bytes'
    hash or its document ID), looked for in the workspace. A section whose PDF is not there fails with the fix."""
    if not sections:
        return []
    wanted = {note.paper_key(span.paper or "") for _, _, span in sections}
    session.status(f"looking for {len(wanted)} local PDF{'s' * (len(wanted) > 1)} in the workspace")
    pdfs = _pdfs_with(session.settings.workspace, wanted, bounded)
    jobs = []
    for found in sections:
        path, _, span = found
        job = pdfs.get(note.paper_key(span.paper or ""))
        if job is None:
            where = vault.place(session.settings, path, span.line)
            why = f"{where} was drafted from a local PDF that is not in the workspace"
            result.failures.append(PaperError(span.title, why, hint="pass the PDF: notegen regen <path to the PDF>"))
        else:
            jobs.append((found, job))
    return jobs


def _pdfs_with(folder: Path, keys: set[str], bounded: Bounded) -> dict[str, Job]:
    """The job of the PDF under `folder` each key means, for the keys a PDF there has."""
    found: dict[str, Job] = {}
    for pdf in _pdf_files(folder):
        if keys <= found.keys():
            break
        try:
            job = job_for(LocalPdf(pdf), bounded)
        except FatalError:
            raise
        except NotegenError:
            continue  # unreadable, broken: not the one
        for key in job.keys:
            if key in keys:
                found.setdefault(key, job)
    return found


def _pdf_files(folder: Path) -> Iterator[Path]:
    """The PDFs under `folder`, but not in hidden folders (.notegen's caches, .git) or node_modules."""
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            if name.lower().endswith(".pdf"):
                yield Path(top) / name


# -- drafting and writing ------------------------------------------------------------------------------------


def _regenerate(
    session: Session, targets: list[_Target], bounded: Bounded, figure: int | None, force: bool, result: DraftResult
) -> None:
    """Draft every target's section, `concurrency` at a time, and write each, in order, once it is done. A
    FatalError (a wrong key, say) stops the rest; what was written stays."""
    if not targets:
        return
    voice = Voice.soon(session.settings)  # read while the PDFs are
    with Pool(session, len(targets)) as pool:
        # Regenerating means asking the model again, not reading its last answer.
        futures = [pool.submit(draft_section, session, t.job, voice, bounded, figure or 1, True) for t in targets]
        for target, future in zip(targets, futures, strict=True):
            _settle(session, target, future.result(), figure, force, result)


def _settle(
    session: Session,
    target: _Target,
    outcome: Drafted | PaperError,
    figure: int | None,
    force: bool,
    result: DraftResult,
) -> None:
    """Write one paper's new section, or name why not in the result."""
    job, path = target.job, target.path
    if isinstance(outcome, PaperError):
        result.failures.append(outcome)
        return
    section = outcome.section
    if section.unanswered:
        kept = f"the summary in {path.name} was left as it was"
        result.failures.append(PaperError(job.name, NEEDS_REVIEW, detail=section.review_detail or "", hint=kept))
        return
    if section.review:  # a usable summary with a doubt: written with its review line
        result.waiting.append(Waiting(job.name, SUMMARY_TO_CHECK, section.review_detail or ""))
    if figure is not None and section.image is None:
        result.failures.append(PaperError(job.name, f"no figure {figure}", detail=section.missing_figure or ""))
        return
    try:
        written = _write(session, target, section, figure, force, result)
    except FatalError:
        raise
    except NotegenError as err:
        result.failures.append(err if isinstance(err, PaperError) else PaperError.of(job.name, err))
        written = []
    if outcome.stored is not None:  # the new figure's image, whether or not the note took it
        written.insert(min(1, len(written)), outcome.stored)
    result.written.extend([p for p in dict.fromkeys(written) if p not in result.written])


def _write(
    session: Session, target: _Target, section: note.Section, figure: int | None, force: bool, result: DraftResult
) -> list[Path]:
    """The new section into the note as it is now, under the lock; the files written, the note first. With a
    dry run, the section goes to the result's preview instead."""
    settings, job, path = session.settings, target.job, target.path
    with session.writing():
        current, encoding = vault.parse_note_file(path)
        again = _locate([(path, current)], job)
        if len(again) != 1:
            shown = vault.place(settings, path, 1).removesuffix(":1")
            raise PaperError(job.name, f"its section in {shown} changed while notegen worked", hint="run it again")
        span = again[0][2]
        reason = _edited(current, span, target.tag, figure is not None)
        if reason and not force:
            raise PaperError(job.name, reason.format(where=vault.place(settings, path, span.line)), hint=FORCE)
        now = session.clock()
        new = note.replace_section_parts(
            current,
            span,
            now,
            summary=section.summary,
            review=section.review,
            tag=section.tag if target.tag else None,
            figure=section.image if figure is not None else None,
            paper=job.marker,
            figure_doubt=section.figure_doubt,
        )
        if session.dry_run:
            after = note.parse_note(new, str(path))
            changed = next(s for s in after.sections if s.line == span.line)
            shown = new[changed.start : changed.end].rstrip() + "\n"
            result.preview += ("\n" if result.preview else "") + shown
            return []
        if reason:
            backup = _backup(session, path, current.text[span.start : span.end], job, now)
            session.status(f"{job.name}: the replaced section is kept in {backup}")
        tagged = target.tag and span.tag is not None
        tag_notes = vault.ensure_tag_notes(settings, [section.tag], now) if tagged else []
        vault.write_note(path, new, encoding, settings.scratch)
    return [path, *tag_notes]


def _backup(session: Session, path: Path, old: str, job: Job, now: int) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", note.paper_key(job.marker))[:80]  # a file name every system takes
    target = session.settings.state / "backups" / f"{name_start(path.stem, 150)}.{slug}.{now}.md"
    write_atomic(target, old.encode("utf-8"))
    return target
