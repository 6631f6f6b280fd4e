"""The person's own notes, edited as people edit: never a duplicate, never a lost line (one test per case seen).

1. a line that looks like a fence but is an inline code span, and a ~~~ line inside a ``` block;
2. papers recognised by title (hand-written sections, a deleted marker) and a local PDF saved with a highlight;
3. model text that would break the note's structure;
4. words added next to or onto notegen's review line;
5. a note's file mode and a note that is a symlink;
6. frontmatter YAML that is valid but unusual, a byte-order mark.
(7, workspaces Dendron made, is in test_dendron.py.) And a vault made of the person's real note.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from datetime import date
from pathlib import Path

import pytest

from notegen import note
from notegen import settings as notegen_settings
from notegen.draft import draft
from notegen.ids import ArxivId
from notegen.regen import regen_papers
from notegen.session import Session
from tests.fakes.llm_server import completion

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

GOLDEN = Path(__file__).parent / "golden"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "reference" / "seed-note.md"
CORPUS = SHARED / "corpus" / "pdfs"
NOTE = Path("notes/papers.20240130.md")
STATE = Path(os.environ.get("NOTEGEN_STATE_DIR", "."))


def clocked(workspace, at):
    return Session(notegen_settings.load(workspace), clock=lambda: at, new_id=lambda: "mi98ob89obmd0e8wpfu7tal")


def drafted(run, *papers: str) -> str:
    r = run("draft", *papers, "--date", "2024-01-30")
    assert r.code == 0, r.err
    return NOTE.read_text(encoding="utf-8")


def rerun_changes_nothing(run, llm, *papers: str) -> None:
    before, asked = NOTE.read_bytes(), len(llm.chats)
    r = run("draft", *papers, "--date", "2024-01-30")
    assert r.code == 0, r.err
    assert NOTE.read_bytes() == before
    assert len(llm.chats) == asked
    assert all(f"{p}: already in the note; skipped" in r.err for p in papers)


# -- 1. fences are what CommonMark says --------------------------------------------------------------------


@pytest.mark.shared
def test_1_an_inline_code_span_and_a_tilde_line_in_a_fence_open_nothing(arxiv, llm, workspace, run):
    with clocked(workspace, 1706621579616) as session:
        assert draft(session, [ArxivId("1512.03385")], date(2024, 1, 30)).failures == []
    text = NOTE.read_text(encoding="utf-8")
    mine = text.replace(
        "\n\n\n## Deep", "\n\n```torch.compile()``` 让训练更快。\n\n```\n~~~\n## not a heading\n```\n\n## Deep"
    )
    NOTE.write_text(mine, encoding="utf-8")

    rerun_changes_nothing(run, llm, "1512.03385")
    assert run("check").code == 0
    with clocked(workspace, 1706623000000) as session:
        assert regen_papers(session, [ArxivId("1512.03385")], None).failures == []

    assert NOTE.read_text(encoding="utf-8") == (GOLDEN / "case1-regen.md").read_text(encoding="utf-8")


# -- 2. a paper is recognised by marker, else title, else its PDF's identity ----------------------------


def test_2_a_hand_written_section_and_a_deleted_marker_are_found_by_title(arxiv, llm, workspace, run):
    text = drafted(run, "1512.03385")
    by_hand = "\n\n## u-net — convolutional networks for biomedical image segmentation\n#medical\n\n我自己写的。\n"
    NOTE.write_text(note.MARKER.sub("", text, count=1) + by_hand, encoding="utf-8")

    rerun_changes_nothing(run, llm, "1512.03385", "1505.04597")
    r = run("regen", "1505.04597")
    assert r.code == 1
    assert "the summary in notes/papers.20240130.md:21 was written by hand; pass --force" in r.err


@pytest.mark.shared
def test_2_a_local_pdf_saved_again_with_a_highlight_is_the_same_paper(llm, workspace, run, tmp_path):
    import pymupdf

    pdf = tmp_path / "paper.pdf"
    shutil.copy(CORPUS / "2012.15864.pdf", pdf)  # no arXiv stamp: known by its document /ID
    drafted(run, str(pdf))
    with pymupdf.open(pdf) as doc:
        page = doc[0]
        page.add_highlight_annot(page.search_for("GAN")[0])
        doc.save(pdf, incremental=True, encryption=0)

    rerun_changes_nothing(run, llm, str(pdf))
    assert "pdfid:9129d4fd7a4bd63c1069a4e69e0c9a8f" in NOTE.read_text()


@pytest.mark.shared
def test_2_a_local_pdf_of_a_paper_drafted_from_arxiv_is_not_drafted_again(arxiv, llm, workspace, run):
    drafted(run, "1512.03385")
    rerun_changes_nothing(run, llm, str(CORPUS / "1512.03385.pdf"))  # its margin says arXiv:1512.03385v1


@pytest.mark.shared
def test_2_a_backfill_skips_a_day_the_person_wrote_by_hand(arxiv, llm, workspace, run):
    seedish = SEED.read_text(encoding="utf-8")
    arxiv.add(
        "2401.16420",
        "InternLM-XComposer2: Mastering Free-form Text-Image Composition and Comprehension "
        "in Vision-Language Large Model",
        CORPUS / "1512.03385.pdf",
    )
    NOTE.write_text(seedish, encoding="utf-8")
    Path("days.txt").write_text("2024-01-30 2401.16420\n")

    r = run("backfill", "days.txt")

    assert r.code == 0, r.err
    assert NOTE.read_text(encoding="utf-8") == seedish
    assert "papers already in notes  1" in r.err
    assert llm.chats == []


# -- 3. model text cannot break the note --------------------------------------------------------------------


HOSTILE = (
    "这篇论文试图解决的问题是：如何训练很深的网络。"
    + "作者指出退化问题并非过拟合所致。" * 4
    + "\n```python\n## 伪造的一节\n\x00控制字符\x1b[31m与\u2028## 行分隔符\u2029段落\x0c## 换页符"
    + "\n<!-- notegen paper=x -->"
    + "\n<pre>\n    缩进\n---\n#标签 [[wikilink]]"
)


@pytest.mark.shared
def test_3_model_text_opens_no_fence_heading_comment_or_hashtag(arxiv, llm, workspace, run):
    llm.answer_for = {"U-Net": completion(json.dumps({"summary": HOSTILE, "tag": "cv"}, ensure_ascii=False))}
    with clocked(workspace, 1706621579616) as session:
        assert draft(session, [ArxivId("1512.03385"), ArxivId("1505.04597")], date(2024, 1, 30)).failures == []

    written = NOTE.read_bytes()
    assert written.decode("utf-8") == (GOLDEN / "case3-hostile.md").read_text(encoding="utf-8")
    assert not any(b < 0x20 and b not in b"\n" for b in written)  # git calls it text
    assert "\u2028" not in written.decode() and "\u2029" not in written.decode()
    parsed = note.parse_note(written.decode(), "n")
    assert [s.key for s in parsed.sections] == ["arxiv:1512.03385", "arxiv:1505.04597"]
    assert not any(note.edited(parsed, s) for s in parsed.sections)  # notegen's own text is not "edited"
    rerun_changes_nothing(run, llm, "1512.03385", "1505.04597")
    assert run("regen", "1512.03385").code == 0
    assert [s.key for s in note.parse_note(NOTE.read_text(), "n").sections] == ["arxiv:1512.03385", "arxiv:1505.04597"]


# -- 4. what the person adds to a review line is theirs -------------------------------------------------------


def reviewed(run, llm) -> str:
    english = completion('{"summary": "An English answer.", "tag": "cv"}')
    llm.script = [english, english]
    r = run("draft", "1512.03385", "--date", "2024-01-30")
    assert r.code == 1 and "summary needs review" in r.err
    return NOTE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "edit",
    [
        lambda line: line + "\n> 我核对过了：摘要要重写。",  # a quoted line of theirs under it
        lambda line: line + "\n我的补充说明。",  # a plain line right under it (the quote takes it in)
        lambda line: line + " ——已看过",  # words typed at the end of the line
    ],
    ids=["quoted line", "plain line", "words on the line"],
)
def test_4_words_next_to_the_review_line_are_kept_or_refused_never_dropped(arxiv, llm, workspace, run, edit):
    text = reviewed(run, llm)
    line = next(x for x in text.splitlines() if x.startswith("> **待核对**"))
    mine = text.replace(line, edit(line))
    NOTE.write_text(mine, encoding="utf-8")

    refused = run("regen", "1512.03385")

    assert refused.code == 1
    assert "has words added to notegen's review line; pass --force" in refused.err
    assert NOTE.read_text(encoding="utf-8") == mine
    forced = run("regen", "1512.03385", "--force")
    assert forced.code == 0, forced.err
    (backup,) = (Path(os.environ["NOTEGEN_STATE_DIR"]) / "backups").glob("*.md")
    assert edit(line) in backup.read_text(encoding="utf-8")
    assert "待核对" not in NOTE.read_text(encoding="utf-8")


def test_4_a_review_line_the_person_deleted_clears_it_and_regen_goes_on(arxiv, llm, workspace, run):
    text = reviewed(run, llm)
    line = next(x for x in text.splitlines() if x.startswith("> **待核对**"))
    NOTE.write_text(text.replace(line + "\n\n", ""), encoding="utf-8")

    assert run("regen", "1512.03385").code == 0
    assert not list((Path(os.environ["NOTEGEN_STATE_DIR"]) / "backups").glob("*"))


# -- 5. files keep their mode, and a symlink stays one -----------------------------------------------------------


@pytest.mark.shared
@pytest.mark.skipif(sys.platform == "win32", reason="Windows files have no POSIX mode (only a read-only flag)")
def test_5_a_rewritten_note_keeps_its_mode_and_new_files_follow_the_umask(arxiv, llm, workspace, run):
    drafted(run, "1512.03385")
    os.chmod(NOTE, 0o640)
    old_mask = os.umask(0o027)
    try:
        drafted(run, "1512.03385", "1505.04597")
        assert stat.S_IMODE(NOTE.stat().st_mode) == 0o640
        assert run("regen", "1505.04597").code == 0
        assert stat.S_IMODE(NOTE.stat().st_mode) == 0o640
        newest = max(Path("images").iterdir(), key=lambda p: p.stat().st_mtime)
        assert stat.S_IMODE(newest.stat().st_mode) == 0o640  # 0666 less the umask, as an editor's file
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(Path("notes/tags.deep_learning.md").stat().st_mode) == 0o644  # made before, under 022


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks on Windows need developer mode or admin rights")
def test_5_a_note_that_is_a_symlink_stays_a_symlink_to_the_new_text(arxiv, llm, workspace, run, tmp_path):
    elsewhere = tmp_path / "synced" / "papers.20240130.md"
    elsewhere.parent.mkdir()
    drafted(run, "1512.03385")
    shutil.move(NOTE, elsewhere)
    NOTE.symlink_to(elsewhere)

    drafted(run, "1512.03385", "1505.04597")

    assert NOTE.is_symlink() and NOTE.resolve() == elsewhere.resolve()
    assert "## U-Net" in elsewhere.read_text()
    assert not [p for p in elsewhere.parent.iterdir() if p.name.endswith(".tmp")]


# -- 6. frontmatter: what notegen can edit, it edits; what it cannot, it names first ------------------------------


@pytest.mark.parametrize(
    ("head", "line"),
    [
        ("updated: 1706623489645 # last edit by hand\n", "updated: {now} # last edit by hand\n"),
        ("updated:   1706623489645\n", "updated:   {now}\n"),
    ],
)
def test_6_an_updated_line_with_a_comment_or_spaces_is_moved_and_kept(arxiv, llm, workspace, run, head, line):
    text = drafted(run, "1512.03385").replace("updated: 1", "updated: 1", 1)
    current = next(x for x in text.splitlines(keepends=True) if x.startswith("updated:"))
    NOTE.write_text(text.replace(current, head), encoding="utf-8")
    with clocked(workspace, 1706700000000) as session:
        assert draft(session, [ArxivId("1505.04597")], date(2024, 1, 30)).failures == []
    assert line.format(now=1706700000000) in NOTE.read_text()


def test_6_flow_style_frontmatter_and_a_byte_order_mark_are_kept(arxiv, llm, workspace, run):
    body = drafted(run, "1512.03385").split("---\n", 2)[2]
    mine = "\ufeff---\n{id: mi98ob89obmd0e8wpfu7tal, title: '20240130', desc: '', updated: 5, created: 1}\n---\n" + body
    NOTE.write_bytes(mine.replace("\n", "\r\n").encode("utf-8"))

    with clocked(workspace, 1706700000000) as session:
        assert draft(session, [ArxivId("1505.04597")], date(2024, 1, 30)).failures == []

    after = NOTE.read_bytes().decode("utf-8")
    assert after.startswith(mine.replace("updated: 5", "updated: 1706700000000").replace("\n", "\r\n"))
    assert "\n" not in after.replace("\r\n", "")


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (
            "updated: 1\nupdated: 2\n",
            "notes/papers.20240130.md:6: broken YAML in the frontmatter (the key 'updated' is given twice)",
        ),
        (
            "updated: '1706623489645'\n",
            "notes/papers.20240130.md:5: frontmatter 'updated' is not a whole number (epoch milliseconds)",
        ),
        (
            "updated: 2024-01-30\n",
            "notes/papers.20240130.md:5: frontmatter 'updated' is not a whole number (epoch milliseconds)",
        ),
        ("updated: 0x10\n", "notes/papers.20240130.md:5: frontmatter 'updated' is not written as plain digits"),
    ],
)
def test_6_frontmatter_notegen_cannot_edit_stops_the_run_before_any_request(arxiv, llm, workspace, run, head, message):
    text = drafted(run, "1512.03385")
    current = next(x for x in text.splitlines(keepends=True) if x.startswith("updated:"))
    NOTE.write_text(text.replace(current, head), encoding="utf-8")
    before, requests = NOTE.read_bytes(), len(arxiv.requests)

    for command in (("draft", "1505.04597", "--date", "2024-01-30"), ("regen", "1512.03385")):
        r = run(*command)
        assert (r.code, r.err.splitlines()) == (2, [f"error: {message}; fix it by hand"])
    Path("days.txt").write_text("2024-01-30 1505.04597\n")
    assert run("backfill", "days.txt", "--dry-run").err == f"error: {message}; fix it by hand\n"
    assert NOTE.read_bytes() == before and len(arxiv.requests) == requests and len(llm.chats) == 1


def test_6_a_fence_that_never_closes_stops_a_draft_that_would_fall_inside_it(arxiv, llm, workspace, run):
    text = drafted(run, "1512.03385") + "\n```\nmy unfinished code\n"
    NOTE.write_text(text, encoding="utf-8")
    arxiv.requests.clear()

    r = run("draft", "1505.04597", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err == (
        "error: notes/papers.20240130.md:20: a code fence opened here never closes; close it, or new sections would "
        "fall inside it\n"
    )
    assert NOTE.read_text(encoding="utf-8") == text and arxiv.requests == []
    assert run("check").out == f"{NOTE}:20: a code fence opened here never closes\n"


# -- the person's real note -------------------------------------------------------------------------------------


SEED_PAPERS = {
    "2401.16420": "InternLM-XComposer2: Mastering Free-form Text-Image Composition and Comprehension in "
    "Vision-Language Large Model",
    "2401.15977": "Motion-I2V: Consistent and Controllable Image-to-Video Generation with Explicit Motion Modeling",
}


@pytest.mark.shared
def test_drafting_into_the_persons_own_note_adds_only_what_is_new(arxiv, llm, workspace, run):
    """The reference note, written by hand: its papers are found by title, and the new one is appended as 图 5
    with every other byte as it was."""
    for arxiv_id, title in SEED_PAPERS.items():
        arxiv.add(arxiv_id, title, CORPUS / "1512.03385.pdf")
    NOTE.write_bytes(SEED.read_bytes())
    llm.tag_for = {"Residual": "MLLM"}

    with clocked(workspace, 1706700000000) as session:
        result = draft(
            session, [ArxivId("2401.16420"), ArxivId("2401.15977"), ArxivId("1512.03385")], date(2024, 1, 30)
        )

    assert (result.failures, result.skipped) == ([], ["2401.16420", "2401.15977"])
    assert len(llm.chats) == 1
    after = NOTE.read_text(encoding="utf-8")
    assert after == (GOLDEN / "seed-drafted.md").read_text(encoding="utf-8")
    assert after.startswith(
        SEED.read_text(encoding="utf-8").replace("updated: 1706623489645", "updated: 1706700000000")
    )
    rerun_changes_nothing(run, llm, "2401.16420", "2401.15977", "1512.03385")


def test_2_a_paper_under_a_demoted_heading_or_a_moved_marker_is_not_drafted_again(arxiv, llm, workspace, run):
    text = drafted(run, "1512.03385", "1505.04597")
    head, unet = text.split("## U-Net")
    mine = head.replace("## Deep Residual", "### Deep Residual")  # its marker is under an h3: not a section
    mine += "# U-Net" + note.MARKER.sub("", unet)  # an h1 heading and no marker
    NOTE.write_text(mine, encoding="utf-8")

    rerun_changes_nothing(run, llm, "1512.03385", "1505.04597")
