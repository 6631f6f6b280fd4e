"""The workspace on disk: where a day's note and the figures go, and the tags the person already uses."""

from __future__ import annotations

import hashlib
import json
import ntpath
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path, PurePath, PureWindowsPath

from notegen import index, note, secret, textfile
from notegen.errors import NoteError, UsageError
from notegen.note import new_id, render_frontmatter
from notegen.settings import Settings, template
from notegen.storage import write_atomic
from notegen.textfile import Encoding


def note_path(settings: Settings, day: date) -> Path:
    """The day's note: the one the vault has under that name in any case (`Papers.20240130.md`, which Dendron,
    Windows and macOS take for the same note; a second file beside it would clash there), else a new one."""
    name = settings.note_name.format(yyyy=f"{day:%Y}", mm=f"{day:%m}", dd=f"{day:%d}") + ".md"
    path = settings.vault_dir / name
    if path.is_file():
        return path
    try:
        with os.scandir(settings.vault_dir) as entries:
            return next((Path(e.path) for e in entries if e.name.lower() == name), path)
    except OSError:
        return path


def place(settings: Settings, path: Path, line: int) -> str:
    """`notes/papers.20240130.md:12`: a line of a note as review and check name it, from the workspace."""
    try:
        shown: Path = path.resolve().relative_to(settings.workspace.resolve())
    except ValueError:  # (a vault outside the workspace)
        shown = path
    return f"{shown}:{line}"


def _decoded(data: bytes, path: Path) -> tuple[str, Encoding]:
    try:
        return textfile.decode(data, str(path))
    except textfile.NotText as err:
        raise NoteError(err.path, err.reason, err.line, detail=err.detail, hint=err.hint) from None


def parse_note_file(path: Path) -> tuple[note.Note, Encoding]:
    """The note at `path`, parsed, and its encoding; NoteError when notegen cannot edit it safely. The bytes are
    read every time, and parsed once per distinct content in a run (see index.remember)."""
    data = path.read_bytes()
    digest = index.digest_of(data)
    found = index.remembered(path, digest)
    if found is None:
        text, encoding = _decoded(data, path)
        found = note.parse_note(text, str(path)), encoding
        index.remember(path, digest, found)
    return found


def write_note(path: Path, text: str, encoding: Encoding, scratch: Path | None) -> None:
    """Write a note atomically in `encoding`: the one it was read in (a note saved as GB18030 or with a byte-order
    mark stays so), or UTF-8 for a new note. The API key is scrubbed from the text, whatever the encoding."""
    write_atomic(path, encoding.encode(secret.scrub(text)), scratch)


def check_writable(path: Path) -> None:
    """Refuse, before any network work, a day's note notegen could not (or should not) write: a folder under
    the note's name, or a note the person made read-only (a rename would replace it without a word)."""
    if path.is_dir():
        raise NoteError(
            str(path), "a folder, not a note", hint="rename or move the folder so notegen can write this note"
        )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & stat.S_IWUSR:  # Windows' read-only attribute shows here too
        raise NoteError(str(path), "the note is read-only", hint="make it writable if notegen may add to it")


def daily_notes(settings: Settings) -> list[Path]:
    """The vault's notes that can hold paper sections (not root, tag or schema files, not folders)."""
    if not settings.vault_dir.is_dir():
        return []
    found = sorted(settings.vault_dir.glob("*.md"))
    return [p for p in found if index.is_daily(p.name) and not p.is_dir()]


def image_link(settings: Settings, digest: str) -> str:
    """The link from a note in the vault to an image, relative as Dendron's preview resolves it."""
    return relative_link(settings.images_dir.absolute() / f"{digest}.png", settings.vault_dir.absolute())


def relative_link(target: PurePath, start: PurePath) -> str:
    """The link from a note in the folder `start` to the file `target`: relative, and `/`-separated on every
    system (Markdown and Dendron's preview read links so; a Windows `\\` would be an escape). Windows paths
    are compared as Windows compares them, without regard to case."""
    flavour = ntpath if isinstance(target, PureWindowsPath) else posixpath
    try:
        relative: str = flavour.relpath(str(target), str(start))
    except ValueError:  # Windows: another drive, which no relative link reaches
        raise UsageError(
            f"image_dir {target.parent} is on another drive than the vault {start}",
            hint="a note can only link an image on its own drive, so set image_dir to a folder there",
        ) from None
    return relative.replace(flavour.sep, "/")


def save_image(settings: Settings, png: bytes) -> tuple[Path, str, bool]:
    """Store a figure as images/<sha256>.png; returns its path, its link and whether it was new."""
    digest = hashlib.sha256(png).hexdigest()
    path = settings.images_dir / f"{digest}.png"
    new = not path.is_file()
    if new:
        write_atomic(path, png, settings.scratch)
    return path, image_link(settings, digest), new


def note_ids(settings: Settings) -> dict[str, list[Path]]:
    """Every note's frontmatter id in the vault, with the files that carry it (more than one is a clash)."""
    with index.opened(settings) as found:
        return found.note_ids()


def unique_id(taken: set[str] | dict[str, list[Path]], make: Callable[[], str] = new_id) -> str:
    """A note id no note in the vault has (Dendron drops one of two notes with the same id)."""
    while True:
        candidate = make()
        if candidate not in taken:
            return candidate


