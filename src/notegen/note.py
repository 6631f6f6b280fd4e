"""The daily note: render it in the seed's format, and read any note, hand-written ones included. Pure.

A note is Dendron frontmatter (id, title, desc, updated, created, in that order) and one section per paper:

    ## <title>
    <!-- notegen paper=arxiv:2401.16420v1 summary=<12 hex> -->

    #tag


    ![图 N](../images/<sha256>.png)␠␠   (two trailing spaces, as in the seed)

    <summary>

The HTML comment is invisible in Dendron's preview; it lets reruns and regen find the paper's section and tell
whether the person has edited the summary since notegen wrote it (a review line, when there is one, has its own
hash: `review=<12 hex>`).

This module is the one reader of notes. The body is read as CommonMark reads it (markdown-it-py, which reports
the source lines of each block), so fences, indented code, HTML comments and block quotes are what Dendron
takes them for; the parser only finds positions, and every edit is made on the original text, so bytes
notegen did not write stay as they were.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from notegen import titles
from notegen.errors import NoteError

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 23

MARKER = re.compile(r"<!-- notegen paper=(?P<paper>\S+)(?P<rest>[^\n]*?)-->")
MARKER_PAPER = re.compile(r"<!-- notegen paper=(\S+)")
# Dendron's hashtag syntax (its HASHTAG_REGEX): not after a non-space, not starting with a digit or a period,
# no punctuation inside.
_PUNCT = re.escape(",;:'\"<>()?!`~«‹»›„“‟”’❝❞❮❯⹂〝〞〟＂‚‘‛❛❜❟［］【】…‥「」『』·؟،।॥‽⸘¡¿⁈⁉")
_FIRST = rf"[^0-9#@|\[\]\s.{_PUNCT}]"
_MIDDLE = rf"[^@#|\[\]\s{_PUNCT}]"
HASHTAG = re.compile(rf"(?<!\S)#(?P<tag>{_FIRST}{_MIDDLE}*{_MIDDLE}|{_FIRST})")
TAG_LINE = re.compile(r"^#([A-Za-z][A-Za-z0-9_-]*)[ \t]*$")  # a section's tag line
# A tag notegen writes: it becomes the file name tags.<tag>.md, so it is short and Dendron-safe.
TAG_MAX = 64
TAG = re.compile(rf"[A-Za-z][A-Za-z0-9_-]{{0,{TAG_MAX - 1}}}")

# What notegen writes for the person to see; they delete the line once dealt with.
# Why the key figure may not be the figure alone (notegen.figure.Doubt), as the line under the image says it.
DOUBTS = {
    "an author list": "截图里有作者或单位信息，可能多截了图外的内容",
    "body text": "截图里夹着正文，可能多截了图外的文字",
    "the title": "截图里有论文标题，可能多截了图外的内容",
    "a running head": "截图里有页眉、页脚或页码，可能多截了图外的内容",
    "a table": "截图像是表格的框线，可能不是图",
    "the page edge": "截图贴到了页面边缘，可能多截了页面内容",
    "most of the page": "截图几乎占满整页，可能多截了",
    "far from its caption": "图离图注较远，请确认这就是该图",
    "labels left out": "截图旁边还有图中的文字，可能没有截全",
    "cut through": "图的线条越过了截图的边缘，可能没有截全",
}

# Why a summary waits for review, as its review line (待核对) says it; `{}` takes the specifics.
SUMMARY_DOUBTS = {
    "unusable twice": "模型两次给出的回答都不能用（{}）",
    "no room to ask again": "模型的回答不能用（{}），提示太长，无法再问一次",
    "unsupported claims": "摘要提到了论文材料中没有的内容：{}，请核对",
}

MISSING_FIGURE = "未找到关键图"
FIGURE_DOUBT = "请核对关键图"
REVIEW = "待核对"
OPENING = "这篇论文试图解决的问题是"  # how every summary starts, as in the person's own notes
TO_WRITE = "**待填写**"
SAID = "（notegen）："  # after a line's label: what follows is notegen's words (a reason, the placeholder)
PLACEHOLDER = f"{TO_WRITE}{SAID}{OPENING}……"  # the summary of a paper the model did not (usably) answer
UNTAGGED = "untagged"  # the tag of such a paper

# text_join off: an escaped character stays a token of its own, so `\#word` is not mistaken for a hashtag.
_MD = MarkdownIt("commonmark").disable("text_join")
_EOL = re.compile(r"\r\n|\r|\n")  # CommonMark's line endings, and only those (not U+2028, not form feed)


@dataclass(frozen=True)
class Section:
    """One paper's section as notegen writes it."""

    paper: str  # what the marker records: "arxiv:2401.16420v1", "pdfid:<hex>" or "pdf:<sha256 prefix>"
    title: str
    tag: str
    summary: str
    image: str | None = None  # link target, e.g. ../images/<sha256>.png
    missing_figure: str | None = None  # why there is no image, shown to the reviewer
    review: str | None = None  # why the summary needs a human look, shown to the reviewer (Chinese)
    review_detail: str | None = None  # the same in English with the details, for stderr; not written
    figure_doubt: str | None = None  # why the image may not be the figure alone, shown under it (Chinese)

    @property
    def unanswered(self) -> bool:
        """The model gave no usable summary: a review line says why, and the placeholder stands in."""
        return self.review is not None and self.summary == PLACEHOLDER


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


def normal_title(title: str) -> str:
    """A title as compared when looking for a paper: its key under notegen.titles' rule (LaTeX read as text, a
    venue tag or appended translation set aside, case, spacing, punctuation, accents and width not counted)."""
    return titles.title_key(title)


