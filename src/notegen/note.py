"""The daily note: render it in the seed's format, read what notegen needs back out of it. Pure.

A note is Dendron frontmatter (id, title, desc, updated, created, in that order) and one section per paper:

    ## <title>
    <!-- notegen paper=arxiv:2401.16420v1 summary=<12 hex> -->

    #tag


    ![图 N](../images/<sha256>.png)␠␠   (two trailing spaces, as in the seed)

    <summary>

The HTML comment is invisible in Dendron's preview; it lets reruns and regen find the paper's section and tell
whether the person has edited the summary since notegen wrote it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import frontmatter
import yaml

from notegen.errors import NotegenError

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 23
FRONTMATTER_KEYS = ("id", "title", "desc", "updated", "created")

MARKER = re.compile(r"^<!-- notegen paper=(?P<paper>\S+)(?P<rest>[^\n]*?)-->\s*$", re.MULTILINE)
# Dendron's hashtag syntax (its HASHTAG_REGEX): not after a non-space, not starting with a digit or a period,
# no punctuation inside.
_PUNCT = re.escape(",;:'\"<>()?!`~«‹»›„“‟”’❝❞❮❯⹂〝〞〟＂‚‘‛❛❜❟［］【】…‥「」『』·؟،।॥‽⸘¡¿⁈⁉")
_FIRST = rf"[^0-9#@|\[\]\s.{_PUNCT}]"
_MIDDLE = rf"[^@#|\[\]\s{_PUNCT}]"
HASHTAG = re.compile(rf"(?<!\S)#(?P<tag>{_FIRST}{_MIDDLE}*{_MIDDLE}|{_FIRST})")
_FIGURE = re.compile(r"!\[图 (\d+)\]")
_FENCE = re.compile(r"^(```|~~~)")


class NoteError(NotegenError):
    """A note notegen cannot read safely: it is refused, never rewritten."""


@dataclass(frozen=True)
class Section:
    """One paper's section as notegen writes it."""

    paper: str  # what the marker records: "arxiv:2401.16420v1" or "pdf:<sha256 prefix>"
    title: str
    tag: str
    summary: str
    image: str | None = None  # link target, e.g. ../images/<sha256>.png
    missing_figure: str | None = None  # why there is no image, shown to the reviewer
    review: str | None = None  # why the summary needs a human look, shown to the reviewer


def new_id() -> str:
    """A Dendron note id: 23 characters of [0-9a-z], like Dendron's own nanoid."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def paper_key(paper: str) -> str:
    """The version-free identity of a marker's paper: reruns match a paper whatever its version."""
    if paper.startswith("arxiv:"):
        return re.sub(r"v\d+$", "", paper)
    return paper


def summary_hash(summary: str) -> str:
    return hashlib.sha256(summary.strip().encode("utf-8")).hexdigest()[:12]


def render_frontmatter(note_id: str, title: date | str, created_ms: int, updated_ms: int) -> str:
    """Dendron's frontmatter in Dendron's key order; a day's title is its date, quoted, as in the seed."""
    shown = f"{title:%Y%m%d}" if isinstance(title, date) else title
    lines = [
        "---",
        f"id: {note_id}",
        f"title: '{shown}'",
        "desc: ''",
        f"updated: {updated_ms}",
        f"created: {created_ms}",
    ]
    return "\n".join([*lines, "---", ""])


