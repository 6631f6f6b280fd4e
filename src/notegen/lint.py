"""`notegen check`: the rules Dendron applies to a vault, checked in Python, each problem with file and line.

Dendron is quietly strict: it invents an id and the current time for missing fields, drops one of two notes
with the same id, treats file names without regard to case, rejects empty name segments and `(),'`, and
flags hashtags whose `tags.<tag>` note is missing. The per-note rules are pure (`lint_note`); `check_vault`
adds the rules across notes and the files on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from notegen.note import HASHTAG

_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<url><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`]*`")
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


def _key_lines(head: list[str]) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, text in enumerate(head, start=1):
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", text)
        if m and m.group(1) not in lines:
            lines[m.group(1)] = number
    return lines


def lint_note(text: str) -> tuple[list[tuple[int, str]], NoteFacts]:
    """Problems (line, message) in one note's text, and what the vault-wide rules need from it."""
    facts = NoteFacts()
    problems: list[tuple[int, str]] = []
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return [(1, "no frontmatter: a note starts with '---', then id, title, desc, updated, created")], facts
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return [(1, "the frontmatter has no closing '---'")], facts
    head = lines[1:end]
    keys = _key_lines(head)
    try:
        meta = yaml.safe_load("\n".join(head)) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(err, "problem", None) or "invalid"
        return [(line, f"broken YAML in the frontmatter ({problem})")], facts
    if not isinstance(meta, dict):
        return [(2, "the frontmatter is not a set of key: value lines")], facts
    for key, kind, why in (
        ("id", str, "Dendron would invent a random one"),
        ("title", str, "quote it, e.g. title: '20240130'"),
        ("desc", str, "Dendron would add desc: ''"),
        ("updated", int, "epoch milliseconds; Dendron would use the current time"),
        ("created", int, "epoch milliseconds; Dendron would use the current time"),
    ):
        line = keys.get(key, 1) + (1 if key in keys else 0)
        value = meta.get(key)
        if key not in meta:
            problems.append((1, f"frontmatter has no {key!r}: {why}"))
        elif not isinstance(value, kind) or isinstance(value, bool):
            problems.append((line, f"frontmatter {key!r} is not a {'string' if kind is str else 'whole number'}"))
        elif kind is str and key == "id" and not str(value).strip():
            problems.append((line, "frontmatter 'id' is empty"))
    if isinstance(meta.get("id"), str):
        facts.note_id = meta["id"]
        facts.id_line = keys.get("id", 0) + 1
    in_fence = False
    for number, line in enumerate(lines[end + 1 :], start=end + 2):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        scan = _INLINE_CODE.sub("", line)
        for m in _IMAGE.finditer(scan):
            facts.images.append((number, m.group("url").strip("<>")))
        scan = _IMAGE.sub("", scan)
        if re.match(r"^\s{0,3}#{1,6}\s", scan):
            continue  # a heading, not a hashtag
        facts.hashtags.extend((number, m.group("tag")) for m in HASHTAG.finditer(scan))
    return problems, facts


def check_name(name: str) -> str | None:
    """Why a note's file name is one Dendron rejects, or None."""
    stem = name[:-3] if name.endswith(".md") else name
    if any(segment == "" for segment in stem.split(".")):
        return "the file name has an empty segment (two dots in a row, or a leading or trailing dot)"
    if _BAD_NAME.search(stem):
        return "the file name contains one of ( ) , ' which Dendron does not accept"
    if re.search(r"\s", stem):
        return "the file name contains a space"
    return None


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
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            line = path.read_bytes()[: err.start].count(b"\n") + 1
            problems.append(Problem(where, line, "not UTF-8 text"))
            continue
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
            if not (vault / url).exists():  # Dendron's preview takes image paths as relative to the vault
                problems.append(Problem(where, line, f"image {url} does not exist"))
    for note_id, places in ids.items():
        if len(places) > 1:
            for where, line in places:
                others = ", ".join(str(p) for p, _ in places if p != where)
                problems.append(Problem(where, line, f"id {note_id} is also the id of {others}; Dendron keeps one"))
    problems.sort(key=lambda p: (str(p.path), p.line))
    return problems, len(notes)