# -- what notegen writes is inert ----------------------------------------------------------------------

# Separators CommonMark does not end a line at, but editors, git and Python's splitlines() do.
_BREAKS = {"\u2028": "\n", "\u2029": "\n\n", "\x85": "\n", "\x0b": "\n", "\x0c": "\n", "\x1c": "\n", "\x1d": "\n"}
_BREAKS |= {"\x1e": "\n"}
_FENCE_START = re.compile(r"^(`{3,}|~{3,})")
_RULE = re.compile(r"^[-=_*](?:[ \t]*[-=_*])*$")  # a thematic break, or a setext underline under a paragraph
_LINK_DEFINITION = re.compile(r"^\[[^\]]*\]:")
_BLANKS_AFTER = re.compile(r"(?:\r\n|\r|\n)(?:[ \t]*(?:\r\n|\r|\n))*")  # a line's end and the blank lines after it
_BLANK_LINE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


def _plain(text: str) -> str:
    """Text with CommonMark line endings only: other separators become line breaks, tabs spaces, and the
    remaining control characters (NUL, ESC, ...) go."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    for char, replacement in _BREAKS.items():
        text = text.replace(char, replacement)
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def _inline(text: str) -> str:
    """Escapes inside a line: no HTML comment or tag (a title such as "Predicting <mask> Tokens" would be an
    empty heading around an unknown element), no Dendron hashtag (which would want a tag note), no wikilink."""
    text = text.replace("<!--", "&lt;!--").replace("[[", "\\[[")
    text = _HTML_START.sub(r"\\<", text)
    return HASHTAG.sub(lambda m: "\\" + m.group(0), text)


_HTML_START = re.compile(r"<(?=[A-Za-z/?!])")  # how CommonMark's inline HTML begins: a tag, </, <?, <!


def neutral_line(text: str) -> str:
    """One line of text (a title, a reason) that opens nothing: no line break, no comment, no hashtag, and no
    trailing '#' run that a heading would swallow."""
    line = _inline(" ".join(_plain(text).split()))
    return re.sub(r"(\s)(#+)$", r"\1\\\2", line)


def neutral_block(text: str) -> str:
    """Paragraphs (a summary) that stay inside their section: no line can start a heading, a fence, an HTML
    block, a block quote, indented code, a thematic break or setext underline, or a link definition; plus
    everything neutral_line escapes."""
    out: list[str] = []
    for raw in _plain(text).split("\n"):
        line = raw.strip()
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        line = _inline(line)
        if line[0] in "#><" or _FENCE_START.match(line) or _RULE.match(line) or _LINK_DEFINITION.match(line):
            line = "\\" + line
        out.append(line)
    return "\n".join(out).strip("\n")


# -- rendering ----------------------------------------------------------------------------------------


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


TAG_NOTES = "tags."  # the start of every tag note's name: Dendron's hierarchy of hashtags
ROOT = "root"  # the name of the vault's root note, which Dendron needs to index anything


def tag_note_name(tag: str) -> str:
    """The file of a tag's note, which Dendron wants for every hashtag."""
    return f"{TAG_NOTES}{tag}.md"


def review_line(reason: str) -> str:
    return f"> **{REVIEW}**{SAID}{neutral_line(reason)}"


def missing_figure_line(reason: str | None) -> str:
    return f"> **{MISSING_FIGURE}**{SAID}{neutral_line(reason or '没有找到图')} — 请手动添加关键图。"


def figure_line(number: int, image: str) -> str:
    return f"![图 {number}]({link_destination(image)})  "


def link_destination(link: str) -> str:
    """A relative link as CommonMark reads it whatever the folders are called: one with a space or a parenthesis
    (`OneDrive - Lab`, `Dropbox (Personal)`) goes between < and >; what a link would read otherwise (`%20`, an
    entity such as `&amp;`, `#` and `?` that start a URL's fragment and query, `<`, `>`, `\\`) is %-escaped."""
    link = re.sub(r"[%&#?<>\\]", lambda m: f"%{ord(m.group()):02X}", link)
    return f"<{link}>" if re.search(r"[\s()]", link) else link


def doubt_line(reason: str) -> str:
    return f"> **{FIGURE_DOUBT}**{SAID}{neutral_line(reason)}"


def marker(paper: str, summary: str, review: str | None = None) -> str:
    """The invisible line under a section's heading: the paper, and hashes of what notegen wrote."""
    reviewed = f" review={summary_hash(review)}" if review else ""
    count = len(_BLANK_LINE.split(summary.strip()))
    paragraphs = f" paragraphs={count}" if count > 1 else ""  # how far an edited summary reaches
    return f"<!-- notegen paper={paper} summary={summary_hash(summary)}{paragraphs}{reviewed} -->"


def render_section(section: Section, number: int) -> str:
    summary = neutral_block(section.summary)
    review = review_line(section.review) if section.review else None
    parts = [
        f"## {neutral_line(section.title)}\n",
        marker(section.paper, summary, review) + "\n",
        "\n",
        f"#{section.tag}\n",
        "\n\n",
    ]
    if section.image is not None:
        parts.append(figure_line(number, section.image) + "\n")
        if section.figure_doubt:
            parts.append(doubt_line(section.figure_doubt) + "\n")
    else:
        parts.append(missing_figure_line(section.missing_figure) + "\n")
    parts.append("\n")
    if review:
        parts.append(f"{review}\n\n")
    parts.append(summary + "\n")
    return "".join(parts)


