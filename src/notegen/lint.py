"""The rules Dendron applies to one note and its file name, checked in Python: pure functions over the note's
text, each problem with its line. `notegen check` (check.py) adds the rules across notes and the files on disk.

Dendron is quietly strict: it invents an id and the current time for missing fields, rejects empty name segments
and `(),'`, and reads every note as UTF-8. A vault also goes from one system to another in git, so a file name
Windows refuses is reported too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notegen import note, textfile
from notegen.storage import portable_name_problem

_BAD_NAME = re.compile(r"[(),']")


@dataclass
class NoteFacts:
    note_id: str | None = None
    id_line: int = 1
    hashtags: list[tuple[int, str]] = field(default_factory=list)  # (line, tag)
    images: list[tuple[int, str]] = field(default_factory=list)  # (line, url)


def lint_note(text: str) -> tuple[list[tuple[int, str]], NoteFacts]:
    """Problems (line, message) in one note's text, and what the vault-wide rules need from it."""
    head, problems = note.head_problems(text)
    return lint_read(head, problems, note.parse_body(text, head) if head is not None else None)


def lint_read(
    head: note.Head | None, problems: list[tuple[int, str]], body: note.Note | None
) -> tuple[list[tuple[int, str]], NoteFacts]:
    """lint_note over a note already read: its frontmatter and notegen's reasons to refuse it
    (note.head_problems), and its body parsed (note.parse_body; None without frontmatter)."""
    facts = NoteFacts()
    if head is None or body is None:
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


def not_utf8(text: str, encoding: textfile.Encoding) -> tuple[int, str]:
    """Where and why Dendron misreads a note notegen can read: Dendron reads every note as UTF-8."""
    if encoding.codec == "gb18030":  # the same as UTF-8 up to the first letter that is not ASCII
        first = next((n for n, char in enumerate(text) if not char.isascii()), 0)
        line = text[:first].count("\n") + 1
        return line, "saved as GB18030, which Dendron reads as UTF-8 and shows garbled from here; save it as UTF-8"
    return 1, "saved as UTF-16, which Dendron cannot read (it finds no frontmatter); save it as UTF-8"
