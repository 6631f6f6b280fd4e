"""Lines a person adds around notegen's (a link under the marker, a second tag, a caption under the image, their
own paragraphs) are theirs: regen, with or without --force, replaces only the paragraphs notegen wrote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes.llm_server import chinese_answer, completion

pytestmark = pytest.mark.e2e

NOTE = Path("notes/papers.20240130.md")
OLD = "现有方法难以兼顾效果与效率"
NEW = "以往的方法"

# (what notegen wrote, what the person made of it): each as Dendron users edit notes.
ADDED = {
    "link under the marker": ("-->\n", "-->\n[arXiv](https://arxiv.org/abs/1512.03385) · 读于组会\n"),
    "second tag": ("\n#deep_learning\n", "\n#deep_learning #to_reproduce\n"),
    "caption under the image": (".png)  \n", ".png)  \n*图：残差块（我的注）*\n"),
    "paragraph before the summary": ("\n这篇论文试图", "\n先看第 3 节。\n\n这篇论文试图"),
    "paragraph after the summary": ("\n\n\n## U-Net", "\n\n读后感：和 highway network 很像。\n\n\n## U-Net"),
}


def _drafted(run, llm):
    llm.tag_for = {"Deep Residual": "deep_learning"}
    drafted = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")
    assert drafted.code == 0, drafted.err
    return NOTE.read_text(encoding="utf-8")


def _edit(text: str, where: str) -> str:
    old, new = ADDED[where]
    first = text.index(old)  # the first section's (Deep Residual Learning's) line
    assert first < text.index("## U-Net") or where == "paragraph after the summary"
    return text[:first] + new + text[first + len(old) :]


def _answer():
    return completion(chinese_answer("x", "deep_learning").replace("现有方法", NEW))


@pytest.mark.parametrize("force", [False, True], ids=["plain", "--force"])
@pytest.mark.parametrize("where", list(ADDED))
def test_regen_keeps_what_the_person_added_around_the_summary(arxiv, llm, workspace, run, where, force):
    edited = _edit(_drafted(run, llm), where)
    NOTE.write_text(edited, encoding="utf-8")
    llm.script = [_answer()]

    r = run("regen", "1512.03385", *(["--force"] if force else []))

    assert r.code == 0, r.err
    after = NOTE.read_text(encoding="utf-8")
    assert ADDED[where][1] in after  # the person's line, where they put it
    assert NEW in after and after.count(OLD) == edited.count(OLD) - 1  # only Deep Residual's summary changed
    assert "## U-Net" in after and after.count("这篇论文试图") == edited.count("这篇论文试图")
    assert not list((Path(os.environ["NOTEGEN_STATE_DIR"]) / "backups").glob("*"))  # nothing of theirs replaced


def test_a_second_tag_asks_before_tag_replaces_the_line_and_force_keeps_it(arxiv, llm, workspace, run):
    edited = _edit(_drafted(run, llm), "second tag")
    NOTE.write_text(edited, encoding="utf-8")
    llm.tag_for = {"Deep Residual": "vision"}

    refused = run("regen", "1512.03385", "--tag")

    assert refused.code == 1
    assert refused.err.splitlines()[-1] == (
        "error: 1512.03385: the tag line in notes/papers.20240130.md:10 has the person's own tags; "
        "pass --force to replace it (the current text is kept in a backup)"
    )
    assert NOTE.read_text(encoding="utf-8") == edited

    forced = run("regen", "1512.03385", "--tag", "--force")

    assert forced.code == 0, forced.err
    assert "\n#vision #to_reproduce\n" in NOTE.read_text(encoding="utf-8")  # notegen's tag replaced, theirs kept


def test_an_image_the_person_chose_asks_before_figure_replaces_it(arxiv, llm, workspace, run):
    text = _drafted(run, llm)
    start = text.index("![图 0](")
    end = text.index(")", start) + 1
    edited = text[:start] + "![图 0](../images/my-own-screenshot.png)" + text[end:]
    NOTE.write_text(edited, encoding="utf-8")

    refused = run("regen", "1512.03385", "--figure", "1")

    assert refused.code == 1
    assert "the figure in notes/papers.20240130.md:10 is not one notegen put there; pass --force" in refused.err
    assert NOTE.read_text(encoding="utf-8") == edited

    plain = run("regen", "1512.03385")  # the summary alone: the person's image is no concern of it

    assert plain.code == 0, plain.err
    assert "![图 0](../images/my-own-screenshot.png)" in NOTE.read_text(encoding="utf-8")


def test_words_after_the_tag_are_the_persons_and_tag_asks_before_replacing(arxiv, llm, workspace, run):
    text = _drafted(run, llm)
    edited = text.replace("\n#deep_learning\n", "\n#deep_learning 读于组会\n", 1)
    NOTE.write_text(edited, encoding="utf-8")
    llm.tag_for = {"Deep Residual": "vision"}

    refused = run("regen", "1512.03385", "--tag")
    plain = run("regen", "1512.03385")

    assert refused.code == 1 and "the tag line in notes/papers.20240130.md:10 has the person's own tags" in refused.err
    assert plain.code == 0, plain.err
    assert "\n#deep_learning 读于组会\n" in NOTE.read_text(encoding="utf-8")
    forced = run("regen", "1512.03385", "--tag", "--force")
    assert forced.code == 0, forced.err
    assert "\n#vision 读于组会\n" in NOTE.read_text(encoding="utf-8")


def test_a_paragraph_answering_the_review_line_stays_through_regen_waiting(arxiv, llm, workspace, run):
    llm.script = [completion("not json at all"), completion("still not json")]
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 1  # written, with the review line
    text = NOTE.read_text(encoding="utf-8")
    assert "> **待核对**" in text
    mine = "我的想法：先看第 3 节。\n\n"
    NOTE.write_text(text.replace("**待填写**", mine + "**待填写**", 1), encoding="utf-8")
    llm.script = [_answer()]

    r = run("regen", "--waiting")

    assert r.code == 0, r.err
    after = NOTE.read_text(encoding="utf-8")
    assert mine + "这篇论文试图" in after and "> **待核对**" not in after and "**待填写**" not in after
