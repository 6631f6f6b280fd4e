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


# -- one section, in place ----------------------------------------------------------------------------

TAG_LINE = re.compile(r"^#([A-Za-z][A-Za-z0-9_-]*)[ \t]*$", re.MULTILINE)  # a section's tag line
_FIGURE_LINE = re.compile(r"^(!\[图 (?P<n>\d+)\]\([^)]*\)|> \*\*未找到关键图\*\*)")
_REVIEW_LINE = re.compile(r"^> \*\*待核对\*\*")
_HASH = re.compile(r"summary=(?P<hash>[0-9a-f]+)")

Span = tuple[int, int]  # [start, end) offsets into the note's text


@dataclass(frozen=True)
class SectionSpan:
    """Where one paper's section and its parts are in a note's text (offsets; lines without their newline)."""

    start: int
    end: int
    line: int  # 1-based line of the heading
    title: str
    paper: str | None  # the marker's paper field; None for a hand-written section
    written: str | None  # the marker's hash of the summary notegen wrote
    marker: Span | None
    tag: Span | None
    figure: Span | None
    figure_number: int | None
    review: Span | None  # review lines and the blank line after them
    summary: Span

    @property
    def key(self) -> str | None:
        return paper_key(self.paper) if self.paper else None


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, offset = [], 0
    for raw in text.splitlines(keepends=True):
        out.append((offset, raw.rstrip("\r\n")))
        offset += len(raw)
    return out


def sections(text: str) -> list[SectionSpan]:
    """Every `## ` section after the frontmatter (headings inside code blocks do not count)."""
    lines = _lines_with_offsets(text)
    body_start = 0
    if lines and lines[0][1] == "---":
        body_start = next((i + 1 for i in range(1, len(lines)) if lines[i][1] == "---"), 0)
    heads: list[int] = []
    in_fence = False
    for i in range(body_start, len(lines)):
        line = lines[i][1]
        if _FENCE.match(line.lstrip()):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            heads.append(i)
    out = []
    for n, first in enumerate(heads):
        last = heads[n + 1] if n + 1 < len(heads) else len(lines)
        out.append(_section(text, lines, first, last))
    return out


def _section(text: str, lines: list[tuple[int, str]], first: int, last: int) -> SectionSpan:
    start = lines[first][0]
    end = lines[last][0] if last < len(lines) else len(text)
    marker = tag = figure = review = None
    paper = written = None
    number = None
    summary_from = first + 1
    for i in range(first + 1, last):
        offset, line = lines[i]
        span = (offset, offset + len(line))
        m = MARKER.match(line)
        if m and marker is None and tag is None and figure is None:
            marker, paper = span, m.group("paper")
            h = _HASH.search(m.group("rest"))
            written = h.group("hash") if h else None
            summary_from = i + 1
        elif tag is None and figure is None and TAG_LINE.match(line):
            tag, summary_from = span, i + 1
        elif figure is None and _FIGURE_LINE.match(line):
            f = _FIGURE_LINE.match(line)
            figure, summary_from = span, i + 1
            number = int(f.group("n")) if f and f.group("n") else None
            break
    # The summary: after the figure line, past blank lines and review lines, to the section's last text.
    i = summary_from
    review_start = None
    while i < last and (not lines[i][1].strip() or _REVIEW_LINE.match(lines[i][1])):
        if _REVIEW_LINE.match(lines[i][1]) and review_start is None:
            review_start = lines[i][0]
        i += 1
    s_start = lines[i][0] if i < last else end
    if review_start is not None:
        review = (review_start, s_start)
    s_end = s_start + len(text[s_start:end].rstrip())
    title = " ".join(lines[first][1][3:].split())
    return SectionSpan(
        start,
        end,
        first + 1,
        title,
        paper,
        written,
        marker,
        tag,
        figure,
        number,
        review,
        (s_start, max(s_start, s_end)),
    )


def summary_text(text: str, section: SectionSpan) -> str:
    return text[section.summary[0] : section.summary[1]].replace("\r\n", "\n").strip()


def edited(text: str, section: SectionSpan) -> bool:
    """Whether the person changed the summary since notegen wrote it (hand-written sections always count)."""
    return section.written is None or summary_hash(summary_text(text, section)) != section.written


def replace_section_parts(
    text: str,
    section: SectionSpan,
    now_ms: int,
    summary: str,
    review: str | None = None,
    tag: str | None = None,
    figure_line: str | None = None,
    paper: str | None = None,
) -> str:
    """`text` with one section's summary (and review line, tag, figure line, marker) replaced and `updated`
    moved; every other byte stays as it was. Parts that are None stay as they are, except the review line,
    which goes when the new summary needs none."""
    newline = "\r\n" if "\r\n" in text[: section.end] else "\n"
    body = safe_block(summary)
    edits: list[tuple[Span, str]] = []
    new_review = f"> **待核对**（notegen）：{_one_line(review)}{newline}{newline}" if review else ""
    if section.review is not None:
        edits.append(((section.review[0], section.summary[1]), new_review + body.replace("\n", newline)))
    else:
        edits.append((section.summary, new_review + body.replace("\n", newline)))
    if figure_line is not None and section.figure is not None:
        edits.append((section.figure, figure_line))
    if tag is not None and section.tag is not None:
        edits.append((section.tag, f"#{tag}"))
    who = paper or section.paper
    marker = f"<!-- notegen paper={who} summary={summary_hash(body)} -->"
    if section.marker is not None:
        edits.append((section.marker, marker))
    elif who is not None:  # a hand-written section gets notegen's marker, so it is found again
        heading_end = text.index("\n", section.start) + 1 if "\n" in text[section.start :] else len(text)
        edits.append(((heading_end, heading_end), marker + newline))
    for (a, b), new in sorted(edits, key=lambda e: e[0][0], reverse=True):
        text = text[:a] + new + text[b:]
    head, _ = _split_frontmatter(text, "note")
    new_head, count = _UPDATED.subn(f"updated: {now_ms}", head, count=1)
    if count == 0:
        raise NoteError("note: the frontmatter has no integer 'updated' line")
    return new_head + text[len(head) :]
