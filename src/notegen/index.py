"""The vault's index: what the commands need from every note, kept in SQLite under `.notegen/` and brought up to
date for the notes that changed since the last run, so that a command's cost grows with what changed, not with
the vault.

Kept per note: its frontmatter id, its sections (paper key, title keys), its hashtags, the person's own summaries
(style examples, the length they write), what waits for review, and what `notegen check` finds in the note alone.
The rules across notes (a tag only one note uses, two notes with one id, a hashtag without its note, an image that
is gone) are applied when asked, over the kept facts and the files on disk.

It is a cache; no answer depends on it being there. A note whose size, times and file id are the recorded ones is
taken as recorded, unless it changed within a few seconds of being read (a file system's clock may not tell two
edits in one tick apart): then its content hash decides. A database that is missing, corrupt, written by another
version of notegen, on a read-only disk or locked by another run for too long is rebuilt or bypassed (the notes
are read). A run killed while writing leaves SQLite's journal, which the next run rolls back; facts are written a
note at a time, each note whole.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from notegen import lint, note, summarize, textfile
from notegen.settings import Settings

log = logging.getLogger(__name__)

FORMAT = "1"  # the tables' layout; the code that makes the facts is fingerprinted as well (see _fingerprint)
RACY_NS = 3_000_000_000  # a note changed this close to being read is checked by its content (FAT keeps 2 s)
EXAMPLE_CHARS = 700  # of a summary kept as a style example
BATCH = 200  # notes written per transaction: a long first build keeps its progress if killed
WINDOW = 2000  # notes read before their facts are made and written (what a first run holds in memory)
PARALLEL_FROM = 400  # notes read at once for which processes are started (each takes a third of a second)
CHUNK = 100  # notes a process is given at a time
LOCK_WAIT = 10.0  # seconds to wait for another run's write; then this run keeps its index in memory
_SAID = re.compile(rf"{note.SAID}(.*)$", re.DOTALL)

_TABLES = {
    # name: columns after the note's name
    "sections": "ord INTEGER, line INTEGER, paper_key TEXT, title_key TEXT, source_key TEXT",
    "tags": "ord INTEGER, lower TEXT, spelling TEXT, uses INTEGER",  # hashtags a section can carry, per note
    "own": "ord INTEGER, text TEXT, chars INTEGER, least INTEGER, length INTEGER",  # the person's summaries
    "items": "line INTEGER, kind TEXT, title TEXT, paper TEXT, reason TEXT",  # review lines and the like
    "tag_lines": "line INTEGER, lower TEXT, by_notegen INTEGER, title TEXT, paper TEXT",  # sections' tag lines
    "problems": "ord INTEGER, line INTEGER, message TEXT",  # what check finds in the note alone
    "hashtags": "ord INTEGER, line INTEGER, tag TEXT, tag_note TEXT",  # every hashtag, and its note (lower case)
    "images": "ord INTEGER, line INTEGER, url TEXT, remote INTEGER, folder TEXT, file TEXT",  # folder: of the vault
}
_SCHEMA = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE notes (name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER, "
    "hash BLOB, checked_ns INTEGER, daily INTEGER, blank INTEGER, note_id TEXT, id_line INTEGER, "
    "error_line INTEGER, error TEXT, name_problem TEXT)",
    *(f"CREATE TABLE {table} (name TEXT NOT NULL, {columns})" for table, columns in _TABLES.items()),
    *(f"CREATE INDEX {table}_name ON {table}(name)" for table in _TABLES),
    "CREATE INDEX sections_paper ON sections(paper_key)",
    "CREATE INDEX sections_title ON sections(title_key)",
    "CREATE INDEX sections_source ON sections(source_key)",
    "CREATE INDEX images_file ON images(folder, file)",
    "CREATE INDEX hashtags_note ON hashtags(tag_note)",
]


@dataclass
class Facts:
    """What one version of one note gives the index (rows without the note's name)."""

    daily: bool
    note_id: str | None = None
    id_line: int = 1
    error: tuple[int, str] | None = None  # (line, reason) why notegen cannot edit the note
    blank: bool = False  # frontmatter and nothing else (a tag note as notegen writes it)
    rows: dict[str, list[tuple[object, ...]]] = field(default_factory=lambda: {t: [] for t in _TABLES})


def is_daily(name: str) -> bool:
    """Whether a note can hold paper sections (not the root note, a tag note or a schema)."""
    return not name.startswith((f"{note.ROOT}.", note.TAG_NOTES))


# Notes parsed by notegen for editing (vault.parse_note_file), by file and content: a run reads a day's note to
# plan, for the index, and again under the lock before writing, and a note of years takes seconds to parse.
_PARSED: dict[tuple[str, bytes], tuple[note.Note, textfile.Encoding]] = {}
_PARSED_MAX = 1024
_PARSED_LOCK = threading.Lock()  # papers are drafted side by side


def digest_of(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def remembered(path: Path, digest: bytes) -> tuple[note.Note, textfile.Encoding] | None:
    with _PARSED_LOCK:
        return _PARSED.get((str(path), digest))


def remember(path: Path, digest: bytes, parsed: tuple[note.Note, textfile.Encoding]) -> None:
    with _PARSED_LOCK:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[str(path), digest] = parsed


def facts_of(name: str, path: Path, data: bytes, digest: bytes) -> Facts:
    """Everything the index keeps about one note, from its bytes: one decode and one parse (none when the run
    parsed these bytes already)."""
    facts = Facts(is_daily(name))
    known = remembered(path, digest)
    try:
        text, encoding = (known[0].text, known[1]) if known else textfile.decode(data, str(path))
    except textfile.NotText as err:
        facts.error = (err.line or 1, err.what)
        facts.rows["problems"].append((0, err.line, err.what))
        facts.note_id = note.note_id(data.decode("utf-8", errors="replace"))  # its id still counts, if it has one
        return facts
    head, problems = (known[0].head, []) if known else note.head_problems(text)
    body = known[0] if known else note.parse_body(text, head) if head is not None else None
    checked, seen = lint.lint_read(head, list(problems), body)
    if encoding.codec != "utf-8":
        checked.insert(0, lint.not_utf8(text, encoding))
    facts.rows["problems"] = [(n, line, message) for n, (line, message) in enumerate(checked)]
    facts.rows["hashtags"] = [
        (n, line, tag, note.tag_note_name(tag).lower()) for n, (line, tag) in enumerate(seen.hashtags)
    ]
    facts.rows["images"] = [(n, line, url, *_image_file(url)) for n, (line, url) in enumerate(seen.images)]
    facts.note_id, facts.id_line = seen.note_id, seen.id_line
    if problems:
        line, message = problems[0]
        facts.error = (line, f"{message}; fix it by hand")
        return facts
    assert head is not None and body is not None
    facts.blank = not text[head.body :].strip()
    if facts.daily:
        _section_facts(body, facts.rows, seen.hashtags)
    return facts


def _image_file(url: str) -> tuple[bool, str, str]:
    """(remote, folder, file name) of an image link: Dendron's preview takes image paths as relative to the vault,
    and the parser gives them %-escaped."""
    folder, name = os.path.split(unquote(url))
    return bool(re.match(r"^[a-z]+://", url)), folder, name


def _section_facts(
    parsed: note.Note, rows: dict[str, list[tuple[object, ...]]], hashtags: list[tuple[int, str]]
) -> None:
    uses: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for _, tag in hashtags:
        if note.TAG.fullmatch(tag):
            uses[tag.lower()] = uses.get(tag.lower(), 0) + 1
            spelling.setdefault(tag.lower(), tag)
    rows["tags"] = [(n, lower, spelling[lower], count) for n, (lower, count) in enumerate(uses.items())]
    for n, section in enumerate(parsed.sections):
        title_key = note.normal_title(section.title) or None
        source_key = note.normal_title(section.source_title) or None
        rows["sections"].append((n, section.line, section.key, title_key, source_key))
        summary = note.summary_text(parsed, section)
        chars, share = summarize.cjk_share(summary)
        if chars >= 20 and share >= 0.5 and note.edited(parsed, section):
            measured = summarize.measure(summary)
            rows["own"].append((n, summary[:EXAMPLE_CHARS], measured.chars, measured.least, measured.length))
        rows["items"].extend(_waiting(parsed, section))
        if section.tag is not None:
            tag = parsed.text[section.tag[0] + 1 : section.tag[1]].strip().lower()
            line = parsed.line(section.tag[0])
            rows["tag_lines"].append((line, tag, section.paper is not None, section.title, section.paper))


def _waiting(parsed: note.Note, section: note.SectionSpan) -> list[tuple[object, ...]]:
    """What in a section waits for the person: (line, kind, title, paper, what the line says)."""
    found: list[tuple[object, ...]] = []

    def add(span: note.Span, kind: str, reason: str) -> None:
        found.append((parsed.line(span[0]), kind, section.title, section.paper, reason))

    def said(span: note.Span) -> str:
        text = parsed.text[span[0] : span[1]]
        m = _SAID.search(text.split("\n", 1)[0].rstrip("\r"))
        return m.group(1).strip() if m else text.strip()

    if section.figure is not None and section.missing_figure:
        add(section.figure, "missing figure", said(section.figure))
    if section.doubt is not None:
        add(section.doubt, "figure to check", said(section.doubt))
    if section.review is not None:
        add(section.review, "review", said(section.review))
    if note.summary_text(parsed, section).startswith(note.TO_WRITE):
        add(section.summary, "placeholder", "the summary is still notegen's placeholder; write it, or run regen")
    return found


@dataclass(frozen=True)
class Listed:
    """A file of the vault as the directory lists it."""

    name: str
    path: str
    identity: tuple[int, int, int, int]  # size, mtime and ctime in ns, file id (0 on Windows: the others decide)

    @property
    def mtime_ns(self) -> int:
        return self.identity[1]


class Index:
    """The vault's facts, up to date as of `open()`; query methods read them."""

    def __init__(self, db: sqlite3.Connection, vault_dir: Path, listed: list[Listed], failed: dict[str, str]) -> None:
        self.db, self.vault_dir, self.listed, self.failed = db, vault_dir, listed, failed

    def path(self, name: str) -> Path:
        return self.vault_dir / name

    def note_ids(self) -> dict[str, list[Path]]:
        """Every note's frontmatter id, with the notes that carry it (more than one is a clash)."""
        ids: dict[str, list[Path]] = {}
        for name, note_id in self.db.execute("SELECT name, note_id FROM notes WHERE note_id IS NOT NULL ORDER BY name"):
            ids.setdefault(note_id, []).append(self.path(name))
        return ids

    def vocabulary(self) -> list[str]:
        """The hashtags of the daily notes notegen can read, most used first (ties by name), each spelt as it
        first appears in the notes' order."""
        counts: dict[str, int] = {}
        spelling: dict[str, str] = {}
        query = "SELECT t.lower, t.spelling, t.uses FROM tags t ORDER BY t.name, t.ord"
        for lower, spelt, uses in self.db.execute(query):
            counts[lower] = counts.get(lower, 0) + uses
            spelling.setdefault(lower, spelt)
        return [spelling[t] for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def examples(self, limit: int) -> list[str]:
        """The start of the person's newest own summaries (see lengths), newest notes first (by name), then in
        their note's order."""
        query = "SELECT text FROM own ORDER BY name DESC, ord LIMIT ?"
        return [text for (text,) in self.db.execute(query, (limit,))]

    def lengths(self) -> list[summarize.Measured]:
        """The lengths of the person's own summaries in the daily notes: hand-written sections, or notegen's that
        the person edited (notegen's drafts are not the person's voice, and leaving them out keeps a long
        backfill's prompts, and so its cache, stable). Only mostly-Chinese ones count."""
        return [summarize.Measured(*row) for row in self.db.execute("SELECT chars, least, length FROM own")]

    def waiting(self) -> list[tuple[Path, int, str, str, str | None, str]]:
        """(path, line, kind, title, paper, reason) of every item in the daily notes, in no particular order."""
        rows = self.db.execute("SELECT name, line, kind, title, paper, reason FROM items ORDER BY name, rowid")
        return [(self.path(name), *rest) for name, *rest in rows]

    def tags_of_one_note(self) -> list[tuple[Path, int, str, str, str | None]]:
        """Tag lines of tags that only one note's sections carry, all of them written by notegen: (path, line of
        the first such line, tag, title, paper)."""
        query = """
            SELECT name, MIN(line), lower, title, paper FROM tag_lines WHERE lower IN (
                SELECT lower FROM tag_lines GROUP BY lower
                HAVING COUNT(DISTINCT name) = 1 AND MIN(by_notegen) = 1
            ) GROUP BY lower"""
        return [(self.path(name), line, tag, title, paper) for name, line, tag, title, paper in self.db.execute(query)]

    def blank(self, name: str) -> bool:
        """Whether the vault has the note `name` (in any case), with nothing but its frontmatter."""
        query = "SELECT blank FROM notes WHERE lower(name) = ? ORDER BY name LIMIT 1"
        row = self.db.execute(query, (name.lower(),)).fetchone()
        return bool(row and row[0])

    def unreadable(self) -> list[tuple[Path, int, str]]:
        """(path, line, reason) of each daily note notegen cannot edit safely, or cannot read at all."""
        rows = self.db.execute("SELECT name, error_line, error FROM notes WHERE daily AND error IS NOT NULL")
        found = [(self.path(name), line, reason) for name, line, reason in rows]
        found += [(self.path(name), 1, reason) for name, reason in self.failed.items() if is_daily(name)]
        return sorted(found, key=lambda item: item[0].name)

    def with_paper(self, keys: Iterable[str], title: str | None) -> list[Path]:
        """The daily notes that may hold the paper: a section with its marker, or with its title. (A superset:
        the caller decides by the note itself, as note.Note.find does.)"""
        wanted = sorted({note.paper_key(k) for k in keys})
        normal = note.normal_title(title) if title else ""
        marks = ",".join("?" * len(wanted))
        query = f"SELECT DISTINCT name FROM sections WHERE paper_key IN ({marks})"
        args: list[str] = list(wanted)
        if normal:
            query += " OR title_key = ? OR source_key = ?"
            args += [normal, normal]
        return [self.path(name) for (name,) in sorted(self.db.execute(query, args))]

    def alone(self) -> list[tuple[str, int, str]]:
        """(note, line, message) of what check finds in each note alone, in the notes' order."""
        return list(self.db.execute("SELECT name, line, message FROM problems ORDER BY name, ord"))

    def hashtags_without(self, notes: Iterable[str]) -> list[tuple[str, int, str]]:
        """(note, line, tag) of each hashtag whose tag note (note.tag_note_name, in any case) is not among
        `notes`."""
        present = {n.lower() for n in notes}
        used = [name for (name,) in self.db.execute("SELECT DISTINCT tag_note FROM hashtags")]
        gone = [(name,) for name in used if name not in present]
        if not gone:
            return []
        self._fill("gone_tags (name TEXT PRIMARY KEY)", gone)
        query = """SELECT name, line, tag FROM hashtags
                   WHERE tag_note IN (SELECT name FROM temp.gone_tags) ORDER BY name, ord"""
        return list(self.db.execute(query))

    def images_missing(self) -> list[tuple[str, int, str]]:
        """(note, line, url) of each image a note links on this computer that is not there. Each folder the
        links point into is listed once (a vault of years links tens of thousands of images from one); a link
        the listing lacks is looked up, since a case-insensitive file system finds `Figure.png` as `figure.png`."""
        listing: dict[str, set[str]] = {}
        gone: list[tuple[str, str]] = []
        for folder, file in self.db.execute("SELECT DISTINCT folder, file FROM images WHERE NOT remote").fetchall():
            if folder not in listing:
                try:
                    listing[folder] = set(os.listdir(os.path.join(self.vault_dir, folder)))
                except OSError:
                    listing[folder] = set()
            if file not in listing[folder]:
                gone.append((folder, file))
        if not gone:
            return []
        self._fill("gone (folder TEXT, file TEXT, PRIMARY KEY (folder, file))", gone)
        query = """SELECT name, line, url FROM images WHERE NOT remote AND (folder, file) IN
                   (SELECT folder, file FROM temp.gone) ORDER BY name, ord"""
        exists: dict[str, bool] = {}
        found = []
        for name, line, url in self.db.execute(query).fetchall():
            if url not in exists:
                exists[url] = os.path.exists(os.path.join(self.vault_dir, unquote(url)))
            if not exists[url]:
                found.append((name, line, url))
        return found

    def _fill(self, table: str, rows: Sequence[tuple[str, ...]]) -> None:
        """A temporary table of this connection, with `rows` (in one transaction: one per row is slow)."""
        name = table.split(" ", 1)[0]
        self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table}")
        self.db.execute("BEGIN")
        try:
            self.db.execute(f"DELETE FROM temp.{name}")
            if rows:
                marks = ",".join("?" * len(rows[0]))
                self.db.executemany(f"INSERT OR IGNORE INTO temp.{name} VALUES ({marks})", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def name_problems(self) -> dict[str, str | None]:
        """Why each note's file name is one Dendron rejects or a system cannot hold (lint.check_name), or None."""
        return dict(self.db.execute("SELECT name, name_problem FROM notes").fetchall())

    def id_lines(self) -> dict[str, tuple[str, int]]:
        """Each note's id and the line it is on."""
        rows = self.db.execute("SELECT name, note_id, id_line FROM notes WHERE note_id IS NOT NULL")
        return {name: (note_id, line) for name, note_id, line in rows}


def database(settings: Settings) -> Path:
    """The index of the vault's notes: one per vault folder, under the state folder (which may serve several)."""
    where = str(settings.vault_dir.absolute())
    digest = hashlib.blake2b(where.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return settings.state / f"index-{digest}.sqlite3"


@contextmanager
def opened(settings: Settings) -> Iterator[Index]:
    """The vault's index, brought up to date with the notes on disk."""
    vault_dir = settings.vault_dir
    listed, failed = _listing(vault_dir)
    db = _connect(database(settings))
    started = time.monotonic()
    try:
        try:
            _update(db, vault_dir, listed, failed)
            log.debug("index: %d notes up to date in %.2f s", len(listed), time.monotonic() - started)
        except sqlite3.Error as err:  # locked for too long, disk full, read-only, corrupt: in memory this time
            log.debug("index: %s; kept in memory for this run", err)
            db = _in_memory(db)
            _update(db, vault_dir, listed, failed)
        yield Index(db, vault_dir, listed, failed)
    finally:
        db.close()


def _listing(vault_dir: Path) -> tuple[list[Listed], dict[str, str]]:
    """The vault's notes (files named *.md; folders so named are not notes) and those that cannot be looked at."""
    listed: list[Listed] = []
    failed: dict[str, str] = {}
    try:
        entries = list(os.scandir(vault_dir))
    except OSError:
        return listed, failed
    for entry in entries:
        if not entry.name.endswith(".md"):
            continue
        try:
            if not entry.is_file():
                continue
            found = entry.stat()
        except OSError as err:
            failed[entry.name] = f"cannot be read ({err.strerror or err})"
            continue
        identity = (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
        listed.append(Listed(entry.name, entry.path, identity))
    listed.sort(key=lambda item: item.name)
    return listed, failed


def _connect(path: Path) -> sqlite3.Connection:
    """The index database at `path`, with its tables; a file that is not one (or another notegen's) is started
    afresh, and a folder notegen cannot write to gives an index in memory, built for this run only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as err:
        log.debug("index: cannot open %s (%s); reading the notes without it", path, err)
        return _memory()
    try:
        _prepare(db)
        return db
    except sqlite3.DatabaseError as err:
        db.close()
        log.debug("index: %s is not usable (%s); starting it afresh", path, err)
        for stale in (path, path.with_name(path.name + "-journal")):
            with suppress(OSError):
                stale.unlink()
    try:
        db = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None, check_same_thread=False)
        _prepare(db)
        return db
    except sqlite3.Error as err:
        log.debug("index: cannot start %s afresh (%s); reading the notes without it", path, err)
        return _memory()


def _in_memory(db: sqlite3.Connection) -> sqlite3.Connection:
    """A copy in memory of the index `db` (closed), or an empty one when it cannot be copied."""
    copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        db.backup(copy)
        _prepare(copy)
    except sqlite3.Error:
        copy.close()
        copy = _memory()
    finally:
        db.close()
    return copy


def _memory() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _prepare(db)
    return db


def _prepare(db: sqlite3.Connection) -> None:
    """Make the tables, or make them again when they were written by other code than this."""
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA temp_store = MEMORY")  # the tables a query fills for itself (check's listing)
    want = _fingerprint()
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.OperationalError as err:
        if "no such table" not in str(err):
            raise
        row = None
    if row is not None and row[0] == want:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            db.execute(f'DROP TABLE IF EXISTS "{table}"')
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('format', ?)", (want,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


_FACT_CODE = ("index.py", "note.py", "titles.py", "lint.py", "summarize.py", "textfile.py", "errors.py")


def _fingerprint() -> str:
    """The version of the facts: the tables' layout and the code that makes them (a new notegen, or a changed
    rule, rebuilds the index rather than trusting facts made by other rules)."""
    from notegen import __version__

    digest = hashlib.blake2b(f"{FORMAT}:{__version__}".encode(), digest_size=16)
    here = Path(__file__).parent
    for name in _FACT_CODE:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def _update(db: sqlite3.Connection, vault_dir: Path, listed: list[Listed], failed: dict[str, str]) -> None:
    """Bring the index up to date with `listed`: notes gone are dropped, notes that changed are read again."""
    query = "SELECT name, size, mtime_ns, ctime_ns, ino, hash, checked_ns FROM notes"
    known = {row[0]: row[1:] for row in db.execute(query)}
    present = {item.name for item in listed}
    gone = [name for name in known if name not in present]
    read: list[tuple[Listed, int, bytes, bytes | None]] = []  # (file, when read, hash, its bytes or None: unchanged)
    for item in listed:
        row = known.get(item.name)
        if row is not None and row[:4] == item.identity and item.mtime_ns + RACY_NS < row[5]:
            continue  # as recorded
        read_at = time.time_ns()
        try:
            with open(item.path, "rb") as file:
                data = file.read()
        except OSError as err:
            failed[item.name] = f"cannot be read ({err.strerror or err})"
            gone.append(item.name)
            continue
        digest = digest_of(data)
        read.append((item, read_at, digest, None if row is not None and row[4] == digest else data))
        if len(read) >= WINDOW:
            _settle(db, read, [])
            read = []
    if read or gone:
        _settle(db, read, gone)


def _settle(db: sqlite3.Connection, read: list[tuple[Listed, int, bytes, bytes | None]], gone: list[str]) -> None:
    """Make the facts of the notes `read` and write them, with the notes `gone` dropped."""
    made = iter(
        _facts_many([(item.name, item.path, data, digest) for item, _, digest, data in read if data is not None])
    )
    changed = [(item, at, digest, next(made) if data is not None else None) for item, at, digest, data in read]
    _write(db, changed[:BATCH], gone)
    for start in range(BATCH, len(changed), BATCH):
        _write(db, changed[start : start + BATCH], [])


Job = tuple[str, str, bytes, bytes]  # a note to make the facts of: its name, path, bytes and their hash


def _facts_many(jobs: list[Job]) -> list[Facts]:
    """The facts of many notes: in several processes when there are enough (a first run over a vault of years
    reads every note), else here."""
    workers = min(os.cpu_count() or 1, 8, len(jobs) // CHUNK)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return _facts_chunk(jobs)
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from notegen import bounded

    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    try:
        with ProcessPoolExecutor(workers, mp_context=bounded.start_context(), initializer=_ignore_interrupts) as pool:
            return [facts for chunk in pool.map(_facts_chunk, chunks) for facts in chunk]
    except (OSError, BrokenProcessPool) as err:  # no processes to be had here: read them all in this one
        log.debug("index: %s; reading the notes in this process", err)
        return _facts_chunk(jobs)


def _facts_chunk(jobs: list[Job]) -> list[Facts]:
    return [facts_of(name, Path(path), data, digest) for name, path, data, digest in jobs]


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the run's to handle (it stops, and the workers end with it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _write(db: sqlite3.Connection, changed: list[tuple[Listed, int, bytes, Facts | None]], gone: list[str]) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        for name in gone:
            _drop(db, name)
        for item, read_at, digest, facts in changed:
            identity = (*item.identity, digest, read_at)
            if facts is None:  # the same bytes: only the file's identity moved (touched, checked out, copied)
                db.execute(
                    "UPDATE notes SET size = ?, mtime_ns = ?, ctime_ns = ?, ino = ?, hash = ?, checked_ns = ? "
                    "WHERE name = ?",
                    (*identity, item.name),
                )
                continue
            _drop(db, item.name)
            error_line, error = facts.error if facts.error else (None, None)
            db.execute(
                "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(item.name, *identity, facts.daily, facts.blank),
                    facts.note_id,
                    facts.id_line,
                    error_line,
                    error,
                    lint.check_name(item.name),
                ),
            )
            for table, rows in facts.rows.items():
                if rows:
                    marks = ",".join("?" * (len(rows[0]) + 1))
                    db.executemany(f"INSERT INTO {table} VALUES ({marks})", [(item.name, *row) for row in rows])
        db.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise


def _drop(db: sqlite3.Connection, name: str) -> None:
    db.execute("DELETE FROM notes WHERE name = ?", (name,))
    for table in _TABLES:
        db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))
