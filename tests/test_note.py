from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notegen import note, settings
from notegen.draft import draft
from notegen.errors import NoteError
from notegen.ids import ArxivId
from notegen.note import Section
from notegen.session import Session

GOLDEN = Path(__file__).parent / "golden"
SEED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "seed-note.md"


@pytest.mark.shared
@pytest.mark.e2e
def test_golden_note_from_the_whole_pipeline(arxiv, llm, workspace):
    """Fixed clock and id: the note's bytes, figure, no-figure line and all, are exactly the golden file."""
    with Session(
        settings.load(workspace),
        clock=lambda: 1706621579616,
        new_id=lambda: "mi98ob89obmd0e8wpfu7tal",
    ) as session:
        result = draft(session, [ArxivId("1512.03385"), ArxivId("2603.12231")], date(2024, 1, 30))

    assert result.failures == []
    written = (workspace / "notes" / "papers.20240130.md").read_text(encoding="utf-8")
    assert written == (GOLDEN / "papers.20240130.md").read_text(encoding="utf-8")


@pytest.mark.shared
def test_frontmatter_is_byte_for_byte_the_seeds_shape():
    seed_head = SEED.read_text(encoding="utf-8").split("---\n")[1]
    ours = note.render_frontmatter("mi98ob89obmd0e8wpfu7tal", date(2024, 1, 30), 1706621579616, 1706623489645)
    assert ours == "---\n" + seed_head + "---\n"


@pytest.mark.shared
def test_the_seed_itself_parses():
    parsed = note.parse_note(SEED.read_text(encoding="utf-8"), "seed-note.md")
    assert parsed.note_id == "mi98ob89obmd0e8wpfu7tal"
    assert parsed.created == 1706621579616
    assert parsed.next_figure == 5
    assert parsed.papers == frozenset()
    assert [s.title for s in parsed.sections][-1] == (
        "FreeStyle: Free Lunch for Text-guided Style Transfer using Diffusion Models"
    )
    assert [s.figure_number for s in parsed.sections] == [0, 1, 2, 3, 4]


@pytest.mark.shared
def test_appending_to_the_seed_keeps_every_byte_but_updated():
    seed = SEED.read_text(encoding="utf-8")
    parsed = note.parse_note(seed, "seed")
    section = Section("arxiv:2401.99999v1", "New Paper", "MLLM", "这篇论文试图解决的问题是……", "../images/x.png")

    out = note.append_sections(parsed, [section], 1706700000000)

    assert out.startswith(seed.replace("updated: 1706623489645", "updated: 1706700000000"))
    assert out[len(seed) :] == "\n\n\n" + note.render_section(section, 5)
    assert "![图 5](../images/x.png)  \n" in out


def test_crlf_note_stays_crlf():
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, [Section("pdf:1", "T", "t", "S", None, "none")])
    crlf = text.replace("\n", "\r\n")
    out = note.append_sections(note.parse_note(crlf, "n"), [Section("pdf:2", "U", "t", "S2")], 5)
    assert out.startswith(crlf.replace("updated: 1", "updated: 5"))
    assert "\n" not in out.replace("\r\n", "")


def test_summary_cannot_open_a_section_or_fake_a_marker():
    section = Section("pdf:1", "T", "t", "第一段\n## 不是标题\n<!-- notegen paper=arxiv:1 -->\n  # x")
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, [section])
    assert text.count("\n## ") == 1
    assert note.parse_note(text, "n").papers == frozenset({"pdf:1"})
    assert "\\## 不是标题" in text


def test_marker_inside_a_code_block_is_ignored():
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, [Section("pdf:1", "T", "t", "S")])
    text += "\n```\n## code\n<!-- notegen paper=arxiv:2401.00001 summary=0 -->\n```\n"
    parsed = note.parse_note(text, "n")
    assert parsed.papers == frozenset({"pdf:1"})
    assert [s.title for s in parsed.sections] == ["T"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no frontmatter\n", "n:1: the note does not start with '---' frontmatter"),
        ("---\nid: x\n", "n:1: the frontmatter has no closing '---'"),
        ("---\nid: x\ntitle: [x\ncreated: 1\n---\n", "n:3: broken YAML in the frontmatter"),
        ("---\nid: x\ntitle: '1'\nupdated: 1\n---\n", "n:1: frontmatter has no 'created'"),
        ("---\nid: x\ncreated: soon\nupdated: 1\n---\n", "n:3: frontmatter 'created' is not a whole number"),
    ],
)
def test_unreadable_notes_are_refused_with_file_and_line(text, message):
    with pytest.raises(NoteError) as info:
        note.parse_note(text, "n")
    assert str(info.value).startswith(message)


