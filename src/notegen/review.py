"""`notegen review`: everything in the vault that waits for the person, each where an editor can jump to it.

Read from the notes alone (through the vault's index, which reads only notes that changed): a review line
(待核对), a summary still the placeholder (待填写), a missing figure (未找到关键图), a figure to check (请核对关键图),
and a tag a run created that no other note uses yet, whose tags note is still the empty one notegen wrote (a
typo'd or needless tag is cheapest to fix early). Deleting the line, or writing the summary, is what clears an
item: there is no state to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from notegen import index, note
from notegen.settings import Settings

KINDS = ("review", "placeholder", "missing figure", "figure to check", "new tag", "unreadable note")


@dataclass(frozen=True)
class Item:
    path: Path
    line: int
    kind: str  # one of KINDS
    title: str  # the section's title
    paper: str | None  # the marker's paper, for sections notegen wrote
    reason: str  # what the line says, or why the item is listed
    tag: str | None = None  # the new tag, for a "new tag" item

    def line_text(self, shown: str) -> str:
        """`file:line: kind: title`, where an editor jumps; a new tag is named after the title, and a note that
        cannot be read has its reason instead of a title."""
        what = self.reason if self.kind == "unreadable note" else self.title
        return f"{shown}:{self.line}: {self.kind}: {what}" + (f" (#{self.tag})" if self.tag else "")

    def json(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "line": self.line,
            "kind": self.kind,
            "title": self.title,
            "paper": self.paper,
            "reason": self.reason,
        }


def pending(settings: Settings) -> list[Item]:
    """What waits for the person, in the order of the notes' days, then of their lines."""
    items: list[Item] = []
    with index.opened(settings) as found:
        for path, line, reason in found.unreadable():
            items.append(Item(path, line, "unreadable note", "", None, reason))
        for path, line, kind, title, paper, reason in found.waiting():
            items.append(Item(path, line, kind, title, paper, reason))
        for path, line, tag, title, paper in found.tags_of_one_note():
            # notegen's stand-in for no tag is not one: the placeholder beside it is the item, and regen replaces it
            if tag != note.UNTAGGED.lower() and found.blank(note.tag_note_name(tag)):
                reason = f"#{tag} is in no other note yet; keep it, or change it to a tag you already use"
                items.append(Item(path, line, "new tag", title, paper, reason, tag))
    days = {item.path: _day(settings, item.path) or date.min for item in items}
    return sorted(items, key=lambda item: (days[item.path], item.path.name, item.line))


def _day(settings: Settings, path: Path) -> date | None:
    """The day of a note from its name, by the note_name pattern ({yyyy}, {mm}, {dd})."""
    pattern = re.escape(settings.note_name)
    for field, digits in (("yyyy", 4), ("mm", 2), ("dd", 2)):
        pattern = pattern.replace(re.escape("{" + field + "}"), f"(?P<{field}>\\d{{{digits}}})")
    m = re.fullmatch(pattern, path.stem)
    if not m:
        return None
    try:
        return date(int(m.group("yyyy")), int(m.group("mm")), int(m.group("dd")))
    except ValueError:
        return None
