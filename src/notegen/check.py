"""`notegen check`: the vault against Dendron's rules, each problem with file and line.

Across notes: Dendron drops one of two notes with the same id, treats file names without regard to case (and a
vault goes from one system to another in git: two names that differ only in case are one file on Windows and
macOS), and flags hashtags whose `tags.<tag>` note is missing; an image a note links must exist. The rules of one
note (lint.py) come from the vault's index, so a second check reads only the notes that changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from notegen import index, lint, note
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
    if not vault.is_dir():
        return [Problem(vault, 1, "no such vault folder; run notegen init")], 0
    names = sorted(name for name in os.listdir(vault) if name.endswith(".md"))
    found: list[tuple[str, int, str]] = []  # (note, line, message)
    root = f"{note.ROOT}.md"
    if root not in {name.lower() for name in names}:
        found.append((root, 1, f"missing: Dendron indexes nothing without {root}"))
    with index.opened(settings) as indexed:
        files = {item.name for item in indexed.listed}
        known = indexed.name_problems()
        seen_names: dict[str, str] = {}
        for name in names:
            reason = known[name] if name in known else lint.check_name(name)
            if reason:
                found.append((name, 1, reason))
            if name.lower() in seen_names:
                found.append((name, 1, f"same name as {seen_names[name.lower()]} when case is ignored"))
            seen_names.setdefault(name.lower(), name)
            if name not in files and name not in indexed.failed and (vault / name).is_dir():
                why = "a folder named like a note: Dendron and notegen cannot use this note's name; rename the folder"
                found.append((name, 1, why))
            elif name not in files:
                nothing = "a link to a file that is not there; remove the link or restore the file"
                found.append(
                    (name, 1, indexed.failed.get(name, nothing if (vault / name).is_symlink() else "not a file"))
                )
        found += indexed.alone()
        found += [
            (n, line, f"#{tag} has no note {note.tag_note_name(tag)}; Dendron flags it")
            for n, line, tag in indexed.hashtags_without(names)
        ]
        found += [(n, line, f"image {url} does not exist") for n, line, url in indexed.images_missing()]
        ids: dict[str, list[tuple[str, int]]] = {}
        for name, (note_id, line) in indexed.id_lines().items():
            ids.setdefault(note_id, []).append((name, line))
    for note_id, places in ids.items():
        if len(places) > 1:
            for where, line in places:
                others = ", ".join(str(vault / p) for p, _ in sorted(places) if p != where)
                found.append((where, line, f"id {note_id} is also the id of {others}; Dendron keeps one"))
    problems = [Problem(vault / name, line, message) for name, line, message in found]
    problems.sort(key=lambda p: (str(p.path), p.line))
    return problems, len(names)
