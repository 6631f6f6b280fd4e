"""Regenerate one summary, add papers to a day, and never lose a human edit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notegen import note
from notegen import settings as notegen_settings
from notegen.draft import draft
from notegen.errors import NotegenError
from notegen.ids import ArxivId
from notegen.note import Section
from notegen.regen import regen_papers
from notegen.session import Session
from notegen.storage import vault_lock
from tests.fakes.llm_server import chinese_answer, completion
from tests.pdfs import paper
from tests.systems import KILLED

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

GOLDEN = Path(__file__).parent / "golden"
NOTE = Path("notes/papers.20240130.md")
NEW = "这篇论文试图解决的问题是：如何在保持精度的同时把网络做得更深。作者指出退化问题并非过拟合所致，" * 2


def clocked(workspace, at):
    return Session(notegen_settings.load(workspace), clock=lambda: at, new_id=lambda: "mi98ob89obmd0e8wpfu7tal")


# -- golden files -----------------------------------------------------------------------------------------


@pytest.mark.shared
def test_golden_append_and_regen(arxiv, llm, workspace):
    with clocked(workspace, 1706621579616) as session:
        assert draft(session, [ArxivId("1512.03385"), ArxivId("2603.12231")], date(2024, 1, 30)).failures == []
    with clocked(workspace, 1706622000000) as session:
        assert draft(session, [ArxivId("1505.04597")], date(2024, 1, 30)).failures == []
    assert NOTE.read_text() == (GOLDEN / "append.md").read_text()

    llm.script = [
        completion(
            chinese_answer("Deep Residual Learning", "image_classification").replace(
                "现有方法难以兼顾效果与效率", "网络越深越难训练"
            )
        )
    ]
    with clocked(workspace, 1706623000000) as session:
        result = regen_papers(session, [ArxivId("1512.03385")], date(2024, 1, 30))

    assert result.failures == []
    assert NOTE.read_text() == (GOLDEN / "regen.md").read_text()


# -- as a person uses it ----------------------------------------------------------------------------------


def test_regen_changes_only_that_summary_and_updated(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "1612.03144", "--date", "2024-01-30").code == 0
    text = NOTE.read_text()
    edited = text.replace("## U-Net: Convolutional", "## U-Net (my favourite): Convolutional")
    edited = edited.replace("\n\n\n## Feature Pyramid", "\n\n我在这里加了一段自己的笔记。\n\n\n## Feature Pyramid")
    NOTE.write_text(edited)
    llm.script = [completion(chinese_answer("x", "deep_learning").replace("现有方法", "以往的方法"))]

    r = run("regen", "1512.03385")

    assert r.code == 0, r.err
    assert r.out == f"{NOTE}\n"
    after = NOTE.read_text()
    before_lines, after_lines = edited.splitlines(), after.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before_lines, after_lines, strict=True)) if a != b]
    assert [before_lines[i].split(":")[0] for i in changed[:1]] == ["updated"]
    assert len(changed) == 3  # updated, the marker's hash of the new summary, the summary
    assert after_lines[changed[1]].startswith("<!-- notegen paper=arxiv:1512.03385v1 summary=")
    assert "以往的方法" in after_lines[changed[2]]
    assert "我在这里加了一段自己的笔记。" in after and "## U-Net (my favourite)" in after


def test_a_paragraph_the_person_added_under_the_summary_stays_and_needs_no_force(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30").code == 0
    mine = "\n\n我的想法：和 highway network 的门控很像，要对比。\n"
    text = NOTE.read_text()
    NOTE.write_text(text.replace("\n\n\n## U-Net", mine + "\n\n## U-Net"))
    llm.script = [completion(chinese_answer("x", "deep_learning").replace("现有方法", "以往的方法"))]

    r = run("regen", "1512.03385")

    assert r.code == 0, r.err
    after = NOTE.read_text()
    assert "以往的方法" in after and mine in after
    assert after.index("以往的方法") < after.index("我的想法") < after.index("## U-Net")
    assert not list((Path(os.environ["NOTEGEN_STATE_DIR"]) / "backups").glob("*"))


def test_an_edited_summary_is_refused_then_replaced_with_force_and_kept(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    mine = NOTE.read_text().replace("现有方法难以兼顾效果与效率", "我改过的句子")
    NOTE.write_text(mine)

    refused = run("regen", "1512.03385")

    assert refused.code == 1
    assert refused.err.splitlines()[-1] == (
        "error: 1512.03385: the summary in notes/papers.20240130.md:10 was edited since notegen wrote it; "
        "pass --force to replace it (the current text is kept in a backup)"
    )
    assert NOTE.read_text() == mine
    assert len(llm.chats) == 1  # refused before asking the model

    forced = run("regen", "1512.03385", "--force")

    assert forced.code == 0, forced.err
    assert "我改过的句子" not in NOTE.read_text()
    backups = list((Path(os.environ["NOTEGEN_STATE_DIR"]) / "backups").glob("papers.20240130.arxiv_1512.03385.*.md"))
    assert len(backups) == 1 and "我改过的句子" in backups[0].read_text()


def test_regen_asks_the_model_again_and_reads_the_pdf_it_has(arxiv, llm, workspace, run):
    drafted = run("draft", "1512.03385", "--date", "2024-01-30")
    assert drafted.code == 0 and "1512.03385: downloading the PDF" in drafted.err
    regenerated = run("regen", "1512.03385", "--date", "2024-01-30")
    assert regenerated.code == 0 and "downloading" not in regenerated.err
    assert len(llm.chats) == 2
    assert [r.path for r in arxiv.requests if r.path.startswith("/pdf/")] == ["/pdf/1512.03385v1"]


@pytest.mark.shared
def test_regen_with_tag_and_figure(arxiv, llm, workspace, run):
    assert run("draft", "1810.04805", "--date", "2024-01-30").code == 0
    llm.tag_for = {"BERT": "nlp"}

    r = run("regen", "1810.04805", "--tag", "--figure", "2")

    assert r.code == 0, r.err
    text = NOTE.read_text()
    assert "\n#nlp\n" in text and (workspace / "notes" / "tags.nlp.md").is_file()
    image = text.split("![图 0](../")[1].split(")")[0]
    assert (workspace / image).is_file() and image in r.out  # the new figure, still 图 0


@pytest.mark.shared
def test_a_hand_written_section_is_found_by_title_and_needs_force(arxiv, llm, workspace, run):
    seed = Path(__file__).resolve().parents[2] / "shared" / "reference" / "seed-note.md"
    text = seed.read_text().replace(
        "## Spatial-Aware Latent Initialization for Controllable Image Generation",
        "## Deep Residual Learning for Image Recognition",
    )
    NOTE.write_text(text)

    refused = run("regen", "1512.03385")
    assert refused.code == 1 and "was written by hand; pass --force" in refused.err

    forced = run("regen", "1512.03385", "--force")

    assert forced.code == 0, forced.err
    after = NOTE.read_text()
    assert "<!-- notegen paper=arxiv:1512.03385v1 summary=" in after  # found directly next time
    assert after.split("## Motion-I2V")[1] == text.split("## Motion-I2V")[1]


def test_a_paper_in_several_notes_needs_a_date(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    assert run("draft", "1512.03385", "--date", "2024-01-31").code == 0

    r = run("regen", "1512.03385")

    assert r.code == 2
    assert r.err == (
        "error: 1512.03385: in several notes (notes/papers.20240130.md:10, notes/papers.20240131.md:10); "
        "pass --date to choose one\n"
    )
    assert run("regen", "1512.03385", "--date", "2024-01-31").code == 0


def test_regen_of_a_paper_not_in_the_vault(arxiv, llm, workspace, run):
    r = run("regen", "1512.03385", "--date", "2024-01-30")
    assert r.code == 2
    assert r.err.splitlines()[-1] == (
        "error: 1512.03385: not in the note of 2024-01-30; draft it first, or pass the --date of its note"
    )
    # with a paper arXiv does not know: both are named, though the run stops at the one not in the note
    r = run("regen", "1512.03385", "2401.99999", "--date", "2024-01-30")
    assert r.code == 2
    assert r.err.splitlines()[-2:] == [
        "error: 2401.99999: arXiv has no paper with this ID; check it for typos",
        "error: 1512.03385: not in the note of 2024-01-30; draft it first, or pass the --date of its note",
    ]


def test_a_broken_note_is_refused_with_file_and_line_and_left_alone(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    broken = NOTE.read_text().replace("desc: ''", "desc: '")
    NOTE.write_text(broken)

    r = run("regen", "1512.03385")

    assert r.code == 2
    assert r.err.startswith(f"error: {NOTE}:4: broken YAML in the frontmatter")
    assert NOTE.read_text() == broken


def test_an_unusable_answer_leaves_the_summary_as_it_was(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    before = NOTE.read_bytes()
    english = completion('{"summary": "An English answer.", "tag": "cv"}')
    llm.script = [english, english]

    r = run("regen", "1512.03385")

    assert r.code == 1
    assert "the summary in papers.20240130.md was left as it was" in r.err
    assert NOTE.read_bytes() == before


def test_a_second_writer_waits_then_fails_clearly(tmp_path):
    with vault_lock(tmp_path), pytest.raises(NotegenError) as info, vault_lock(tmp_path, wait=0.2):
        pass
    assert "another notegen run is writing to this workspace" in str(info.value)


# -- properties: every byte outside the target section stays --------------------------------------------

cjk = st.text(
    alphabet=st.sampled_from(list("这篇论文试图解决的问题是，。：；“”（）、图表方法数据")), min_size=1, max_size=40
)
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@st.composite
def edited_notes(draw):
    count = draw(st.integers(2, 4))
    sections = [
        Section(
            f"arxiv:2401.{n:05d}v1",
            f"Paper {n} {draw(words)}",
            "MLLM",
            "这篇论文试图解决的问题是" + draw(cjk),
            f"../images/{n}.png",
        )
        for n in range(count)
    ]
    text = note.render_note("a" * 23, date(2024, 1, 30), 1, sections)
    target = draw(st.integers(0, count - 1))
    spans = note.parse_note(text, "n").sections
    # Human edits, from the end backwards so offsets stay valid, never inside the target section.
    for index in reversed(range(count)):
        if index == target:
            continue
        span = spans[index]
        edit = draw(st.sampled_from(["paragraph", "heading", "code", "spaces", "punct", "none"]))
        if edit == "paragraph":
            text = text[: span.end] + f"\n{draw(words)}\n" + text[span.end :]
        elif edit == "heading":
            text = text[: span.start] + f"## {draw(words).strip() or 'x'}  \n" + text[span.start :].split("\n", 1)[1]
        elif edit == "code":
            text = text[: span.summary[1]] + "\n\n```\n## not a section\n```" + text[span.summary[1] :]
        elif edit == "spaces":
            text = text[: span.summary[1]] + "   " + text[span.summary[1] :]
        elif edit == "punct":
            text = text[: span.summary[1]] + "！？……——《》" + text[span.summary[1] :]
    if draw(st.booleans()):
        text = text.rstrip("\n")
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, f"arxiv:2401.{target:05d}"


def _around(text: str, key: str) -> tuple[str, str]:
    """The note before the target's summary (with `updated` and its marker's hash blanked) and after it."""
    parsed = note.parse_note(text, "n")
    span = next(s for s in parsed.sections if s.key == key)
    assert span.marker is not None and parsed.head.updated is not None
    (a, b), (c, d) = parsed.head.updated, span.marker
    head = text[:a] + "0" + text[b:c] + "MARKER" + text[d : span.summary[0]]
    return head, text[span.summary[1] :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_notes(), cjk)
def test_regen_changes_no_byte_outside_the_target_summary(case, summary):
    text, key = case
    parsed = note.parse_note(text, "n")
    span = next(s for s in parsed.sections if s.key == key)

    out = note.replace_section_parts(parsed, span, 1706700000000, "这篇论文试图解决的问题是" + summary)

    assert _around(out, key) == _around(text, key)
    after = note.parse_note(out, "n")
    assert note.summary_text(after, next(s for s in after.sections if s.key == key)).endswith(summary.strip())


@settings(max_examples=150, deadline=None)
@given(edited_notes())
def test_append_changes_no_byte_but_updated(case):
    text, _ = case
    parsed = note.parse_note(text, "n")
    new = Section("arxiv:2402.00001v1", "New", "MLLM", "这篇论文试图解决的问题是新的", "../images/new.png")

    out = note.append_sections(parsed, [new], 1706700000000)

    assert parsed.head.updated is not None
    a, b = parsed.head.updated
    assert out.startswith(text[:a] + "1706700000000" + text[b:])
    assert f"![图 {parsed.next_figure}](../images/new.png)" in out


# -- a kill at any moment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crash_at", "outcome"),
    [
        ("before-rename:*.json:1", "old"),  # an answer cached, nothing of the note yet
        ("after-rename:*.png:1", "old"),  # a figure in place
        ("before-rename:papers.*.md:1", "old"),  # the new note whole in its temp file
        ("after-rename:papers.*.md:1", "new"),  # renamed, the folder not yet synced
    ],
)
def test_sigkill_during_a_draft_leaves_the_old_note_or_the_new_one(arxiv, llm, workspace, run, crash_at, outcome):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    old = NOTE.read_bytes()
    command = [sys.executable, "-m", "notegen", "draft", "1505.04597", "1612.03144", "--date", "2024-01-30", "-q"]

    killed = subprocess.run(command, capture_output=True, timeout=120, env={**os.environ, "NOTEGEN_CRASH_AT": crash_at})

    assert killed.returncode == KILLED
    now = NOTE.read_bytes()
    assert ("old" if now == old else "new") == outcome
    if outcome == "new":
        assert len(note.parse_note(now.decode(), "after kill").sections) == 3
    assert not [p for p in NOTE.parent.iterdir() if p.name.startswith(".")]  # no temp file in the vault
    assert run("draft", "1505.04597", "1612.03144", "--date", "2024-01-30").code == 0  # the rerun completes it
    assert len(note.parse_note(NOTE.read_text(), "rerun").sections) == 3


def test_regen_of_an_id_arxiv_does_not_know(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0

    r = run("regen", "2401.99999")

    assert r.code == 1
    assert r.err.splitlines()[-1] == "error: 2401.99999: arXiv has no paper with this ID; check it for typos"


# -- several papers at once -------------------------------------------------------------------------------


def _changed(before: str, after: str) -> list[str]:
    """The lines of `after` that differ from `before` (same number of lines)."""
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [b for a, b in zip(old, new, strict=True) if a != b]


def test_several_papers_of_one_note_all_end_up_in_it(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "1612.03144", "--date", "2024-01-30").code == 0
    before = NOTE.read_text()
    llm.answer_for = {
        "Residual": completion(chinese_answer("x", "deep_learning").replace("现有方法", "残差网络之前的方法")),
        "U-Net": completion(chinese_answer("x", "deep_learning").replace("现有方法", "分割网络之前的方法")),
    }

    r = run("regen", "1512.03385", "1505.04597")

    assert r.code == 0, r.err
    assert r.out == f"{NOTE}\n"  # the note once, though written twice
    after = NOTE.read_text()
    changed = _changed(before, after)
    assert changed[0].startswith("updated: ")
    assert [line.split(" summary=")[0] for line in changed[1::2]] == [
        "<!-- notegen paper=arxiv:1512.03385v1",
        "<!-- notegen paper=arxiv:1505.04597v1",
    ]
    assert "残差网络之前的方法" in changed[2] and "分割网络之前的方法" in changed[4]
    assert len(changed) == 5  # updated, and each paper's marker and summary; Feature Pyramid as it was
    assert len(llm.chats) == 3 + 2


def test_several_papers_in_several_notes(arxiv, llm, workspace, run):
    other = Path("notes/papers.20240131.md")
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    assert run("draft", "1505.04597", "--date", "2024-01-31").code == 0
    before = {NOTE: NOTE.read_text(), other: other.read_text()}
    llm.script = [completion(chinese_answer("x", "deep_learning").replace("现有方法", "以往的方法"))] * 2

    r = run("regen", "1512.03385", "1505.04597")

    assert r.code == 0, r.err
    assert r.out == f"{NOTE}\n{other}\n"
    for path, text in before.items():
        changed = _changed(text, path.read_text())
        assert len(changed) == 3 and "以往的方法" in changed[2]


def test_papers_are_drafted_side_by_side(arxiv, llm, workspace, run):
    three = ("1512.03385", "1505.04597", "1612.03144")
    assert run("draft", *three, "--date", "2024-01-30").code == 0
    llm.delay_for = {"Residual": 1.0, "U-Net": 1.0, "Pyramid": 1.0}

    r = run("regen", *three)

    assert r.code == 0, r.err
    # The draft found what the endpoint takes and kept it, so no request waits for another's answer.
    first, *_, last = llm.requests[-3:]
    assert last.at - first.at < 0.9


def test_a_paper_that_fails_does_not_stop_the_others(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30").code == 0
    before = NOTE.read_text()
    llm.script = [completion(chinese_answer("x", "deep_learning").replace("现有方法", "以往的方法"))] * 2

    r = run("regen", "1512.03385", "2401.99999", "1505.04597")

    assert r.code == 1
    assert r.out == f"{NOTE}\n"
    assert r.err.splitlines()[-1] == "error: 2401.99999: arXiv has no paper with this ID; check it for typos"
    assert len([line for line in _changed(before, NOTE.read_text()) if "以往的方法" in line]) == 2


def test_an_edited_summary_stops_only_its_paper(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30").code == 0
    text = NOTE.read_text()
    i = text.index("现有方法难以兼顾效果与效率")  # the first paper's summary
    mine = text[:i] + "我改过的句子" + text[i + len("现有方法难以兼顾效果与效率") :]
    NOTE.write_text(mine)
    llm.script = [completion(chinese_answer("x", "deep_learning").replace("现有方法", "以往的方法"))]

    r = run("regen", "1512.03385", "1505.04597")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        "error: 1512.03385: the summary in notes/papers.20240130.md:10 was edited since notegen wrote it; "
        "pass --force to replace it (the current text is kept in a backup)"
    )
    after = NOTE.read_text()
    assert "我改过的句子" in after and "以往的方法" in after.split("## U-Net")[1]
    assert len(llm.chats) == 2 + 1  # the edited paper was not asked about


def test_a_dry_run_of_several_papers_prints_each_section(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30").code == 0
    before = NOTE.read_bytes()

    r = run("regen", "1512.03385", "1505.04597", "--dry-run")

    assert r.code == 0, r.err
    assert NOTE.read_bytes() == before
    shown = r.out.split("\n\n## ")
    assert len(shown) == 2
    assert shown[0].startswith("## Deep Residual Learning for Image Recognition\n<!-- notegen paper=")
    assert shown[1].startswith("U-Net: Convolutional Networks for Biomedical Image Segmentation\n<!-- notegen")


def test_figure_goes_with_one_paper_only(arxiv, llm, workspace, run):
    r = run("regen", "1512.03385", "1505.04597", "--figure", "2")

    assert r.code == 2
    assert r.err == "error: --figure N chooses one paper's figure; pass one paper with it\n"
    assert arxiv.requests == [] and llm.requests == []


def test_papers_regen_cannot_place_are_named_together_before_anything_is_asked(arxiv, llm, workspace, run):
    paper(workspace / "2401.16420.pdf", title="A Local Paper Nobody Drafted")
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-31").code == 0
    calls = len(arxiv.api_calls)

    r = run("regen", "1512.03385", "1505.04597", "2401.16420.pdf", "1612.03144")

    assert r.code == 2  # refused before arXiv is asked for the title that would place 1612.03144
    assert r.err == (
        "error: 1512.03385: in several notes (notes/papers.20240130.md:10, notes/papers.20240131.md:10); "
        "pass --date to choose one\n"
        "error: 2401.16420.pdf: not in any note of the vault; draft it first, or pass the --date of its note\n"
    )
    assert len(arxiv.api_calls) == calls and len(llm.chats) == 1 + 2