def render_note(note_id: str, day: date, created_ms: int, sections: list[Section]) -> str:
    """A new day's note with sections numbered 图 0, 图 1, ... in order."""
    body = "\n\n".join(render_section(s, n) for n, s in enumerate(sections))
    return render_frontmatter(note_id, day, created_ms, created_ms) + "\n\n" + body


# -- lines --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lines:
    """A text's lines as CommonMark counts them: starts[i] is where line i begins, ends[i] where its text ends
    (before the line ending)."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> _Lines:
        starts, ends = [0], []
        for m in _EOL.finditer(text):
            ends.append(m.start())
            starts.append(m.end())
        ends.append(len(text))
        if starts[-1] == len(text) and len(starts) > 1:  # a final line ending opens no new line
            starts.pop()
            ends.pop()
        return cls(tuple(starts), tuple(ends))

    def line_of(self, offset: int) -> int:
        """0-based line of an offset."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def __len__(self) -> int:
        return len(self.starts)


def _newline(text: str) -> str:
    m = _EOL.search(text)
    return m.group(0) if m else "\n"


# -- frontmatter --------------------------------------------------------------------------------------

Span = tuple[int, int]  # [start, end) offsets into the note's text


class _StrictLoader(yaml.SafeLoader):
    """YAML as Dendron's js-yaml reads it in one respect PyYAML does not: a key given twice is an error."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice", key_node.start_mark)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _FastLoader(getattr(yaml, "CSafeLoader", _StrictLoader)):  # type: ignore[misc]
    """The same rules with libyaml's parser where PyYAML has it (a note of years is read in a twentieth of the
    time); used for ASCII frontmatter only, where its positions are offsets without a doubt, and never for the
    words of an error (read again with _StrictLoader, so a broken note is described the same everywhere)."""


_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@dataclass(frozen=True)
class Head:
    """A note's frontmatter: what it says and where, so that `updated` can be moved without touching the rest."""

    body: int  # offset where the body starts
    body_line: int  # 0-based line where the body starts
    meta: dict[str, Any]
    keys: dict[str, int]  # top-level key -> 1-based line
    updated: Span | None  # the digits of `updated`, when they can be replaced in place