def test_new_ids_are_dendron_nanoids():
    ids = {note.new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 23 and set(i) <= set("0123456789abcdefghijklmnopqrstuvwxyz") for i in ids)


def test_summary_words_never_become_hashtags():
    section = Section("pdf:1", "T", "t", "利用 #注意力 机制，C# 与 #1 不受影响")
    text = note.render_section(section, 0)
    assert "利用 \\#注意力 机制，C# 与 #1 不受影响\n" in text
    assert [m.group("tag") for m in note.HASHTAG.finditer(text)] == ["t"]


def test_regen_with_a_new_figure_replaces_or_removes_notegens_doubt_line_and_keeps_the_persons():
    doubtful = Section(
        "pdf:1",
        "T",
        "t",
        "这篇论文试图解决的问题是……",
        "../images/a.png",
        figure_doubt=note.DOUBTS["far from its caption"],
    )
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, [doubtful])
    parsed = note.parse_note(text, "n")
    section = parsed.sections[0]
    assert section.doubt is not None and not note.edited(parsed, section)

    sure = note.replace_section_parts(parsed, section, 2, "这篇论文试图解决的问题是新的。", figure="../images/b.png")
    assert "请核对关键图" not in sure and "![图 0](../images/b.png)  \n\n这篇论文" in sure

    other = note.replace_section_parts(
        parsed,
        section,
        2,
        "这篇论文试图解决的问题是新的。",
        figure="../images/b.png",
        figure_doubt=note.DOUBTS["the page edge"],
    )
    assert (
        "![图 0](../images/b.png)  \n> **请核对关键图**（notegen）：截图贴到了页面边缘，可能多截了页面内容\n\n" in other
    )

    mine = text.replace("请确认这就是该图", "请确认这就是该图——我看过了，没问题")
    kept = note.replace_section_parts(
        note.parse_note(mine, "n"), note.parse_note(mine, "n").sections[0], 2, "新", figure="../images/b.png"
    )
    assert "我看过了，没问题" in kept


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_paragraphs_the_person_wrote_after_notegens_summary_stay_theirs_through_regen(newline):
    summary = "这篇论文试图解决的问题是旧的。\n\n第二段也是 notegen 写的。"
    sections = [Section("pdf:1", "T", "t", summary, "../images/a.png"), Section("pdf:2", "U", "t", "另一篇。")]
    mine = "\n\n我的想法：和残差网络很像。\n\n- 要读第 3 节\n- 代码在附录\n\n> 引一句原文"
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, sections)
    text = text.replace("第二段也是 notegen 写的。", "第二段也是 notegen 写的。" + mine).replace("\n", newline)
    parsed = note.parse_note(text, "n")
    section = parsed.sections[0]
    assert not note.edited(parsed, section)  # notegen's paragraphs are as it wrote them; the rest is the person's

    once = note.replace_section_parts(parsed, section, 2, "这篇论文试图解决的问题是新的。")
    again = note.parse_note(once, "n")
    assert mine.replace("\n", newline) in once and "旧的" not in once and "第二段" not in once
    assert not note.edited(again, again.sections[0])
    twice = note.replace_section_parts(again, again.sections[0], 3, "这篇论文试图解决的问题是第三版。")
    assert mine.replace("\n", newline) in twice and "新的" not in twice
    assert twice.count("另一篇。") == 1


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("旧的。", "旧的。\n我接着写的一行。"),  # same paragraph: an edit of notegen's text
        lambda s: s.replace("旧的。", "旧的，我改过。") + "\n\n我的段落。",  # changed, and a paragraph after
    ],
    ids=["line under it", "changed and added"],
)
def test_a_summary_the_person_changed_is_still_edited_whatever_else_they_added(edit):
    text = note.render_note(
        "a" * 23, date(2024, 1, 30), 1, [Section("pdf:1", "T", "t", "这篇论文试图解决的问题是旧的。")]
    )
    parsed = note.parse_note(edit(text), "n")
    assert note.edited(parsed, parsed.sections[0])


