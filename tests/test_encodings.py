"""Files a Windows editor saved: notes, prompts, notegen.toml, dendron.yml and manifests in UTF-8 with a byte-order
mark, UTF-16 or GB18030 are read as what they say; a note notegen adds to keeps its encoding, byte-order mark and
line endings; a file that is no text is refused with its name and the fix, and `notegen review` says why."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notegen import textfile
from notegen.summarize import default_prompts_dir

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
DAY2 = Path("notes/papers.20240131.md")
NL = b"\n"
NOT_TEXT = "not UTF-8, UTF-16 or GB18030 text (byte {}); save it as UTF-8"

# How editors on Windows save text: Notepad's "UTF-8 with BOM" and "Unicode" (UTF-16 LE), "Unicode big endian",
# and the ANSI code page of Chinese Windows (GBK, read as its superset GB18030).
SAVED_AS = {
    "utf-8-bom": textfile.Encoding("utf-8", bom=True),
    "utf-16-le": textfile.Encoding("utf-16-le", bom=True),
    "utf-16-be": textfile.Encoding("utf-16-be", bom=True),
    "gb18030": textfile.Encoding("gb18030"),
}


def saved(text: str, how: str) -> bytes:
    return SAVED_AS[how].encode(text)


def updated_moved(text: str) -> str:
    return re.sub(r"(?m)^updated: \d+", "updated: <moved>", text)


# -- the reader -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["utf-8", *SAVED_AS])
def test_each_encoding_reads_back_exactly_and_writes_the_same_bytes(how):
    text = "---\r\ntitle: '20240130'\r\n---\r\n## Schrödinger 方程\r\n这篇论文试图解决的问题是……\n"
    data = text.encode("utf-8") if how == "utf-8" else saved(text, how)

    read, encoding = textfile.decode(data, "n.md")

    assert read == text  # line endings as they were, no byte-order mark in the text
    assert encoding == SAVED_AS.get(how, textfile.UTF8)
    assert encoding.encode(read) == data


@pytest.mark.parametrize(
    ("data", "offset", "line"),
    [
        (b"---\nid: x\n---\ncaf\xe9\n", 17, 4),  # Latin-1: GB18030 takes no line feed after a lead byte
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 0, 1),  # binary: UTF-8 fails at once, and NULs are no text
        (b"ok\n\xb7\xbd\xb3\xcc\x00\n", 3, 2),  # GB18030 letters, but a NUL too
        (b"\xef\xbb\xbfok\n\xff\n", 6, 2),  # a byte-order mark promises UTF-8
        (b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8", 6, 1),  # UTF-16 with half a surrogate pair
        ("ok\n".encode("utf-32"), 2, 1),  # UTF-32: its byte-order mark starts as UTF-16 LE's
    ],
)
def test_bytes_that_are_no_text_are_named_with_where_and_the_fix(data, offset, line):
    with pytest.raises(textfile.NotText) as caught:
        textfile.decode(data, "notes/x.md")

    assert str(caught.value) == f"notes/x.md:{line}: {NOT_TEXT.format(offset)}"
    assert (caught.value.path, caught.value.offset, caught.value.line) == ("notes/x.md", offset, line)


@given(st.binary(max_size=64))
def test_whatever_is_read_as_text_writes_back_as_the_same_bytes(data):
    try:
        text, encoding = textfile.decode(data, "x")
    except textfile.NotText:
        return
    assert encoding.encode(text) == data
    if encoding.codec == "gb18030":
        assert not any(b < 0x20 and b not in b"\t\n\v\f\r" for b in data)


# -- prompts, settings, manifests -------------------------------------------------------------------------------


def test_a_prompt_saved_as_gb18030_is_the_prompt_the_model_gets(arxiv, llm, workspace, run):
    own = "请特别留意论文的实验设置。\r\n" + (default_prompts_dir() / "paper.md").read_text(encoding="utf-8")
    (workspace / "prompts").mkdir()
    (workspace / "prompts" / "paper.md").write_bytes(own.encode("gb18030"))

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0, r.err
    user = next(m["content"] for m in llm.chats[0]["messages"] if m["role"] == "user")
    assert user.startswith("请特别留意论文的实验设置。\r\n<paper>\n标题：Deep Residual Learning")


def test_a_prompt_that_is_no_text_is_named_before_anything_is_fetched(arxiv, llm, workspace, run):
    (workspace / "prompts").mkdir()
    (workspace / "prompts" / "paper.md").write_bytes(b"<paper>\n\x00\x9c\x00\n")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err == f"error: {Path('prompts/paper.md')}:2: {NOT_TEXT.format(9)}\n"
    assert llm.chats == []


@pytest.mark.parametrize("how", ["utf-8-bom", "utf-16-le", "gb18030"])
def test_a_notegen_toml_saved_by_notepad_is_read(arxiv, workspace, run, how):
    config = '# 每天一篇笔记\r\nnote_name = "daily.{yyyy}.{mm}.{dd}"\r\n'
    (workspace / "notegen.toml").write_bytes(saved(config, how))

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == str(Path("notes/daily.2024.01.30.md"))


def test_a_notegen_toml_that_is_no_text_is_named(workspace, run):
    (workspace / "notegen.toml").write_bytes(b'model = "x"\n\x00\xff')

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 2
    assert r.err == f"error: notegen.toml:2: {NOT_TEXT.format(13)}\n"


@pytest.mark.parametrize("how", ["utf-8-bom", "utf-16-le"])
def test_a_dendron_yml_saved_by_notepad_names_the_vault(arxiv, workspace, run, how):
    config = "version: 5\r\nworkspace:\r\n  vaults:\r\n    - fsPath: papers\r\n      name: papers\r\n"
    (workspace / "dendron.yml").write_bytes(saved(config, how))

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == str(Path("papers/papers.20240130.md"))


MANIFEST = "# 一月的论文\r\n2024-01-30 1512.03385 1505.04597\r\n2024-01-31 1612.03144\r\n"


@pytest.mark.parametrize("how", ["utf-8-bom", "utf-16-le", "utf-16-be", "gb18030"])
def test_a_manifest_saved_by_notepad_or_a_spreadsheet_is_read(arxiv, workspace, run, how):
    Path("days.txt").write_bytes(saved(MANIFEST, how))

    r = run("backfill", "days.txt", "--dry-run")

    assert r.code == 0, r.err
    assert r.err == "2 days, 3 papers: 3 to draft on 2 days, 0 already in notes\n"


def test_a_spreadsheets_unicode_text_export_is_read(arxiv, workspace, run):
    """Excel's "Unicode Text (*.txt)": UTF-16 LE with a byte-order mark, tab-separated, CRLF."""
    Path("days.txt").write_bytes(saved("date\tid\r\n2024-01-30\t1512.03385\r\n2024-01-30\t1505.04597\r\n", "utf-16-le"))

    r = run("backfill", "days.txt", "--dry-run")

    assert r.code == 0, r.err
    assert r.err == "1 days, 2 papers: 2 to draft on 1 days, 0 already in notes\n"