def ensure_root(settings: Settings, now_ms: int) -> Path | None:
    """Dendron indexes nothing in a vault without root.md: write one if it is missing (never overwrite)."""
    root = settings.vault_dir / f"{note.ROOT}.md"
    if root.exists():
        return None
    note_id = unique_id(note_ids(settings))
    text = render_frontmatter(note_id, note.ROOT, now_ms, now_ms) + "\nDaily paper notes drafted by notegen.\n"
    write_atomic(root, text.encode("utf-8"), settings.scratch)
    return root


def tag_note(vault_dir: Path, tag: str) -> Path | None:
    """The note of `tag` in the vault, whatever the case of its name: Dendron matches names without regard to
    case, and Windows and macOS keep one file for names that differ only in case."""
    wanted = note.tag_note_name(tag).lower()
    found = (
        sorted(p for p in vault_dir.glob(f"{note.TAG_NOTES}*.md") if p.name.lower() == wanted)
        if vault_dir.is_dir()
        else []
    )
    return found[0] if found else None


def ensure_tag_notes(settings: Settings, tags: Iterable[str], now_ms: int) -> list[Path]:
    """A `tags.<tag>.md` note for each tag that has none (Dendron flags hashtags without one).

    Names are compared without regard to case, as Dendron, Windows and macOS compare them: an existing
    tags.mllm.md serves #MLLM, and #MLLM and #mllm in one run get one note, named as the first is spelt.
    """
    vault_dir = settings.vault_dir
    existing = {p.name.lower() for p in vault_dir.glob(f"{note.TAG_NOTES}*.md")} if vault_dir.is_dir() else set()
    taken = note_ids(settings) if vault_dir.is_dir() else {}
    written: list[Path] = []
    for tag in dict.fromkeys(tags):
        name = note.tag_note_name(tag)
        if (vault_dir / name).is_dir():
            raise NoteError(
                str(vault_dir / name), "a folder, not a tag note", hint="rename the folder so notegen can write it"
            )
        if name.lower() in existing:
            continue
        note_id = unique_id(taken)
        taken[note_id] = []
        path = vault_dir / name
        write_atomic(path, render_frontmatter(note_id, tag, now_ms, now_ms).encode("utf-8"), settings.scratch)
        existing.add(name.lower())
        written.append(path)
    return written


def vocabulary(found: index.Index, settings: Settings) -> list[str]:
    """The hashtags of the vault's daily notes as Dendron reads them (not in code, not escaped), most used first,
    then those listed in notegen.toml; only tags a section can carry (`[A-Za-z][A-Za-z0-9_-]*`)."""
    ordered = found.vocabulary()
    seen = {t.lower() for t in ordered}
    return ordered + [t for t in settings.tags if t.lower() not in seen]


# -- a new workspace ----------------------------------------------------------------------------------

GITIGNORE = """\
# notegen's caches, backups and lock
.notegen/
# Dendron's caches and runtime files
.dendron.*
**/.dendron.*
"""

SCHEMA = """\
version: 1
imports: []
schemas:
  - id: root
    children: []
    title: root
    parent: root
"""


def dendron_config(vault: str) -> str:
    shown = _yaml_scalar(PurePath(vault).as_posix())
    return f"""\
version: 5
workspace:
  vaults:
    - fsPath: {shown}
      name: {shown}
  enableHashTags: true
"""


def _yaml_scalar(text: str) -> str:
    """`text` as a YAML value: plain when it can be (`notes`), else quoted (a JSON string is YAML too), so a
    vault called `notes #1`, `a: b`, `2024` or `yes` reads back as that text."""
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_./-]*", text) and text.lower() not in _YAML_WORDS
    return text if plain else json.dumps(text, ensure_ascii=False)


_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}  # read as booleans or nothing


def code_workspace(vault: str) -> str:
    return (
        "{\n"
        f'    "folders": [{{ "path": {json.dumps(PurePath(vault).as_posix(), ensure_ascii=False)} }}],\n'
        '    "settings": {},\n'
        '    "extensions": { "recommendations": ["dendron.dendron"] }\n'
        "}\n"
    )


def init_workspace(settings: Settings, now_ms: int, prompts: Path) -> list[tuple[Path, bool]]:
    """Make `settings.workspace` a workspace Dendron opens; every file that exists is kept as it is.

    Returns each file with whether it was created.
    """
    ws, vault = settings.workspace, settings.vault
    files: list[tuple[Path, bytes | None]] = [
        (ws / "dendron.yml", dendron_config(vault).encode()),
        (ws / "dendron.code-workspace", code_workspace(vault).encode()),
        (ws / ".gitignore", GITIGNORE.encode()),
        (ws / "notegen.toml", template().encode()),
        (settings.vault_dir / f"{note.ROOT}.schema.yml", SCHEMA.encode()),
        (settings.vault_dir / f"{note.ROOT}.md", None),
    ]
    files += [(ws / "prompts" / p.name, p.read_bytes()) for p in sorted(prompts.glob("*.md"))]
    out: list[tuple[Path, bool]] = []
    for path, data in files:
        if path.exists():
            out.append((path, False))
        elif data is None:
            out.append((path, ensure_root(settings, now_ms) is not None))
        else:
            write_atomic(path, data, settings.scratch)
            out.append((path, True))
    return out
