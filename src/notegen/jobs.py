"""Which paper each thing the person named means: a job per paper, its marker key and every other key that means
it, its arXiv metadata, and whether a note has it already."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from notegen import extract, note, paper_title
from notegen.bounded import Bounded
from notegen.errors import FatalError, PaperError
from notegen.fetch import Arxiv, Paper
from notegen.ids import ArxivId, LocalPdf, Ref


@dataclass(frozen=True)
class Job:
    """One paper to draft. `name` is how the person named it (for messages), `marker` the key notegen's marker
    gives it in the note, `keys` every key that means this paper."""

    ref: Ref
    name: str
    marker: str
    meta: Paper | None = None
    keys: tuple[str, ...] = ()
    title: str | None = None  # known once arXiv answered, or read from a local PDF

    def found_in(self, existing: note.Note | None) -> bool:
        return existing is not None and existing.has((self.marker, *self.keys), self.title)


def job_for(ref: Ref, bounded: Bounded | None = None) -> Job:
    """The job for one paper. A local PDF is known by the arXiv ID stamped in it, else by its document /ID, else
    by its bytes; all of these and its title find it in a note (it is read in `bounded`). A title that names no
    paper (a template's, a tool's, a file's) finds nothing: every paper made the same way carries it."""
    if isinstance(ref, ArxivId):
        return Job(ref, str(ref), f"arxiv:{ref}", keys=(ref.key,))
    name = str(ref.path)
    try:
        digest = hashlib.sha256(ref.path.read_bytes()).hexdigest()[:16]
    except OSError as err:
        raise extract.unreadable(name, err) from err
    if bounded is None:
        raise AssertionError("a local PDF is read in a bounded worker")
    found = bounded.call(name, extract.identify, ref.path, name)
    keys = [f"pdf:{digest}"]
    if found.document_id:
        keys.insert(0, f"pdfid:{found.document_id}")
    if found.arxiv_id:
        keys.insert(0, f"arxiv:{found.arxiv_id}")
    title = None if paper_title.is_placeholder(found.title) else found.title
    return Job(ref, name, keys[0], keys=tuple(note.paper_key(k) for k in keys), title=title)


def jobs_for(refs: list[Ref], bounded: Bounded, status: Callable[[str], None]) -> tuple[list[Job], list[PaperError]]:
    """A job per paper, and the papers that cannot be read; a paper given twice (a PDF and its ID, a PDF saved
    again with a highlight) once."""
    jobs: list[Job] = []
    failures: list[PaperError] = []
    for ref in refs:
        try:
            job = job_for(ref, bounded)
        except PaperError as err:
            failures.append(err)
            continue
        twin = next((j for j in jobs if set(j.keys) & set(job.keys)), None)
        if twin is not None:
            status(f"warning: {job.name}: the same paper as {twin.name}; drafting it once")
            continue
        jobs.append(job)
    return jobs, failures


def not_in(existing: note.Note | None, jobs: list[Job]) -> tuple[list[Job], list[str]]:
    """The jobs whose paper the note does not have yet (by marker, else by title: hand-written sections), and the
    names of those it has."""
    kept, skipped = [], []
    for job in jobs:
        if job.found_in(existing):
            skipped.append(job.name)
        else:
            kept.append(job)
    return kept, skipped


def with_metadata(arxiv: Arxiv, jobs: list[Job], status: Callable[[str], None]) -> tuple[list[Job], list[PaperError]]:
    """The jobs with arXiv's metadata, and the papers arXiv does not know. When arXiv cannot be asked at all, the
    local PDFs go on and every arXiv paper fails with the reason."""
    ids = [j.ref for j in jobs if isinstance(j.ref, ArxivId)]
    if not ids:
        return jobs, []
    status(f"looking up {len(ids)} paper{'s' if len(ids) > 1 else ''} on arXiv")
    try:
        lookup = arxiv.lookup(ids)
    except FatalError as err:
        if len(ids) == len(jobs):
            raise
        failures = [PaperError.of(j.name, err, where=False) for j in jobs if isinstance(j.ref, ArxivId)]
        return [j for j in jobs if not isinstance(j.ref, ArxivId)], failures
    kept: list[Job] = []
    failures = []
    for job in jobs:
        if not isinstance(job.ref, ArxivId):
            kept.append(job)
        elif job.ref.key in lookup.found:
            meta = lookup.found[job.ref.key]
            kept.append(replace(job, marker=f"arxiv:{meta.arxiv_id}", meta=meta, title=meta.title))
        else:
            failures.append(PaperError(job.name, "arXiv has no paper with this ID", hint="check it for typos"))
    return kept, failures


def local_name(job: Job) -> str:
    """A title for a paper nothing gave one: the PDF's file name, else how the person named it."""
    return job.ref.path.stem if isinstance(job.ref, LocalPdf) else job.name