def test_a_manifest_that_is_no_text_is_named(arxiv, workspace, run):
    Path("days.xlsx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5\x9c")

    r = run("backfill", "days.xlsx", "--dry-run")

    assert r.code == 2
    assert r.err == f"error: days.xlsx:1: {NOT_TEXT.format(14)}\n"


# -- notes ----------------------------------------------------------------------------------------------------


def hand_written(run, how: str, crlf: bool = True) -> bytes:
    """The day's note drafted, then a line added by hand and saved by the person's editor `how`."""
    assert run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm").code == 0
    text = NOTE.read_text(encoding="utf-8") + "\n读后感：残差连接让很深的网络也能训练。\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    NOTE.write_bytes(saved(text, how))
    return NOTE.read_bytes()


@pytest.mark.parametrize("how", list(SAVED_AS))
def test_a_section_added_to_a_note_keeps_its_encoding_and_byte_order_mark(arxiv, workspace, run, how):
    before = hand_written(run, how)

    r = run("draft", "1505.04597", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    after = NOTE.read_bytes()
    encoding = SAVED_AS[how]
    text = textfile.decode(after, "n")[0]
    assert encoding.encode(text) == after and after.startswith(codecs.BOM_UTF8) == (how == "utf-8-bom")
    old = textfile.decode(before, "n")[0]
    assert updated_moved(text).startswith(updated_moved(old))  # every byte the person had, CRLF and all
    assert "## U-Net: Convolutional Networks" in text[len(old) :]


@pytest.mark.parametrize("how", ["utf-8-bom", "gb18030"])
def test_regen_in_a_note_keeps_its_encoding(arxiv, llm, workspace, run, how):
    before = hand_written(run, how, crlf=False)

    r = run("regen", "1512.03385")

    assert r.code == 0, r.err
    after = NOTE.read_bytes()
    text = textfile.decode(after, "n")[0]
    assert SAVED_AS[how].encode(text) == after
    assert "待填写" not in text and "读后感：残差连接让很深的网络也能训练。" in text
    assert after != before


def test_regen_without_a_date_reads_a_note_of_another_day_saved_as_gb18030(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    assert run("draft", "1505.04597", "--date", "2024-01-31").code == 0
    DAY2.write_bytes(DAY2.read_text(encoding="utf-8").encode("gb18030"))
    other = DAY2.read_bytes()

    r = run("regen", "1512.03385")

    assert r.code == 0, r.err
    assert r.out.splitlines() == [str(NOTE)]
    assert DAY2.read_bytes() == other


def test_regen_without_a_date_leaves_out_a_note_that_is_no_text_unless_a_paper_may_be_there(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    assert run("draft", "1505.04597", "--date", "2024-01-31").code == 0
    broken = DAY2.read_bytes() + b"\n\xff\x00\n"
    DAY2.write_bytes(broken)

    found = run("regen", "1512.03385")
    lost = run("regen", "1505.04597")

    assert found.code == 0, found.err
    assert found.out.splitlines() == [str(NOTE)]
    assert lost.code == 2
    assert (
        lost.err == f"error: {DAY2}:{broken.count(NL)}: {NOT_TEXT.format(len(broken) - 3)}\n"
    )  # refused before arXiv is asked
    assert DAY2.read_bytes() == broken


def test_review_lists_a_note_saved_as_gb18030_and_says_why_a_note_cannot_be_read(arxiv, workspace, run):
    hand_written(run, "gb18030")
    DAY2.write_bytes(b"---\nid: x\n---\n\xff\x00\n")
    broken = Path("notes/papers.20240201.md")
    broken.write_text("---\nid: abc\ntitle: '20240201'\ndesc: '\n---\n", encoding="utf-8")

    r = run("review")
    as_json = run("review", "--json")

    assert r.code == 1
    assert r.out.splitlines() == [
        f"{NOTE}:18: placeholder: Deep Residual Learning for Image Recognition",
        f"{DAY2}:4: unreadable note: {NOT_TEXT.format(14)}",
        f"{broken}:4: unreadable note: broken YAML in the frontmatter (found unexpected end of stream); fix it by hand",
    ]
    reasons = [json.loads(line)["reason"] for line in as_json.out.splitlines()]
    assert reasons[1:] == [
        NOT_TEXT.format(14),
        "broken YAML in the frontmatter (found unexpected end of stream); fix it by hand",
    ]


def test_a_day_note_that_is_no_text_is_refused_and_left_alone(arxiv, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm").code == 0
    broken = NOTE.read_bytes() + b"\ncaf\xe9\n"
    NOTE.write_bytes(broken)

    r = run("draft", "1505.04597", "--date", "2024-01-30", "--no-llm")

    assert r.code == 2
    assert r.err == f"error: {NOTE}:{broken.count(NL)}: {NOT_TEXT.format(len(broken) - 2)}\n"
    assert NOTE.read_bytes() == broken


def test_check_names_the_notes_dendron_misreads(workspace, run):
    assert run("init", ".").code == 0
    head = "---\nid: {}\ntitle: '{}'\ndesc: ''\nupdated: 1706621579616\ncreated: 1706621579616\n---\n\n"
    body = "## 一篇论文\n\n这篇论文试图解决的问题是……\n"
    for n, how in enumerate(["utf-8-bom", "gb18030", "utf-16-le"]):
        text = head.format("abc"[n] * 23, how) + body
        Path(f"notes/papers.{how}.md").write_bytes(saved(text, how))
    binary = head.format("d" * 23, "binary").encode() + b"\x00\xff\n"
    Path("notes/papers.binary.md").write_bytes(binary)

    r = run("check")

    assert r.code == 1
    assert r.out.splitlines() == [
        f"{Path('notes/papers.binary.md')}:9: {NOT_TEXT.format(len(binary) - 2)}",
        f"{Path('notes/papers.gb18030.md')}:9: saved as GB18030, which Dendron reads as UTF-8 and shows garbled from "
        "here; save it as UTF-8",
        f"{Path('notes/papers.utf-16-le.md')}:1: saved as UTF-16, which Dendron cannot read (it finds no "
        "frontmatter); save it as UTF-8",
    ]