def _compose(source: str, kind: type[_StrictLoader]) -> tuple[yaml.Node | None, Any]:
    loader = kind(source)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _read_head(text: str) -> tuple[Head | None, list[tuple[int, str]]]:
    """The frontmatter, or why it cannot be read: (line, message) problems, the first one the reason."""
    lines = _Lines.of(text)
    bom = 1 if text.startswith("\ufeff") else 0  # Windows editors write one; Dendron reads past it
    if text[lines.starts[0] + bom : lines.ends[0]].rstrip(" \t") != "---":
        return None, [(1, "the note does not start with '---' frontmatter")]
    close = next((i for i in range(1, len(lines)) if text[lines.starts[i] : lines.ends[i]].rstrip(" \t") == "---"), 0)
    if not close:
        return None, [(1, "the frontmatter has no closing '---'")]
    start = lines.starts[1]
    source = text[start : lines.starts[close]]

    def line_at(index: int) -> int:
        return lines.line_of(start + index) + 1

    try:
        node, meta = _compose(source, _FastLoader if source.isascii() else _StrictLoader)
    except yaml.YAMLError:
        node, meta = None, None
    try:
        if node is None:
            node, meta = _compose(source, _StrictLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or "invalid"
        return None, [(line_at(mark.index) if mark is not None else 2, f"broken YAML in the frontmatter ({problem})")]
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
        return None, [(2, "the frontmatter is not a set of key: value lines")]
    keys: dict[str, int] = {}
    updated: Span | None = None
    for key_node, value_node in node.value:
        name = str(key_node.value)
        keys.setdefault(name, line_at(key_node.start_mark.index))
        plain = isinstance(value_node, yaml.ScalarNode) and not value_node.style  # (libyaml's plain: "")
        if name == "updated" and plain and re.fullmatch(r"\d+", value_node.value):
            updated = (start + value_node.start_mark.index, start + value_node.end_mark.index)
    body = lines.starts[close + 1] if close + 1 < len(lines) else len(text)
    return Head(body, close + 1, meta, keys, updated), []


def head_problems(text: str) -> tuple[Head | None, list[tuple[int, str]]]:
    """The frontmatter, and every reason notegen would refuse to edit the note (1-based line, message)."""
    head, problems = _read_head(text)
    if head is None:
        return head, problems
    for key, kind in (("id", str), ("created", int), ("updated", int)):
        value = head.meta.get(key)
        if key not in head.meta:
            problems.append((1, f"frontmatter has no {key!r}"))
        elif not isinstance(value, kind) or isinstance(value, bool):
            what = "a string" if kind is str else "a whole number (epoch milliseconds)"
            problems.append((head.keys[key], f"frontmatter {key!r} is not {what}"))
    if isinstance(head.meta.get("updated"), int) and head.updated is None:
        problems.append((head.keys["updated"], "frontmatter 'updated' is not written as plain digits"))
    return head, problems


def read_head(text: str, name: str) -> Head:
    head, problems = head_problems(text)
    if problems:
        line, message = problems[0]
        raise NoteError(name, message, line, hint="fix it by hand")
    assert head is not None
    return head


def note_id(text: str) -> str | None:
    """The note's frontmatter id, or None when there is no readable one."""
    head, _ = _read_head(text)
    value = head.meta.get("id") if head is not None else None
    return value if isinstance(value, str) else None


# -- sections -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionSpan:
    """Where one paper's section and its parts are in a note's text (offsets; parts without their line end)."""

    start: int
    end: int
    line: int  # 1-based line of the heading
    title: str  # as a reader sees it
    paper: str | None  # the marker's paper field; None for a hand-written section
    written: str | None  # the marker's hash of the summary notegen wrote
    reviewed: str | None  # the marker's hash of the review line notegen wrote
    marker: Span | None
    tag: Span | None
    figure: Span | None  # the image markup, or the missing-figure line
    figure_number: int | None
    review: Span | None  # the review block quote
    summary: Span
    heading_end: int  # offset after the heading's line ending
    missing_figure: bool = False
    source_title: str = ""  # as typed (markup, link targets, inline HTML and all)
    doubt: Span | None = None  # the line under the image asking the person to check it

    @property
    def key(self) -> str | None:
        return paper_key(self.paper) if self.paper else None


@dataclass(frozen=True)
class Block:
    """One top-level CommonMark block: its kind (markdown-it's token type) and 0-based lines [first, last)."""

    kind: str
    first: int
    last: int
    tag: str = ""  # h1, h2, ... for headings
    inline: Token | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Note:
    """A note as notegen reads it."""

    text: str
    head: Head
    blocks: tuple[Block, ...]
    sections: tuple[SectionSpan, ...]
    lines: _Lines = field(compare=False)
    tokens: tuple[Token, ...] = field(compare=False)

    @property
    def newline(self) -> str:
        return _newline(self.text)

    @property
    def note_id(self) -> str:
        return str(self.head.meta["id"])

    @property
    def created(self) -> int:
        return int(self.head.meta["created"])

    @property
    def papers(self) -> frozenset[str]:
        """Paper keys (version-free) of the sections that carry notegen's marker."""
        return frozenset(s.key for s in self.sections if s.key)

    @property
    def next_figure(self) -> int:
        """The N for the next section's 图 N."""
        numbers = [int(n) + 1 for n in _FIGURE_NUMBER.findall(self.text[self.head.body :])]
        return max([len(self.sections), *numbers])

    def find(self, keys: Iterable[str], title: str | None = None) -> list[SectionSpan]:
        """The sections of a paper: by marker, else by title (hand-written sections, a deleted marker)."""
        wanted = {paper_key(k) for k in keys}
        by_key = [s for s in self.sections if s.key in wanted]
        if by_key or not title:
            return by_key
        normal = normal_title(title)
        return [
            s
            for s in self.sections
            if normal and normal in (normal_title(s.title), normal_title(s.source_title)) and not _another(s, wanted)
        ]

    def has(self, keys: Iterable[str], title: str | None = None) -> bool:
        """Whether the note already has the paper anywhere, so that drafting it again would duplicate it: a
        section, or a marker or heading of any level the person moved it under (regen needs a section; a
        draft only needs to know the paper is there)."""
        if self.find(keys, title):
            return True
        wanted = {paper_key(k) for k in keys}
        normal = normal_title(title) if title else ""
        others = {s.line - 1 - self.head.body_line for s in self.sections if _another(s, wanted)}
        for i, token in enumerate(self.tokens):
            if token.type == "html_block" and any(paper_key(m) in wanted for m in MARKER_PAPER.findall(token.content)):
                return True
            if normal and token.type == "heading_open" and token.level == 0 and (token.map or [-1])[0] not in others:
                inline = self.tokens[i + 1]
                if normal in (normal_title(inline.content), normal_title(_inline_text(inline))):
                    return True
        return False

    def line(self, offset: int) -> int:
        """1-based line of an offset."""
        return self.lines.line_of(offset) + 1


def _another(section: SectionSpan, wanted: set[str]) -> bool:
    """Whether the section's marker names another arXiv paper than the one looked for: two papers may share a
    title, and then the marker decides (a local PDF without an arXiv ID is still found by its title)."""
    arxiv = {k for k in wanted if k.startswith("arxiv:")}
    return bool(arxiv) and section.key is not None and section.key.startswith("arxiv:") and section.key not in arxiv


_FIGURE_NUMBER = re.compile(r"!\[图 (\d+)\]")
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]\n]*)\]\((?:<[^>\n]*>|[^)\s]*)(?:[ \t]+\"[^\"\n]*\")?\)")
_FIGURE_ALT = re.compile(r"^图 (\d+)$")
_QUOTE = re.compile(r"^ {0,3}> ?\*\*(?P<what>[^*]+)\*\*")
_LEGACY_REVIEW = re.compile(rf"^> \*\*{REVIEW}\*\*{SAID}[^\n]*$")
_LEGACY_MISSING = re.compile(rf"^> \*\*{MISSING_FIGURE}\*\*{SAID}[^\n]* — 请手动添加关键图。$")


def _blocks(tokens: list[Token], offset: int) -> list[Block]:
    out: list[Block] = []
    for i, token in enumerate(tokens):
        if token.level != 0 or token.nesting < 0 or token.map is None:
            continue
        inline = tokens[i + 1] if token.type in ("paragraph_open", "heading_open") else None
        out.append(Block(token.type, token.map[0] + offset, token.map[1] + offset, token.tag, inline))
    return out


def _inline_text(token: Token | None) -> str:
    """A heading's text as a reader sees it: escapes resolved, markup and link targets left out."""
    if token is None or not token.children:
        return ""
    parts: list[str] = []
    for child in token.children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return " ".join("".join(parts).split())


