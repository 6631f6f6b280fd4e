"""`notegen check` and `notegen init` as a person uses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from notegen import lint

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = """---
id: {id}
title: '20240130'
desc: ''
updated: 1706623489645
created: 1706621579616
---


## A Paper
<!-- notegen paper=arxiv:2401.00001v1 summary=000000000000 -->

#MLLM


![图 0](../images/a.png)

这篇论文试图解决的问题是……
""".replace(".png)\n", ".png)  \n")  # the seed's two trailing spaces after an image
TAG = "---\nid: {id}\ntitle: 'MLLM'\ndesc: ''\nupdated: 1\ncreated: 1\n---\n"


def vault(tmp_path: Path) -> Path:
    """A workspace made by notegen init with one good note."""
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"\x89PNG")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "root.md").write_text(TAG.format(id="r" * 23).replace("MLLM", "root"))
    (notes / "tags.MLLM.md").write_text(TAG.format(id="t" * 23))
    (notes / "papers.20240130.md").write_text(NOTE.format(id="a" * 23))
    return tmp_path


def test_a_clean_vault_passes(tmp_path, run, monkeypatch):
    monkeypatch.chdir(vault(tmp_path))
    r = run("check")
    assert (r.code, r.out, r.err) == (0, "", "3 notes checked, 0 problems\n")


def test_hand_broken_notes_are_reported_with_file_and_line(tmp_path, run, monkeypatch):
    ws = vault(tmp_path)
    notes = ws / "notes"
    good = NOTE.format(id="b" * 23)
    (notes / "papers.20240131.md").write_text(good.replace("title: '20240130'", "title: '20240131"))
    (notes / "papers.20240201.md").write_text(NOTE.format(id="c" * 23).replace("created: 1706621579616\n", ""))
    (notes / "papers.20240202.md").write_text(NOTE.format(id="a" * 23))  # the id of papers.20240130
    (notes / "papers.20240203.md").write_text(NOTE.format(id="d" * 23).replace("a.png", "gone.png"))
    (notes / "papers.20240204.md").write_text(NOTE.format(id="e" * 23).replace("#MLLM", "#robotics"))
    (notes / "papers.20240205.md").write_text(NOTE.format(id="f" * 23).replace("title: '20240130'", "title: 20240205"))
    (notes / "Papers.20240130.md").write_text(NOTE.format(id="g" * 23))
    (notes / "papers..x.md").write_text(NOTE.format(id="h" * 23))
    (notes / "papers.x(1).md").write_text(NOTE.format(id="i" * 23))
    (notes / "papers.latin1.md").write_bytes(NOTE.format(id="j" * 23).encode() + b"caf\xe9\n")
    latin1 = len(NOTE.format(id="j" * 23).encode()) + 3  # the byte after "caf"
    monkeypatch.chdir(ws)

    r = run("check")

    assert r.code == 1
    assert r.out.splitlines() == [
        "notes/papers..x.md:1: the file name has an empty segment (two dots in a row, or a leading or trailing dot)",
        "notes/papers.20240130.md:1: same name as Papers.20240130.md when case is ignored",
        "notes/papers.20240130.md:2: id aaaaaaaaaaaaaaaaaaaaaaa is also the id of notes/papers.20240202.md; "
        "Dendron keeps one",
        "notes/papers.20240131.md:3: broken YAML in the frontmatter (found unexpected end of stream)",
        "notes/papers.20240201.md:1: frontmatter has no 'created': epoch milliseconds; Dendron would use the "
        "current time",
        "notes/papers.20240202.md:2: id aaaaaaaaaaaaaaaaaaaaaaa is also the id of notes/papers.20240130.md; "
        "Dendron keeps one",
        "notes/papers.20240203.md:16: image ../images/gone.png does not exist",
        "notes/papers.20240204.md:13: #robotics has no note tags.robotics.md; Dendron flags it",
        "notes/papers.20240205.md:3: frontmatter 'title' is not a string",
        f"notes/papers.latin1.md:19: not UTF-8, UTF-16 or GB18030 text (byte {latin1}); save it as UTF-8",
        "notes/papers.x(1).md:1: the file name contains one of ( ) , ' which Dendron does not accept",
    ]
    assert r.err == "13 notes checked, 11 problems\n"


def test_hashtags_follow_dendrons_syntax():
    """What Dendron's own parser finds (checked with @dendronhq/unified 0.122.0): hashtags in headings and bold
    too, none in code, escaped or after a word, and none after a '#' that follows a non-space in the same run of
    text (its locator gives up there)."""
    _, facts = lint.lint_note(
        "---\nid: x\n---\n#MLLM\n## Heading #also\n`#code` a#b #123 (#x) #lost, 见 #中文 `x`\n```\n#fenced\n```\n"
        "\\#escaped **#bold**\n    #lazy_line\n<!--\n#commented\n-->\n\n    #code_block\n#123 #ok `#c` x #中文\n"
    )
    assert facts.hashtags == [(4, "MLLM"), (5, "also"), (10, "bold"), (11, "lazy_line"), (17, "ok"), (17, "中文")]


def test_init_makes_a_workspace_and_never_overwrites(tmp_path, run):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".gitignore").write_text("mine\n")

    first = run("init", str(ws))

    assert first.code == 0
    names = sorted(Path(p).as_posix() for p in first.out.splitlines())  # shown from the workspace
    assert names == [
        "dendron.code-workspace",
        "dendron.yml",
        "notegen.toml",
        "notes/root.md",
        "notes/root.schema.yml",
        "prompts/paper.md",
        "prompts/system.md",
    ]
    assert (ws / ".gitignore").read_text() == "mine\n"
    assert "warning:" in first.err and "does not ignore .notegen/" in first.err
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}

    again = run("init", str(ws))

    assert again.code == 0 and again.out == ""
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before


def test_check_reports_what_would_confuse_notegen(tmp_path, run, monkeypatch):
    ws = vault(tmp_path)
    section = NOTE.split("---\n", 2)[2]
    copied = section.replace("## A Paper", "## Another Paper")  # its marker pasted along with the section
    twice = section.replace("## A Paper", "## a paper")  # the same paper again, by hand
    stray = "\n一段话。\n<!-- notegen paper=arxiv:2401.00009v1 summary=000000000000 -->\n"
    quoted = "\n> 引用\n## Right Under A Quote\n"
    text = NOTE.format(id="k" * 23) + copied + twice + stray + quoted + "\n```\nnever closed\n"
    (ws / "notes" / "papers.20240131.md").write_text(text)
    monkeypatch.chdir(ws)

    r = run("check")

    assert r.code == 1
    assert r.out.splitlines() == [
        "notes/papers.20240131.md:21: this section carries the marker of arxiv:2401.00001v1, which belongs to the "
        "section at line 10; delete the marker line here",
        "notes/papers.20240131.md:32: the same paper as the section at line 10; keep one",
        "notes/papers.20240131.md:43: a notegen marker away from its place (the line under a '## ' heading) is ignored",
        "notes/papers.20240131.md:46: a heading right under a block quote: Dendron shows it inside the quote; add "
        "a blank line above",
        "notes/papers.20240131.md:48: a code fence opened here never closes",
    ]


def test_check_reports_a_paper_written_twice_under_titles_people_write(tmp_path, run, monkeypatch):
    """A section notegen wrote and one the person wrote for the same paper, its title rewritten (a venue tag, a
    translation, LaTeX read as text), are one paper; titles that only start alike are two."""
    ws = vault(tmp_path)
    first = NOTE.format(id="m" * 23).replace("\n![图 0](../images/a.png)  \n", "")
    latex = "$\\alpha$-Net: Architecture and Models"
    second = first.split("---\n", 2)[2].replace("A Paper", latex).replace("2401.00001v1", "2401.00002v1")
    by_hand = [
        "[CVPR 2016] A Paper（一篇论文）",
        "α-Net: Architecture and Models (ICLR 2024)",
        "Attention Is All You Need",
        "Attention Is All You Need In Speech Separation",
    ]
    text = first + second + "".join(f"\n## {h}\n#MLLM\n\n我自己写的。\n" for h in by_hand)
    (ws / "notes" / "papers.20240131.md").write_text(text)
    monkeypatch.chdir(ws)
    line = {h: text.splitlines().index(f"## {h}") + 1 for h in ["A Paper", latex, *by_hand]}

    r = run("check")

    assert r.code == 1
    assert r.out.splitlines() == [
        f"notes/papers.20240131.md:{line[by_hand[0]]}: the same paper as the section at line {line['A Paper']}; "
        "keep one",
        f"notes/papers.20240131.md:{line[by_hand[1]]}: the same paper as the section at line {line[latex]}; keep one",
    ]