def safe_block(text: str) -> str:
    """Text that stays inside its section: no line may start a heading, no comment may fake a marker, and no
    word may become a Dendron hashtag (which would want a tag note)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("<!--", "&lt;!--").strip()
    lines = [("\\" + line.lstrip() if line.lstrip().startswith("#") else line) for line in text.split("\n")]
    return "\n".join(HASHTAG.sub(lambda m: "\\" + m.group(0), line) for line in lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_section(section: Section, number: int) -> str:
    summary = safe_block(section.summary)
    parts = [
        f"## {_one_line(section.title)}\n",
        f"<!-- notegen paper={section.paper} summary={summary_hash(summary)} -->\n",
        "\n",
        f"#{section.tag}\n",
        "\n\n",
    ]
    if section.image is not None:
        parts.append(f"![图 {number}]({section.image})  \n")
    else:
        reason = _one_line(section.missing_figure or "no figure found")
        parts.append(f"> **未找到关键图**（notegen）：{reason} — 请手动添加关键图。\n")
    parts.append("\n")
    if section.review:
        parts.append(f"> **待核对**（notegen）：{_one_line(section.review)}\n\n")
    parts.append(summary + "\n")
    return "".join(parts)


def render_note(note_id: str, day: date, created_ms: int, sections: list[Section]) -> str:
    """A new day's note with sections numbered 图 0, 图 1, ... in order."""
    body = "\n\n".join(render_section(s, n) for n, s in enumerate(sections))
    return render_frontmatter(note_id, day, created_ms, created_ms) + "\n\n" + body


@dataclass(frozen=True)
class ParsedNote:
    """What notegen needs to know about an existing note."""

    note_id: str
    created: int
    papers: frozenset[str]  # paper keys (version-free) of the sections notegen wrote
    titles: frozenset[str]  # every section heading, for hand-written sections
    next_figure: int  # the N for the next section's 图 N
    newline: str  # "\n" or "\r\n", as the note uses


def _split_frontmatter(text: str, name: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise NoteError(f"{name}:1: the note does not start with '---' frontmatter; fix it by hand")
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n") == "---":
            return "".join(lines[: i + 1]), i + 1
    raise NoteError(f"{name}:1: the frontmatter has no closing '---'; fix it by hand")


def parse_note(text: str, name: str) -> ParsedNote:
    """Read an existing note; raise NoteError with file and line when it is not safe to edit."""
    head, body_line = _split_frontmatter(text, name)
    try:
        meta: dict[str, Any] = dict(frontmatter.loads(head).metadata)
    except yaml.YAMLError as err:
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise NoteError(f"{name}:{line}: broken YAML in the frontmatter; fix it by hand") from err
    for key, kind in (("id", str), ("created", int), ("updated", int)):
        value = meta.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            line = _line_of(head, key)
            raise NoteError(f"{name}:{line}: frontmatter {key!r} is missing or not a {kind.__name__}")
    papers: set[str] = set()
    titles: set[str] = set()
    figures: list[int] = []
    sections = 0
    in_fence = False
    for line in text.splitlines()[body_line:]:
        if _FENCE.match(line.lstrip()):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("## "):
            sections += 1
            titles.add(_one_line(line[3:]))
        m = MARKER.match(line)
        if m:
            papers.add(paper_key(m.group("paper")))
        figures.extend(int(n) for n in _FIGURE.findall(line))
    return ParsedNote(
        note_id=meta["id"],
        created=meta["created"],
        papers=frozenset(papers),
        titles=frozenset(titles),
        next_figure=max([sections, *(n + 1 for n in figures)]),
        newline="\r\n" if "\r\n" in head else "\n",
    )


def _line_of(head: str, key: str) -> int:
    for i, line in enumerate(head.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return i
    return 1


_UPDATED = re.compile(r"^updated: *\d+ *(?=\r?$)", re.MULTILINE)


def append_sections(text: str, parsed: ParsedNote, sections: list[Section], now_ms: int) -> str:
    """`text` with `sections` added at the end and `updated` moved; every other byte stays as it was."""
    head, _ = _split_frontmatter(text, "note")
    new_head, count = _UPDATED.subn(f"updated: {now_ms}", head, count=1)
    if count == 0:
        raise NoteError("note: the frontmatter has no integer 'updated' line")
    rest = text[len(head) :]
    added = "\n\n".join(render_section(s, parsed.next_figure + i) for i, s in enumerate(sections))
    trailing = len(rest) - len(rest.rstrip("\r\n"))
    trailing_newlines = rest[len(rest) - trailing :].count("\n")
    separator = "\n" * max(0, 3 - trailing_newlines)
    addition = separator + added
    if parsed.newline == "\r\n":
        addition = addition.replace("\n", "\r\n")
    return new_head + rest + addition