def parse_note(text: str, name: str) -> Note:
    """Read a note; raise NoteError with file and line when notegen cannot edit it safely."""
    return parse_body(text, read_head(text, name))


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """Python's cycle collector off while a note is read: reading makes no cycles to collect, and the collector,
    run again and again over a growing heap of tokens, took a third of a long note's parse."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_body(text: str, head: Head) -> Note:
    """The note's sections and blocks, whatever its frontmatter says (`notegen check` reads every note)."""
    lines = _Lines.of(text)
    with no_collection():
        tokens = _MD.parse(text[head.body :])
    blocks = _blocks(tokens, head.body_line)
    sections: list[SectionSpan] = []
    current: list[Block] | None = None
    heading: Block | None = None
    for block in [*blocks, Block("end", len(lines), len(lines))]:
        ends = block.kind == "end" or (block.kind == "heading_open" and block.tag in ("h1", "h2"))
        if ends and heading is not None and current is not None:
            sections.append(_section(text, lines, heading, current, block.first))
            heading, current = None, None
        if block.kind == "heading_open" and block.tag == "h2":
            heading, current = block, []
        elif current is not None:
            current.append(block)
    return Note(text, head, tuple(blocks), tuple(sections), lines, tuple(tokens))


def _units(text: str, lines: _Lines, blocks: list[Block]) -> list[tuple[str, int, int]]:
    """A section's content as (kind, first line, last line): a paragraph line by line, other blocks whole."""
    out: list[tuple[str, int, int]] = []
    for block in blocks:
        if block.kind == "paragraph_open":
            out.extend(("line", i, i + 1) for i in range(block.first, block.last))
        else:
            out.append((block.kind, block.first, block.last))
    return out


def _section(text: str, lines: _Lines, heading: Block, blocks: list[Block], end_line: int) -> SectionSpan:
    """A section's parts. notegen's own lines (marker, tag, figure, the lines under it, its summary) are found
    where they are, and a line the person added between or around them (a link under the marker, a caption
    under the image, a paragraph of their own) is passed over: it is theirs, and no part of the summary."""
    start = lines.starts[heading.first]
    end = lines.starts[end_line] if end_line < len(lines) else len(text)
    heading_end = lines.starts[heading.last] if heading.last < len(lines) else len(text)
    units = _units(text, lines, blocks)

    def source(at: int) -> str:
        return text[lines.starts[units[at][1]] : lines.ends[units[at][2] - 1]]

    def span(at: int, to: int | None = None) -> Span:
        """Units [at, to), or unit `at` alone."""
        last = at if to is None else to - 1
        return (lines.starts[units[at][1]], lines.ends[units[last][2] - 1])

    def quote(at: int) -> str | None:
        found = _QUOTE.match(source(at)) if at < len(units) and units[at][0] == "blockquote_open" else None
        return found.group("what") if found else None

    marker_span = tag = figure = review = doubt = None
    paper = written = reviewed = None
    paragraphs = 1
    number = None
    missing = False
    i = 0
    found = None
    above = 0  # blocks the person put between the heading and the marker
    for k in range(len(units)):
        m = MARKER.fullmatch(source(k).strip()) if units[k][0] == "html_block" else None
        fields = dict(re.findall(r"(\w+)=([0-9a-f]+)", m.group("rest"))) if m else {}
        if m and units[k][2] - units[k][1] == 1:
            # Right under the heading; lower down only with notegen's summary, unedited, after it (a marker
            # pasted elsewhere, or left behind, is not taken for this section's).
            found = _written_run(text, lines, units, k + 1, fields.get("summary"))
            if k == 0 or found is not None:
                marker_span, paper = span(k), m.group("paper")
                written, reviewed = fields.get("summary"), fields.get("review")
                paragraphs = int(fields.get("paragraphs", "1"))
                i = k + 1
            break
        above += _opens_paragraph(units, k)
        if above > _MARKER_REACH or _is_tag_line(units[k], source(k)) or _is_figure(units[k], source(k)):
            break  # past where notegen puts it
    if i == 0:
        found = None
    limit = found[0] if found else len(units)
    at_figure = next((k for k in range(i, limit) if _is_figure(units[k], source(k))), None)
    at_tag = next((k for k in range(i, at_figure or limit) if _is_tag_line(units[k], source(k))), None)
    if at_figure is None and found is None and at_tag is not None and at_tag > i + 1:
        at_tag = None  # no figure to bound the search: a tag line only right under the heading (or one line more)
    after = i if at_tag is None else at_tag + 1
    if at_tag is not None:
        first = HASHTAG.match(source(at_tag))
        assert first is not None
        tag = (lines.starts[units[at_tag][1]], lines.starts[units[at_tag][1]] + first.end())
    if at_figure is not None:
        kind, first_line, _ = units[at_figure]
        image = _IMAGE.match(source(at_figure)) if kind == "line" else None
        if image:
            figure = (lines.starts[first_line], lines.starts[first_line] + image.end())
            alt = _FIGURE_ALT.match(image.group("alt"))
            number = int(alt.group(1)) if alt else None
        else:
            figure, missing = span(at_figure), True
        after = at_figure + 1
        while after < limit and units[after][0] == "line" and units[after - 1][0] == "line":
            if units[after][1] != units[after - 1][2]:
                break
            after += 1  # the rest of the image's paragraph: a caption the person wrote under it
        if quote(after) == FIGURE_DOUBT:
            doubt = span(after)
            after += 1
    at_review = next((k for k in range(after, limit) if quote(k) == REVIEW), None) if found else None
    if at_review is None and quote(after) == REVIEW:
        at_review = after
    if at_review is not None:
        review = span(at_review)
        after = max(after, at_review + 1)
    if found is not None:
        summary = (found[2], found[3])
    elif after < len(units):
        stop = len(units) if written is None else _paragraphs_end(units, after, paragraphs)
        summary = span(after, stop)
    else:
        last = max((p[1] for p in (marker_span, tag, figure, doubt, review) if p), default=heading_end)
        summary = (last, last)
    title = _inline_text(heading.inline)
    return SectionSpan(
        start=start,
        end=end,
        line=heading.first + 1,
        title=title,
        paper=paper,
        written=written,
        reviewed=reviewed,
        marker=marker_span,
        tag=tag,
        figure=figure,
        figure_number=number,
        review=review,
        summary=summary,
        heading_end=heading_end,
        missing_figure=missing,
        source_title=heading.inline.content if heading.inline is not None else "",
        doubt=doubt,
    )


