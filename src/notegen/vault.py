"""The workspace on disk: where a day's note and the figures go, and the tags the person already uses."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

from notegen.note import new_id, render_frontmatter
from notegen.settings import Settings
from notegen.storage import write_atomic

_TAG_LINE = re.compile(r"^#([A-Za-z][A-Za-z0-9_-]*)\s*$", re.MULTILINE)


def note_path(settings: Settings, day: date) -> Path:
    name = settings.note_name.format(yyyy=f"{day:%Y}", mm=f"{day:%m}", dd=f"{day:%d}")
    return settings.vault_dir / f"{name}.md"


def image_link(settings: Settings, digest: str) -> str:
    """The link from a note in the vault to an image, relative as Dendron's preview resolves it."""
    target = settings.images_dir / f"{digest}.png"
    return Path(os.path.relpath(target, settings.vault_dir)).as_posix()


def save_image(settings: Settings, png: bytes) -> tuple[Path, str, bool]:
    """Store a figure as images/<sha256>.png; returns its path, its link and whether it was new."""
    digest = hashlib.sha256(png).hexdigest()
    path = settings.images_dir / f"{digest}.png"
    new = not path.is_file()
    if new:
        write_atomic(path, png)
    return path, image_link(settings, digest), new


def ensure_root(settings: Settings, now_ms: int) -> Path | None:
    """Dendron indexes nothing in a vault without root.md: write one if it is missing (never overwrite)."""
    root = settings.vault_dir / "root.md"
    if root.exists():
        return None
    text = render_frontmatter(new_id(), "root", now_ms, now_ms) + "\nDaily paper notes drafted by notegen.\n"
    write_atomic(root, text.encode("utf-8"))
    return root


def tag_vocabulary(settings: Settings) -> list[str]:
    """Tags used in the vault's notes, most used first, then those listed in notegen.toml."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    if settings.vault_dir.is_dir():
        for path in sorted(settings.vault_dir.glob("*.md")):
            if path.name.startswith("tags."):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for tag in _TAG_LINE.findall(text):
                counts[tag.lower()] += 1
                spelling.setdefault(tag.lower(), tag)
    ordered = [spelling[t] for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    seen = {t.lower() for t in ordered}
    ordered += [t for t in settings.tags if t.lower() not in seen]
    return ordered
