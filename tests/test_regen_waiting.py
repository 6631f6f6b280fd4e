"""`notegen regen --waiting`: every summary that waits (a placeholder, a review line) written in one command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from notegen import note
from tests.fakes.llm_server import completion
from tests.pdfs import paper
from tests.test_draft import sections

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
DAY2 = Path("notes/papers.20240131.md")
ENGLISH = completion('{"summary": "An English answer.", "tag": "cv"}')
NOTHING = "nothing waits in the vault: no summary is a placeholder (待填写) or has a review line (待核对)\n"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def waiting_kinds(run) -> list[str]:
    return [json.loads(line)["kind"] for line in run("review", "--json").out.splitlines()]


def test_the_placeholders_of_a_draft_without_the_model_are_filled_and_tags_kept(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30", "--no-llm").code == 0
    drafted = NOTE.read_text()
    assert drafted.count(note.TO_WRITE) == 2 and drafted.count("\n#untagged\n") == 2
    mine = drafted.replace("\n#untagged\n", "\n#vision\n", 1)  # the person tagged the first paper
    NOTE.write_text(mine)
    llm.tag_for = {"U-Net": "segmentation"}

    r = run("regen", "--waiting")

    assert r.code == 0, r.err
    assert r.out == f"{NOTE}\nnotes/tags.segmentation.md\n"
    assert r.err.splitlines()[0] == "2 summaries wait in 1 note"
    after = NOTE.read_text()
    changed = changed_lines(mine, after)
    assert [old.split(" ")[0] for old, _ in changed] == [
        "updated:",
        "<!--",
        note.TO_WRITE + "（notegen）：这篇论文试图解决的问题是……",
        "<!--",
        "#untagged",  # notegen's stand-in for a tag: it waits too, and the model's tag takes its place
        note.TO_WRITE + "（notegen）：这篇论文试图解决的问题是……",
    ]
    assert [new for _, new in changed][4] == "#segmentation"
    assert "\n#vision\n" in after  # the tag the person chose stays
    assert [m.group("summary")[:12] for m in sections(after)] == ["这篇论文试图解决的问题是"] * 2
    assert not {"placeholder", "review"} & set(waiting_kinds(run))

    again = run("regen", "--waiting")

    assert (again.code, again.out, again.err) == (0, "", NOTHING)
    assert len(llm.chats) == 2


def test_a_review_line_after_an_unusable_answer_is_cleared(arxiv, llm, workspace, run):
    llm.answer_for = {"Residual": ENGLISH}  # twice: a review line
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30").code == 1
    drafted = NOTE.read_text()
    assert drafted.count("> **待核对**（notegen）：") == 1
    llm.answer_for = {}

    r = run("regen", "--waiting")

    assert r.code == 0, r.err
    assert r.err.splitlines()[0] == "1 summary waits in 1 note"
    after = NOTE.read_text()
    assert "待核对" not in after and note.TO_WRITE not in after
    first, _ = sections(after)  # the seed's format, with no line left over
    assert first.group("tag") == "deep_learning" and first.group("summary").startswith("这篇论文试图解决的问题是")
    assert after.split("## U-Net")[1] == drafted.split("## U-Net")[1]  # the other paper as it was


def test_words_the_person_added_to_the_review_line_are_skipped_unless_forced(arxiv, llm, workspace, run):
    llm.script = [ENGLISH, ENGLISH]
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 1
    text = NOTE.read_text()
    line = next(x for x in text.splitlines() if x.startswith("> **待核对**"))
    mine = text.replace(line, line + " ——已看过，我自己来写")
    NOTE.write_text(mine)

    r = run("regen", "--waiting")

    assert r.code == 0, r.err
    assert r.out == ""
    assert r.err == (
        "1 summary waits in 1 note\n"
        "1512.03385v1: the summary in notes/papers.20240130.md:10 has words added to notegen's review line; "
        "skipped it (pass --force to replace it)\n"
    )
    assert NOTE.read_text() == mine
    assert len(llm.chats) == 2  # not asked again

    forced = run("regen", "--waiting", "--force")

    assert forced.code == 0, forced.err
    assert "待核对" not in NOTE.read_text()
    (backup,) = (Path(os.environ["NOTEGEN_STATE_DIR"]) / "backups").glob("*.md")
    assert "——已看过，我自己来写" in backup.read_text()


def test_nothing_waiting_says_so_and_needs_no_key(arxiv, llm, workspace, run, monkeypatch):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    before = NOTE.read_bytes()
    monkeypatch.delenv("OPENAI_API_KEY")

    r = run("regen", "--waiting")

    assert (r.code, r.out, r.err) == (0, "", NOTHING)
    assert NOTE.read_bytes() == before and len(llm.chats) == 1


def test_date_keeps_to_that_days_note(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm").code == 0
    assert run("draft", "1505.04597", "--date", "2024-01-31", "--no-llm").code == 0
    first = NOTE.read_bytes()

    r = run("regen", "--waiting", "--date", "2024-01-31")

    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == str(DAY2)
    assert note.TO_WRITE not in DAY2.read_text() and NOTE.read_bytes() == first

    none = run("regen", "--waiting", "--date", "2024-02-01")

    assert none.code == 2
    assert none.err == (
        "error: --date 2024-02-01: the vault has no note of that day (papers.20240201.md); check the date\n"
    )


def test_a_local_pdf_in_the_workspace_is_found_by_its_marker(llm, workspace, run):
    (workspace / "papers").mkdir()
    paper(workspace / "papers" / "mine.pdf")
    assert run("draft", "papers/mine.pdf", "--date", "2024-01-30", "--no-llm").code == 0

    r = run("regen", "--waiting")

    assert r.code == 0, r.err
    assert "looking for 1 local PDF in the workspace" in r.err.splitlines()
    assert note.TO_WRITE not in NOTE.read_text()


def test_a_local_pdf_outside_the_workspace_fails_with_the_fix(llm, workspace, run, tmp_path):
    pdf = paper(tmp_path / "elsewhere.pdf")
    assert run("draft", str(pdf), "--date", "2024-01-30", "--no-llm").code == 0
    drafted = NOTE.read_bytes()
    title = next(line for line in drafted.decode().splitlines() if line.startswith("## "))[3:]

    r = run("regen", "--waiting")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: {title}: notes/papers.20240130.md:10 was drafted from a local PDF that is not in the workspace; "
        "pass the PDF: notegen regen <path to the PDF>"
    )
    assert NOTE.read_bytes() == drafted
    assert run("regen", str(pdf)).code == 0  # the fix
    assert note.TO_WRITE not in NOTE.read_text()


def test_waiting_takes_no_papers(workspace, run):
    r = run("regen", "--waiting", "1512.03385")
    assert r.code == 2
    assert r.err == "error: --waiting finds the papers itself; give either paper IDs or --waiting, not both\n"

    none = run("regen")
    assert none.code == 2
    assert none.err == "error: no paper given; pass its arXiv ID or PDF, or --waiting for every summary that waits\n"


def test_a_paper_in_two_sections_of_a_note_is_named_not_guessed(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm").code == 0
    text = NOTE.read_text()
    section = text[text.index("## ") :]
    NOTE.write_text(text + "\n\n" + section)  # pasted twice
    twice = NOTE.read_bytes()
    line = twice.decode().count("\n", 0, twice.decode().rindex("## ")) + 1

    r = run("regen", "--waiting")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: 1512.03385v1: papers.20240130.md has 2 sections of this paper (lines 10, {line}); "
        "keep one and rerun (notegen check lists such sections)"
    )
    assert NOTE.read_bytes() == twice and llm.chats == []  # named before the model is asked
