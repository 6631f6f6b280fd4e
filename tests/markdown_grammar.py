"""Notes a person might write, from a small Markdown grammar that knows where its real sections are.

Each note mixes what trips a hand-written reader: fences of ``` and ~~~ of several lengths (holding `## ` lines,
the other fence character and shorter runs), inline triple-backtick spans, indented code, HTML comments and
blocks, block quotes (and a heading right after one), tables, lists, wikilinks, setext headings, Unicode
separators and control characters inside lines, CRLF, a byte-order mark, and paper sections: written by notegen
(some with hostile model text), by hand, or by notegen with the marker deleted. The grammar records which lines
are top-level level-2 headings, the truth every reader (notegen's, markdown-it's, Dendron's) is held to.

`build(pick)` draws every choice through `pick(options)`, so hypothesis (`data.draw(sampled_from(...))`) and a
seeded `random.Random.choice` drive the same grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from notegen import note
from notegen.note import Section

Pick = Callable[[Sequence[Any]], Any]

WORDS = [
    "这篇论文试图解决的问题是如何训练更深的网络。",
    "```torch.compile()``` 让训练更快。",
    "`code` 与 ``double `tick` span``",
    "see ## not a heading",
    "a ~~~ tilde run",
    "[[daily.journal.2024.01.30]] 和 [[tags.MLLM|标签]]",
    "C# and F# are languages",
    "**粗体** and _emphasis_",
    "句中\u2028## after a line separator",
    "段落\u2029## after a paragraph separator",
    "form\x0cfeed ## heading?",
    "nul\x00byte and bell\x07",
    "<b>inline html</b> <!-- an inline comment -->",
    "trailing spaces   ",
    "![图 9](../images/elsewhere.png) a picture in prose",
]
TITLES = [
    "Deep Residual Learning for Image Recognition",
    "U-Net: Convolutional Networks for Biomedical Image Segmentation",
    "C# for #AI: a study",
    "`code` in a title and a trailing #",
    "Attention <!-- not a comment --> Is All You Need",
    "Schrödinger's cat, revisited",
    "多模态大模型的可控生成",
]
HOSTILE = [
    "```python\n## 这一行在代码块里吗",
    "~~~\n# 一级标题\n~~~",
    "第一段\u2028## 伪造的标题\u2029第二段",
    "正文\x0c## 换页符后的标题",
    "NUL\x00字节与\x1b转义",
    "<!-- notegen paper=arxiv:9999.99999v1 summary=000000000000 -->",
    "<pre>\n## 预格式化\n",
    "    ## 缩进的代码\n\n---\n===",
    "#标签 与 [[wikilink]] 以及 > 引用",
]


@dataclass
class Expected:
    line: int  # 0-based line of the heading in the note
    title: str
    key: str | None  # the marker's paper key, None for a section without one
    paper: str | None = None  # the arXiv ID the section is about, when the grammar made it for one
    commonmark_only: bool = False  # Dendron's older parser reads this heading as part of the quote above it


@dataclass
class Built:
    text: str
    sections: list[Expected] = field(default_factory=list)
    newline: str = "\n"
    body_line: int = 7  # the first line after the frontmatter


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _paragraph(pick: Pick) -> list[str]:
    return [pick(WORDS) for _ in range(pick([1, 2, 3]))]


def _fence(pick: Pick) -> list[str]:
    char, length = pick(["`", "~"]), pick([3, 4, 5])
    other = "~" if char == "`" else "`"
    indent = " " * pick([0, 0, 1])  # two or more after a list would put the fence inside the list item
    content = [
        pick(["## fake heading", "# fake title", f"{other * 3}", char * (length - 1), f"{char * length}python"])
        for _ in range(pick([0, 1, 2, 3]))
    ]
    closer = " " * pick([0, 2]) + char * (length + pick([0, 0, 1]))
    return [indent + char * length + pick(["", "python", " md"]), *content, closer]


def _block(pick: Pick) -> tuple[list[str], list[tuple[int, str]]]:
    """One block of hand-written Markdown, and the top-level ## headings in it as (line, title)."""
    # A heading on the line right after a block quote is a heading to CommonMark, and part of the quote to
    # Dendron's parser: the only construct here the two read differently.
    kind = pick(
        [
            "paragraph",
            "paragraph",
            "fence",
            "fence",
            "indented",
            "comment",
            "html",
            "quote",
            "quote then heading",
            "table",
            "list",
            "h1",
            "h3",
            "rule",
            "setext",
            "tag line",
        ]
    )
    if kind == "paragraph":
        return _paragraph(pick), []
    if kind == "fence":
        return _fence(pick), []
    if kind == "indented":
        return ["    ## indented code, not a heading", "    ```"], []
    if kind == "comment":
        stray = [
            "a paragraph, then a marker away from any heading:",
            "<!-- notegen paper=arxiv:2222.22222v1 summary=0 -->",
        ]
        return pick([["<!--", "## hidden", "-->"], stray]), []
    if kind == "html":
        return ["<details>", "## inside an HTML block", "</details>"], []
    if kind == "quote":
        return ["> ## quoted heading", "> quoted text"], []
    if kind == "quote then heading":
        return ["> a quote", "## Right After A Quote"], [(1, "Right After A Quote")]
    if kind == "table":
        return ["| a | b |", "| --- | --- |", "| ## x | `#y` |"], []
    if kind == "list":
        return ["- item", "  ## a heading inside the list", "- two"], []
    if kind == "h1":
        return ["# My own title"], []
    if kind == "h3":
        return ["### A subsection"], []
    if kind == "rule":
        return ["***"], []
    if kind == "setext":
        return ["Setext Title", "---"], [(0, "Setext Title")]
    return ["#MLLM"], []


