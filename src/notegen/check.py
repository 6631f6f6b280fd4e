"""`notegen check`: the vault against Dendron's rules, each problem with file and line.

Across notes: Dendron drops one of two notes with the same id, treats file names without regard to case (and a
vault goes from one system to another in git: two names that differ only in case are one file on Windows and
macOS), and flags hashtags whose `tags.<tag>` note is missing; an image a note links must exist. The rules of one
note (lint.py) come from the vault's index, so a second check reads only the notes that changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from notegen import index, lint
from notegen.settings import Settings


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def check_vault(settings: Settings) -> tuple[list[Problem], int]:
    """Every problem in the vault's notes, in file and line order, and the number of notes read."""
    vault = settings.vault_dir
    problems: list[Problem] = []
    if not vault.is_dir():
        return [Problem(vault, 1, "no such vault folder; run notegen init")], 0
    with index.opened(settings) as found:
        facts, ids_of, failed = found.check_facts(), found.id_lines(), found.failed
        files = {item.name for item in found.listed}
    notes = sorted(vault.glob("*.md"))
    names = {p.name.lower() for p in notes}
    if "root.md" not in names:
        problems.append(Problem(vault / "root.md", 1, "missing: Dendron indexes nothing without root.md"))
    seen_names: dict[str, Path] = {}
    ids: dict[str, list[tuple[Path, int]]] = {}
    images = _Files()
    for path in notes:
        reason = lint.check_name(path.name)
        if reason:
            problems.append(Problem(path, 1, reason))
        lower = path.name.lower()
        if lower in seen_names:
            problems.append(Problem(path, 1, f"same name as {seen_names[lower].name} when case is ignored"))
        seen_names.setdefault(lower, path)
        if path.name not in files and path.name not in failed and path.is_dir():
            reason = "a folder named like a note: Dendron and notegen cannot use this note's name; rename the folder"
            problems.append(Problem(path, 1, reason))
            continue
        if path.name in failed or path.name not in files:  # (a link to nothing, say)
            problems.append(Problem(path, 1, failed.get(path.name, "cannot be read")))
            continue
        alone, hashtags, linked = facts.get(path.name, ([], [], []))
        problems.extend(Problem(path, line, message) for line, message in alone)
        if path.name in ids_of:
            note_id, line = ids_of[path.name]
            ids.setdefault(note_id, []).append((path, line))
        for line, tag in hashtags:
            if f"tags.{tag}.md".lower() not in names:
                problems.append(Problem(path, line, f"#{tag} has no note tags.{tag}.md; Dendron flags it"))
        for line, url in linked:
            if re.match(r"^[a-z]+://", url):
                continue
            # Dendron's preview takes image paths as relative to the vault; the parser gives them %-escaped.
            if not images.exists(vault / unquote(url)):
                problems.append(Problem(path, line, f"image {url} does not exist"))
    for note_id, places in ids.items():
        if len(places) > 1:
            for where, line in places:
                others = ", ".join(str(p) for p, _ in places if p != where)
                problems.append(Problem(where, line, f"id {note_id} is also the id of {others}; Dendron keeps one"))
    problems.sort(key=lambda p: (str(p.path), p.line))
    return problems, len(notes)


class _Files:
    """Whether files exist, a folder listed once instead of a file looked up at a time (a vault of years links
    thousands of images from one folder). A name the listing lacks is looked up: a case-insensitive file system
    finds `Figure.png` as `figure.png`."""

    def __init__(self) -> None:
        self._listed: dict[str, set[str]] = {}

    def exists(self, path: Path) -> bool:
        folder = str(path.parent)
        if folder not in self._listed:
            try:
                self._listed[folder] = set(os.listdir(folder))
            except OSError:
                self._listed[folder] = set()
        return path.name in self._listed[folder] or path.exists()
