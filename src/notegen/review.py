"""`notegen review`: everything in the vault that waits for the person, each where an editor can jump to it.

Read from the notes alone: a review line (待核对), a summary still the placeholder (待填写), a missing figure
(未找到关键图), a figure to check (请核对关键图), and a tag a run created that no other note uses yet (a typo'd or
needless tag is cheapest to fix early). Deleting the line, or writing the summary, is what clears an item: there
is no state to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from notegen import note, vault
from notegen.errors import NoteError, NotegenError
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


_SAID = re.compile(r"（notegen）：(.*)$", re.DOTALL)


def pending(settings: Settings) -> list[Item]:
    """What waits for the person, in the order of the notes' days, then of their lines."""
    items: list[tuple[tuple[date | None, str], Item]] = []
    users: dict[str, list[tuple[Path, note.Note, note.SectionSpan]]] = {}
    for path in vault.daily_notes(settings):
        order = (_day(settings, path), path.name)
        try:
            parsed = vault.parse_note_file(path)[0]
        except OSError as err:
            reason = f"cannot be read ({err.strerror or err})"
            items.append((order, Item(path, 1, "unreadable note", "", None, reason)))
            continue
        except NoteError as err:  # its own words and line, without the file the item names already
            items.append((order, Item(path, err.line or 1, "unreadable note", "", None, err.reason)))
            continue
        except NotegenError as err:
            items.append((order, Item(path, 1, "unreadable note", "", None, str(err))))
            continue
        for section in parsed.sections:
            for item in _section_items(path, parsed, section):
                items.append((order, item))
            if section.tag is not None:
                tag = parsed.text[section.tag[0] + 1 : section.tag[1]].strip().lower()
                users.setdefault(tag, []).append((path, parsed, section))
    for tag, uses in users.items():
        notes = {path for path, _, _ in uses}
        chosen_by_notegen = all(section.paper is not None for _, _, section in uses)  # none the person wrote
        if tag == note.UNTAGGED.lower():  # notegen's stand-in: the placeholder beside it is the item, and regen
            continue  # replaces it
        if len(notes) == 1 and chosen_by_notegen and _made_by_notegen(settings, tag):
            path, parsed, section = uses[0]
            assert section.tag is not None
            reason = f"#{tag} is in no other note yet; keep it, or change it to a tag you already use"
            item = Item(path, parsed.line(section.tag[0]), "new tag", section.title, section.paper, reason, tag)
            items.append(((_day(settings, path), path.name), item))
    items.sort(key=lambda pair: (pair[0][0] or date.min, pair[0][1], pair[1].line))
    return [item for _, item in items]


def _section_items(path: Path, parsed: note.Note, section: note.SectionSpan) -> list[Item]:
    found: list[Item] = []

    def add(span: note.Span, kind: str, reason: str) -> None:
        found.append(Item(path, parsed.line(span[0]), kind, section.title, section.paper, reason))

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


def _made_by_notegen(settings: Settings, tag: str) -> bool:
    """Whether the tag's note is the empty one notegen writes for a new tag (a tag the person set up has more)."""
    path = vault.tag_note(settings.vault_dir, tag)
    if path is None:
        return False
    try:
        text = vault.read_note(path)
        head = note.read_head(text, str(path))
    except (OSError, NotegenError):
        return False
    return not text[head.body :].strip()


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