def _is_tag_line(unit: tuple[str, int, int], line: str) -> bool:
    """A line that starts with a tag notegen could have written (the person may add tags or words after it)."""
    if unit[0] != "line":
        return False
    words = line.split()
    return bool(words) and TAG_LINE.match(words[0]) is not None


def _is_figure(unit: tuple[str, int, int], line: str) -> bool:
    if unit[0] == "line":
        return _IMAGE.match(line) is not None
    found = _QUOTE.match(line) if unit[0] == "blockquote_open" else None
    return found is not None and found.group("what") == MISSING_FIGURE


_MARKER_REACH = 5  # blocks the person may put above the marker, under the heading
_ANCHOR = re.compile(r"[ \t]+\^[A-Za-z0-9_-]+[ \t]*$")  # a Dendron block anchor ending a paragraph
_RUN_LIMIT = 200  # units searched for the summary notegen wrote; a section longer than this is the person's


def _written_run(
    text: str, lines: _Lines, units: list[tuple[str, int, int]], first: int, written: str | None
) -> tuple[int, int, int, int] | None:
    """The units [a, b) whose text is exactly the summary notegen wrote (its hash in the marker), wherever the
    person's own lines put it, and where that text begins and ends (without spaces around it, and before a block
    anchor Dendron's "Copy Block Reference" appended, ` ^id`, which are the person's); None when the person
    edited it (or the section is theirs)."""
    if written is None:
        return None
    starts = [k for k in range(first, min(len(units), first + _RUN_LIMIT)) if _opens_paragraph(units, k)]
    for a in starts:
        for b in range(a + 1, min(len(units), a + _RUN_LIMIT) + 1):
            if b < len(units) and not _opens_paragraph(units, b):
                continue  # a summary ends where a paragraph (or block) ends
            start, end = lines.starts[units[a][1]], lines.ends[units[b - 1][2] - 1]
            anchor = _ANCHOR.search(text, start, end)
            for stop in (end, anchor.start()) if anchor else (end,):
                if summary_hash(text[start:stop].replace("\r\n", "\n").replace("\r", "\n")) == written:
                    # The spaces the person put before or after it stay theirs.
                    begin = start + len(text[start:stop]) - len(text[start:stop].lstrip(" \t"))
                    return a, b, begin, start + len(text[start:stop].rstrip(" \t"))
    return None


def _opens_paragraph(units: list[tuple[str, int, int]], k: int) -> bool:
    """Whether unit k starts a block: a paragraph's first line, or any other block."""
    return units[k][0] != "line" or k == 0 or units[k - 1][0] != "line" or units[k - 1][2] != units[k][1]


def _paragraphs_end(units: list[tuple[str, int, int]], first: int, count: int) -> int:
    """The unit after `count` blocks from `first`: the extent of a summary the person edited, as many paragraphs
    as notegen wrote (their paragraphs after it stay theirs)."""
    seen = 0
    for k in range(first, len(units)):
        if _opens_paragraph(units, k):
            seen += 1
            if seen > count:
                return k
    return len(units)


def summary_text(note: Note, section: SectionSpan) -> str:
    return _plain_span(note.text, section.summary)


def _plain_span(text: str, span: Span) -> str:
    return text[span[0] : span[1]].replace("\r\n", "\n").replace("\r", "\n").strip()


def review_is_notegens(note: Note, section: SectionSpan) -> bool:
    """Whether the review block is exactly what notegen wrote (the person may have added to it)."""
    if section.review is None:
        return True
    text = _plain_span(note.text, section.review)
    if section.reviewed:
        return summary_hash(text) == section.reviewed
    return bool(_LEGACY_REVIEW.fullmatch(text))  # written before review lines had their own hash


def edited(note: Note, section: SectionSpan) -> bool:
    """Whether the person changed what regen would replace (the summary, a review line) since notegen wrote
    it; hand-written sections always count as edited."""
    if section.written is None:
        return True
    if summary_hash(summary_text(note, section)) != section.written:
        return True
    return not review_is_notegens(note, section)


def tag_line_edited(note: Note, section: SectionSpan) -> bool:
    """Whether the tag line holds more than the one tag notegen writes (the person added tags or words)."""
    if section.tag is None:
        return False
    line = note.lines.line_of(section.tag[0])
    return note.text[section.tag[1] : note.lines.ends[line]].strip() != ""


_NOTEGEN_IMAGE = re.compile(r"^!\[图 \d+\]\((?:<(?:[^>\n]*/)?[0-9a-f]{64}\.png>|(?:[^)\s]*/)?[0-9a-f]{64}\.png)\)$")


