"""`notegen check`: the rules Dendron applies to a vault, checked in Python, each problem with file and line.

Dendron is quietly strict: it invents an id and the current time for missing fields, drops one of two notes
with the same id, treats file names without regard to case, rejects empty name segments and `(),'`, and
flags hashtags whose `tags.<tag>` note is missing. A vault also goes from one system to another in git, so a
file name Windows refuses, or two that differ only in case (one file on Windows and macOS), is reported too.
The per-note rules are pure (`lint_note`); `check_vault` adds the rules across notes and the files on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from notegen import note, textfile
from notegen.storage import portable_name_problem

_BAD_NAME = re.compile(r"[(),']")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class NoteFacts:
    note_id: str | None = None
    id_line: int = 1
    hashtags: list[tuple[int, str]] = field(default_factory=list)  # (line, tag)
    images: list[tuple[int, str]] = field(default_factory=list)  # (line, url)


def lint_note(text: str) -> tuple[list[tuple[int, str]], NoteFacts]:
    """Problems (line, message) in one note's text, and what the vault-wide rules need from it."""
    facts = NoteFacts()
    head, problems = note.head_problems(text)
    if head is None:
        if problems and problems[0][1].startswith("the note does not start"):
            problems = [(1, "no frontmatter: a note starts with '---', then id, title, desc, updated, created")]
        return problems, facts
    meta = head.meta
    problems = [p for p in problems if "has no" not in p[1]]  # said below, with what Dendron would do
    for key, kind, why in (
        ("id", str, "Dendron would invent a random one"),
        ("title", str, "quote it, e.g. title: '20240130'"),
        ("desc", str, "Dendron would add desc: ''"),
        ("updated", int, "epoch milliseconds; Dendron would use the current time"),
        ("created", int, "epoch milliseconds; Dendron would use the current time"),
    ):
        value = meta.get(key)
        if key not in meta:
            problems.append((1, f"frontmatter has no {key!r}: {why}"))
        elif kind is str and not isinstance(value, str):
            problems.append((head.keys[key], f"frontmatter {key!r} is not a string"))
        elif key == "id" and not str(value).strip():
            problems.append((head.keys[key], "frontmatter 'id' is empty"))
    if isinstance(meta.get("id"), str):
        facts.note_id = meta["id"]
        facts.id_line = head.keys.get("id", 1)
    body = note.parse_body(text, head)
    facts.hashtags, facts.images = note.inline_facts(body)
    problems.extend(note.section_problems(body))
    return sorted(problems), facts


def check_name(name: str) -> str | None:
    """Why a note's file name is one Dendron rejects, or one Windows, macOS or Linux cannot hold, or None."""
    portable = portable_name_problem(name)
    if portable:
        return portable
    stem = name[:-3] if name.endswith(".md") else name
    if any(segment == "" for segment in stem.split(".")):
        return "the file name has an empty segment (two dots in a row, or a leading or trailing dot)"
    if _BAD_NAME.search(stem):
        return "the file name contains one of ( ) , ' which Dendron does not accept"
    if re.search(r"\s", stem):
        return "the file name contains a space"
    return None


def _not_utf8(text: str, encoding: textfile.Encoding) -> tuple[int, str]:
    """Where and why Dendron misreads a note notegen can read: Dendron reads every note as UTF-8."""
    if encoding.codec == "gb18030":  # the same as UTF-8 up to the first letter that is not ASCII
        first = next((n for n, char in enumerate(text) if not char.isascii()), 0)
        line = text[:first].count("\n") + 1
        return line, "saved as GB18030, which Dendron reads as UTF-8 and shows garbled from here; save it as UTF-8"
    return 1, "saved as UTF-16, which Dendron cannot read (it finds no frontmatter); save it as UTF-8"


def check_vault(vault: Path) -> tuple[list[Problem], int]:
    """Every problem in the vault's notes, in file and line order, and the number of notes read."""
    problems: list[Problem] = []
    if not vault.is_dir():
        return [Problem(vault, 1, "no such vault folder; run notegen init")], 0
    notes = sorted(vault.glob("*.md"))
    names = {p.name.lower() for p in notes}
    if "root.md" not in names:
        problems.append(Problem(vault / "root.md", 1, "missing: Dendron indexes nothing without root.md"))
    seen_names: dict[str, Path] = {}
    ids: dict[str, list[tuple[Path, int]]] = {}
    for path in notes:
        where = path
        reason = check_name(path.name)
        if reason:
            problems.append(Problem(where, 1, reason))
        lower = path.name.lower()
        if lower in seen_names:
            problems.append(Problem(where, 1, f"same name as {seen_names[lower].name} when case is ignored"))
        seen_names.setdefault(lower, path)
        if path.is_dir():
            reason = "a folder named like a note: Dendron and notegen cannot use this note's name; rename the folder"
            problems.append(Problem(where, 1, reason))
            continue
        try:
            text, encoding = textfile.read_text(path)
        except textfile.NotText as err:
            problems.append(Problem(where, err.line, err.reason))
            continue
        if encoding.codec != "utf-8":  # notegen reads it, Dendron does not (a byte-order mark it skips)
            problems.append(Problem(where, *_not_utf8(text, encoding)))
        found, facts = lint_note(text)
        problems.extend(Problem(where, line, message) for line, message in found)
        if facts.note_id is not None:
            ids.setdefault(facts.note_id, []).append((where, facts.id_line))
        for line, tag in facts.hashtags:
            if f"tags.{tag}.md".lower() not in names:
                problems.append(Problem(where, line, f"#{tag} has no note tags.{tag}.md; Dendron flags it"))
        for line, url in facts.images:
            if re.match(r"^[a-z]+://", url):
                continue
            # Dendron's preview takes image paths as relative to the vault; the parser gives them %-escaped.
            if not (vault / unquote(url)).exists():
                problems.append(Problem(where, line, f"image {url} does not exist"))
    for note_id, places in ids.items():
        if len(places) > 1:
            for where, line in places:
                others = ", ".join(str(p) for p, _ in places if p != where)
                problems.append(Problem(where, line, f"id {note_id} is also the id of {others}; Dendron keeps one"))
    problems.sort(key=lambda p: (str(p.path), p.line))
    return problems, len(notes)