def test_forcing_over_an_edited_summary_replaces_as_many_paragraphs_as_notegen_wrote():
    summary = "这篇论文试图解决的问题是旧的。\n\n第二段。"
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, [Section("pdf:1", "T", "t", summary, "../images/a.png")])
    assert "paragraphs=2" in text
    text = text.replace("旧的。", "旧的，我改过。") + "\n我的段落。\n\n> 我的引文\n"
    parsed = note.parse_note(text, "n")
    section = parsed.sections[0]
    assert note.edited(parsed, section)
    out = note.replace_section_parts(parsed, section, 2, "这篇论文试图解决的问题是新的。")
    assert "我改过" not in out and "第二段" not in out
    assert out.endswith("这篇论文试图解决的问题是新的。\n\n我的段落。\n\n> 我的引文\n")


# What a person adds around notegen's lines, as Dendron users do: each stays, byte for byte, through regen.
AROUND = {
    "link under the marker": ("-->\n", "-->\n[arXiv](https://arxiv.org/abs/2401.16420) · 读于组会\n"),
    "second tag": ("\n#t\n", "\n#t #to_read\n"),
    "caption under the image": (".png)  \n", ".png)  \n图：整体框架（我的注）\n"),
    "paragraph before the summary": ("\n这篇论文试图", "\n我先写一段。\n\n这篇论文试图"),
    "paragraph after": ("旧的。\n", "旧的。\n\n读后感：值得复现。\n"),
    "block anchor": ("旧的。\n", "旧的。 ^summary\n"),  # Dendron's "Copy Block Reference" appends one
    "spaces around the summary": ("\n这篇论文试图解决的问题是旧的。\n", "\n  这篇论文试图解决的问题是旧的。\t \n"),
    "link line right after": ("旧的。\n", "旧的。\n\n[代码](https://github.com/x/y)\n"),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("where", list(AROUND))
def test_lines_the_person_added_around_notegens_are_theirs_and_the_summary_is_still_notegens(where, newline):
    text = note.render_note(
        "a" * 23,
        date(2024, 1, 30),
        1,
        [Section("pdf:1", "T", "t", "这篇论文试图解决的问题是旧的。", "../images/a.png")],
    )
    old, new = AROUND[where]
    assert text.count(old) == 1
    text = text.replace(old, new).replace("\n", newline)
    parsed = note.parse_note(text, "n")
    section = parsed.sections[0]
    assert not note.edited(parsed, section)
    assert note.summary_text(parsed, section) == "这篇论文试图解决的问题是旧的。"
    assert parsed.text[section.tag[0] : section.tag[1]] == "#t"
    out = note.replace_section_parts(
        parsed, section, 2, "这篇论文试图解决的问题是新的。", tag="u", figure="../images/b.png"
    )
    expected = text.replace("旧的", "新的").replace("#t", "#u", 1).replace("../images/a.png", "../images/b.png")
    expected = expected.replace(
        note.marker("pdf:1", "这篇论文试图解决的问题是旧的。"), note.marker("pdf:1", "这篇论文试图解决的问题是新的。")
    )
    assert out == expected.replace("updated: 1", "updated: 2")


# What a person writes between notegen's lines: each a block of its own (a blank line around it), or a line
# glued under the image (a caption). None of them is a tag line or an image, which notegen would take for its own.
THEIRS = st.sampled_from(
    [
        "[arXiv](https://arxiv.org/abs/2401.16420) · 读于组会",
        "我的想法：和残差网络很像。",
        "> 引一句原文",
        "- 要读第 3 节\n- 代码在附录",
        "<!-- my own comment -->",
        "**重点**：第 4 节的消融实验",
    ]
)
SLOTS = ["after the heading", "after the marker", "after the tag", "after the image", "after the summary"]


@given(st.lists(st.tuples(st.sampled_from(SLOTS), THEIRS), max_size=5), st.booleans())
def test_regen_keeps_whatever_the_person_put_between_notegens_lines(insertions, caption):
    summary = "这篇论文试图解决的问题是旧的。\n\n第二段。"
    text = note.render_note(
        "a" * 23,
        date(2024, 1, 30),
        1,
        [Section("pdf:1", "T", "t", summary, "../images/a.png"), Section("pdf:2", "U", "u", "另一篇。")],
    )
    anchors = {
        "after the heading": "## T\n",
        "after the marker": "-->\n",
        "after the tag": "#t\n",
        "after the image": "a.png)  \n",
        "after the summary": "第二段。\n",
    }
    for slot, theirs in insertions:
        at = text.index(anchors[slot]) + len(anchors[slot])
        text = text[:at] + "\n" + theirs + "\n\n" + text[at:]
    if caption:
        at = text.index("a.png)  \n") + len("a.png)  \n")
        text = text[:at] + "图注：整体框架\n" + text[at:]
    parsed = note.parse_note(text, "n")
    section = parsed.sections[0]
    assert not note.edited(parsed, section)
    out = note.replace_section_parts(parsed, section, 2, "这篇论文试图解决的问题是新的。")
    old_marker = note.marker("pdf:1", summary)
    expected = text.replace(old_marker, note.marker("pdf:1", "这篇论文试图解决的问题是新的。"))
    expected = expected.replace(summary, "这篇论文试图解决的问题是新的。").replace("updated: 1", "updated: 2")
    assert out == expected


@pytest.mark.parametrize("new_review", [None, "回答仍不可用"])
def test_a_paragraph_between_the_review_line_and_the_summary_is_the_persons(new_review):
    section = Section("pdf:1", "T", "t", note.PLACEHOLDER, "../images/a.png", review="回答不可用")
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, [section, Section("pdf:2", "U", "u", "另一篇。")])
    mine = "我的想法：先看第 3 节。\n\n- 要点一\n\n"
    text = text.replace(note.PLACEHOLDER, mine + note.PLACEHOLDER)
    parsed = note.parse_note(text, "n")
    assert not note.edited(parsed, parsed.sections[0])

    out = note.replace_section_parts(parsed, parsed.sections[0], 2, "这篇论文试图解决的问题是新的。", review=new_review)

    assert mine + "这篇论文试图解决的问题是新的。\n" in out
    assert "回答不可用" not in out and (new_review is None or f"（notegen）：{new_review}\n\n{mine}" in out)
    again = note.parse_note(out, "n")
    assert not note.edited(again, again.sections[0]) and again.sections[1].title == "U"