def figure_is_notegens(note: Note, section: SectionSpan) -> bool:
    """Whether the section's figure is one notegen put there (图 N, an image named by its hash) or a line
    notegen wrote in place of one; an image the person chose is theirs."""
    if section.figure is None or section.missing_figure:
        return True
    return _NOTEGEN_IMAGE.match(note.text[section.figure[0] : section.figure[1]]) is not None


# -- editing ------------------------------------------------------------------------------------------


def _with_updated(note: Note, text: str, now_ms: int) -> str:
    """`text` (the note's text, edited only after the frontmatter) with `updated` moved to `now_ms`."""
    if note.head.updated is None:
        raise NoteError("note", "frontmatter 'updated' cannot be moved", note.head.keys.get("updated", 1))
    a, b = note.head.updated
    return text[:a] + str(now_ms) + text[b:]


def open_end(note: Note) -> tuple[int, str] | None:
    """(1-based line, what) of a block that would swallow a section appended at the end of the note: a fence,
    an HTML comment or an HTML block that never closes. None when an appended section would be a section."""
    # Only the last top-level block can still be open: every block before it ended where the next began. So the
    # probe is parsed from there, not from the top of a note of years.
    first = note.blocks[-1].first if note.blocks else note.head.body_line
    start = note.lines.starts[first] if first < len(note.lines) else len(note.text)
    probe = note.text[start:].rstrip("\r\n") + "\n\n\n## notegen probe\n"
    tokens = _MD.parse(probe)
    offset = first - note.head.body_line
    top = [t for t in tokens if t.level == 0 and t.nesting >= 0 and t.map is not None]
    last = top[-1] if top else None
    if last is not None and last.type == "heading_open" and last.tag == "h2":
        return None
    culprit = next((t for t in reversed(top) if t.map is not None), None)
    if culprit is None:
        return None
    line = culprit.map[0] + offset + note.head.body_line + 1 if culprit.map else 1
    what = {
        "fence": "a code fence opened here never closes",
        "html_block": "an HTML comment or block opened here never closes",
        "code_block": "an indented code block here runs to the end of the note",
    }.get(culprit.type, "a block here runs to the end of the note")
    return line, what


def check_appendable(note: Note, name: str) -> None:
    """Raise NoteError (file:line) when a section appended to the note would not be a section of its own."""
    problem = open_end(note)
    if problem is not None:
        raise NoteError(name, problem[1], problem[0], hint="close it, or new sections would fall inside it")


def append_sections(note: Note, sections: list[Section], now_ms: int, name: str = "note") -> str:
    """The note with `sections` added at the end and `updated` moved; every other byte stays as it was."""
    check_appendable(note, name)
    text = note.text
    rest = text[note.head.body :]
    added = "\n\n".join(render_section(s, note.next_figure + i) for i, s in enumerate(sections))
    trailing = rest[len(rest.rstrip("\r\n")) :]
    trailing_newlines = len(_EOL.findall(trailing))
    separator = "\n" * max(0, 3 - trailing_newlines)
    if not rest.strip("\r\n"):
        separator = "\n" * max(0, 2 - trailing_newlines)
    addition = separator + added
    newline = note.newline
    if newline != "\n":
        addition = addition.replace("\n", newline)
    return _with_updated(note, text, now_ms) + addition


def replace_section_parts(
    note: Note,
    section: SectionSpan,
    now_ms: int,
    summary: str,
    review: str | None = None,
    tag: str | None = None,
    figure: str | None = None,
    paper: str | None = None,
    figure_doubt: str | None = None,
) -> str:
    """The note with one section's summary (and review line, tag, figure, marker) replaced and `updated`
    moved; every other byte stays as it was. Parts that are None stay as they are, except the review line,
    which goes when the new summary needs none. `figure` is the image's link (its 图 N stays); with it, the line
    asking to check the figure follows `figure_doubt`."""
    text = note.text
    newline = note.newline
    body = neutral_block(summary)
    new_review = review_line(review) if review else None
    edits: list[tuple[Span, str]] = []
    replaced = body.replace("\n", newline)
    anchor = _ANCHOR.search(text, *section.summary)
    if anchor:  # the person's block anchor (links point at it): it ends the new summary too
        replaced += text[anchor.start() : anchor.end()]
    empty = section.summary[0] == section.summary[1]
    if new_review and (section.review is None or empty):
        replaced = new_review + newline + newline + replaced
    start = section.review[0] if section.review is not None and empty else section.summary[0]
    if start == section.summary[1]:  # nothing there yet: a blank line first
        replaced = newline + newline + replaced
    edits.append(((start, section.summary[1]), replaced))
    if section.review is not None and not empty:  # the review line on its own: what lies between is the person's
        if new_review:
            edits.append((section.review, new_review))
        else:
            gap = _BLANKS_AFTER.match(text, section.review[1])
            edits.append(((section.review[0], gap.end() if gap else section.review[1]), ""))
    if figure is not None:
        edits.append(_figure_edit(note, section, figure))
        edits.extend(_doubt_edits(note, section, figure_doubt))
    if tag is not None and section.tag is not None:
        edits.append((section.tag, f"#{tag}"))
    who = paper or section.paper
    line = marker(who, body, new_review) if who else None
    if line and section.marker is not None:
        edits.append((section.marker, line))
    elif line:  # a hand-written section gets notegen's marker, so it is found again
        edits.append(((section.heading_end, section.heading_end), line + newline))
    for (a, b), new in sorted(edits, key=lambda e: e[0][0], reverse=True):
        text = text[:a] + new + text[b:]
    return _with_updated(note, text, now_ms)