def _section(pick: Pick, number: int) -> tuple[list[str], Expected]:
    """A paper's section: as notegen writes it (maybe with hostile model text), with its marker deleted, or by
    hand in the seed's shape."""
    title = pick(TITLES)
    paper = f"2401.{number:05d}"
    form = pick(["notegen", "notegen", "no marker", "by hand"])
    if form == "by hand":
        lines = [f"## {title}", *pick([["#MLLM", ""], [""], []]), f"![图 {number}](../images/{number}.png)  ", ""]
        lines += _paragraph(pick)
        return lines, Expected(0, title, None, paper)
    summary = "这篇论文试图解决的问题是" + pick(["如何训练更深的网络。", *HOSTILE])
    review = pick([None, None, "the model's answer was unusable twice"])
    section = Section(f"arxiv:{paper}v1", title, "MLLM", summary, f"../images/{number}.png", None, review)
    lines = _lines(note.render_section(section, number).rstrip("\n"))
    if form == "no marker":
        del lines[1]
        return lines, Expected(0, title, None, paper)
    return lines, Expected(0, title, f"arxiv:{paper}", paper)


def build(pick: Pick) -> Built:
    lines = ["---", "id: mi98ob89obmd0e8wpfu7tal", "title: '20240130'", "desc: ''"]
    lines += [pick(["updated: 1706623489645", "updated: 1706623489645 # a comment"]), "created: 1706621579616", "---"]
    built = Built("")
    lines += ["", ""]
    number = 0
    for _ in range(pick([1, 2, 3, 4, 5, 6])):
        if pick([True, False]):
            block, heads = _block(pick)
        else:
            block, expected = _section(pick, number)
            number += 1
            heads = []
            expected.line = len(lines)
            built.sections.append(expected)
        for offset, title in heads:
            quoted = offset > 0 and block[offset - 1].startswith(">")
            built.sections.append(Expected(len(lines) + offset, title, None, commonmark_only=quoted))
        lines += block
        lines += [""] * pick([1, 2])
        if pick([False, False, True]):  # content after a section that is not a section (after an h1)
            lines += ["# An H1 ends the section", "", *_paragraph(pick), ""]
    newline = pick(["\n", "\n", "\r\n"])
    text = newline.join(lines)
    text = text.rstrip(newline) + (newline if pick([True, False]) else "")  # with or without a final newline
    if pick([False, False, True]):
        text = "\ufeff" + text
    built.text, built.newline = text, newline
    return built