def test_a_block_anchor_ends_the_summary_that_replaces_an_edited_one():
    text = note.render_note(
        "a" * 23, date(2024, 1, 30), 1, [Section("pdf:1", "T", "t", "这篇论文试图解决的问题是旧的。")]
    )
    text = text.replace("旧的。", "旧的，我改过。 ^my-anchor")
    parsed = note.parse_note(text, "n")
    assert note.edited(parsed, parsed.sections[0])

    out = note.replace_section_parts(parsed, parsed.sections[0], 2, "这篇论文试图解决的问题是新的。")

    assert out.endswith("这篇论文试图解决的问题是新的。 ^my-anchor\n")


HEADS = [
    "---\nid: abc\ntitle: '20240130'\ndesc: ''\nupdated: 1706600000000\ncreated: 1706600000000\n---\n",
    "---\r\nid: abc\r\ntitle: \"20240130\"\r\ndesc: ''\r\nupdated: 1706600000000\r\ncreated: 1\r\n---\r\n",
    "---\nid: abc\nupdated: '1706600000000'\ncreated: 1\n---\n",  # quoted: not replaced in place
    "---\nid: abc\nupdated: 0x10\ncreated: 1\ntags: [a, b]\nnested:\n  k: v\n---\n",
    "---\nid: abc\nid: def\nupdated: 1\ncreated: 1\n---\n",  # given twice
    "---\nid: [abc\nupdated: 1\n---\n",  # broken
    "---\n# only a comment\n---\n",
    "---\nid: 中文\ntitle: '论文'\nupdated: 1706600000000\ncreated: 1\n---\n",
    "---\nid: abc\nupdated: >-\n  17066\ncreated: 1\n---\n",
]


@pytest.mark.parametrize("text", HEADS)
def test_frontmatter_reads_the_same_with_libyaml_and_without(text, monkeypatch):
    """libyaml reads a note of years' frontmatter twenty times faster; what notegen makes of it is the same."""
    fast = note.head_problems(text + "body\n")
    monkeypatch.setattr(note, "_FastLoader", note._StrictLoader)
    assert fast == note.head_problems(text + "body\n")