def _doubt_edits(note: Note, section: SectionSpan, reason: str | None) -> list[tuple[Span, str]]:
    """The line under a new figure: notegen's old one replaced or removed; one the person wrote to is left."""
    newline = note.newline
    if section.doubt is not None:
        if _plain_span(note.text, section.doubt) not in {doubt_line(r) for r in DOUBTS.values()}:
            return []
        if reason:
            return [(section.doubt, doubt_line(reason))]
        start = note.lines.ends[note.lines.line_of(section.doubt[0]) - 1]  # with the line ending before it
        return [((start, section.doubt[1]), "")]
    if reason and section.figure is not None and not section.missing_figure:
        end = note.lines.ends[note.lines.line_of(section.figure[0])]
        return [((end, end), newline + doubt_line(reason))]
    return []


def _figure_edit(note: Note, section: SectionSpan, link: str) -> tuple[Span, str]:
    """The edit that shows the image at `link` as the section's figure, keeping its 图 N (or, for a section
    without one, its place in the note) and whatever the person wrote beside the old figure."""
    number = section.figure_number
    if number is None:
        number = next(i for i, s in enumerate(note.sections) if s.start == section.start)
    image, newline = figure_line(number, link), note.newline
    if section.figure is not None and not section.missing_figure:
        return section.figure, image.rstrip()  # the markup only: the rest of its line is the person's
    if section.figure is not None and _LEGACY_MISSING.fullmatch(_plain_span(note.text, section.figure)):
        return section.figure, image
    if section.figure is not None:  # a missing-figure line the person wrote to: the image goes above it
        return (section.figure[0], section.figure[0]), image + newline + newline
    after = (section.tag or section.marker or (section.heading_end, section.heading_end))[1]
    if after == section.heading_end:
        return (after, after), image + newline + newline
    return (after, after), newline + newline + image


# -- what `notegen check` reports about sections ----------------------------------------------------------


def section_problems(note: Note) -> list[tuple[int, str]]:
    """What would confuse notegen (or the person) in a note Dendron reads without complaint: a paper in two
    sections, a marker copied into another section, a marker away from its heading, a block that never closes,
    a heading Dendron and CommonMark read differently."""
    problems: list[tuple[int, str]] = []
    seen_keys: dict[str, SectionSpan] = {}
    seen_titles: dict[str, SectionSpan] = {}
    for section in note.sections:
        first = seen_keys.get(section.key) if section.key else None
        normal = normal_title(section.title)
        if first is not None:
            if normal_title(first.title) == normal:
                problems.append((section.line, f"the same paper as the section at line {first.line}; keep one"))
            else:
                problems.append(
                    (
                        section.line,
                        f"this section carries the marker of {section.paper}, which belongs to the section at line "
                        f"{first.line}; delete the marker line here",
                    )
                )
        elif normal and normal in seen_titles:
            other = seen_titles[normal]
            problems.append((section.line, f"the same paper as the section at line {other.line}; keep one"))
        if section.key:
            seen_keys.setdefault(section.key, section)
        if normal:
            seen_titles.setdefault(normal, section)
    quotes_end = {b.last for b in note.blocks if b.kind == "blockquote_open"}
    for section in note.sections:
        if section.line - 1 in quotes_end:
            problems.append(
                (
                    section.line,
                    "a heading right under a block quote: Dendron shows it inside the quote; add a blank line above",
                )
            )
    placed = {note.lines.line_of(s.marker[0]) for s in note.sections if s.marker}
    for block in note.blocks:
        if block.kind != "html_block" or block.first in placed:
            continue
        if MARKER.search(note.text[note.lines.starts[block.first] : note.lines.ends[block.last - 1]]):
            problems.append(
                (block.first + 1, "a notegen marker away from its place (the line under a '## ' heading) is ignored")
            )
    end = open_end(note)
    if end is not None:
        problems.append(end)
    return problems


def inline_facts(note: Note) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, tag) of every Dendron hashtag and (line, url) of every image, as Dendron's parser finds them:
    nothing inside code, HTML or link targets counts."""
    hashtags: list[tuple[int, str]] = []
    images: list[tuple[int, str]] = []
    for token in note.tokens:
        if token.type != "inline" or token.map is None or not token.children:
            continue
        line = token.map[0] + note.head.body_line + 1
        run: list[tuple[str, int]] = []  # the text since the last other inline construct, with its lines
        for child in [*token.children, Token("end", "", 0)]:
            if child.type == "text":
                run.append((child.content, line))
            elif child.type == "softbreak":
                run.append(("\n", line))
                line += 1
            else:
                hashtags.extend(_run_hashtags(run))
                run = []
                if child.type == "hardbreak":
                    line += 1
                elif child.type == "image":
                    images.append((line, str(child.attrs.get("src", ""))))
    return hashtags, images


def _run_hashtags(run: list[tuple[str, int]]) -> list[tuple[int, str]]:
    """Hashtags in one run of plain text, found as Dendron's locator finds them: the next '#' must be at the
    run's start or after whitespace, and a '#' that is not ends the search in that run."""
    text = "".join(part for part, _ in run)
    lines = [line for part, line in run for _ in part]
    found: list[tuple[int, str]] = []
    at = 0
    while (i := text.find("#", at)) >= 0:
        if i > 0 and not text[i - 1].isspace():
            break
        m = HASHTAG.match(text, i)
        if m:
            found.append((lines[i], m.group("tag")))
            at = m.end()
        else:
            at = i + 1
    return found
