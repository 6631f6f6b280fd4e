"""In the person's own voice, and one place to see what waits for them: lengths from their own summaries, review
lines in Chinese, `notegen review`, and `--dry-run`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from notegen import summarize
from tests.fakes.llm_server import completion

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "reference" / "seed-note.md"
NOTE = Path("notes/papers.20240130.md")
DAY2 = Path("notes/papers.20240131.md")


def answer(summary: str, tag: str = "MLLM") -> object:
    return completion(json.dumps({"summary": summary, "tag": tag}, ensure_ascii=False))


# The reference note's third paragraph, as the person wrote it: 45 Chinese characters.
SHORT = (
    "这篇论文试图解决的问题是图像到视频（Image-to-Video, I2V）生成中的一致性和可控性问题。"
    "具体来说，它关注以下几个关键挑战："
)


@pytest.mark.shared
def test_a_short_summary_in_the_persons_style_is_accepted_in_their_vault(arxiv, llm, workspace, run):
    assert summarize.cjk_share(SHORT)[0] == 45
    DAY2.write_bytes(SEED.read_bytes().replace(b"20240130", b"20240131"))
    llm.script = [answer(SHORT)]
    # A paper the summary is about: what it names (Image-to-Video, I2V) is in the paper's own words.
    arxiv.add("2401.00001", "Consistent and Controllable Image-to-Video (I2V) Generation", arxiv.pdfs["1512.03385"])

    r = run("draft", "2401.00001", "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert "待核对" not in NOTE.read_text() and SHORT in NOTE.read_text()
    system = llm.chats[0]["messages"][0]["content"]
    assert "- 190 到 340 个汉字，一到三段" in system  # the middle half of the person's own summaries


@pytest.mark.shared
def test_without_the_persons_summaries_the_defaults_accept_every_paragraph_of_the_reference_note():
    seed = SEED.read_text(encoding="utf-8")
    paragraphs = [p for p in seed.split("\n\n") if summarize.cjk_share(p)[0] >= 20]
    for paragraph in paragraphs:
        summary = paragraph.strip()
        if not summary.startswith("这篇论文试图解决的问题是"):
            summary = "这篇论文试图解决的问题是" + summary
        summarize.parse_answer(json.dumps({"summary": summary, "tag": "MLLM"}), [], "这篇论文试图解决的问题是")
    assert summarize.DEFAULT_LENGTH.least <= min(summarize.cjk_share(p)[0] for p in paragraphs)


def test_the_review_line_is_chinese_and_the_details_stay_on_stderr(arxiv, llm, workspace, run):
    english = answer("This paper is about residual learning.", "cv")
    llm.script = [english, english]

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    line = next(x for x in NOTE.read_text().splitlines() if x.startswith("> **待核对**"))
    assert line == "> **待核对**（notegen）：模型两次给出的回答都不能用（摘要应当用中文写（只有 0 个汉字））"
    assert "summary needs review (the model's answer was unusable twice (the summary must be written" in r.err


# -- notegen review ---------------------------------------------------------------------------------------------


def test_review_lists_each_kind_with_its_line_then_nothing_once_dealt_with(arxiv, llm, workspace, run):
    # A day with a figure-less paper, a review line and a new tag; a later day drafted without the model.
    llm.answer_for = {"Deep Residual": answer("Not Chinese at all.", "cv")}  # asked twice, unusable both times
    llm.tag_for = {"Pyramid": "pyramids"}
    assert run("draft", "1512.03385", "2603.12231", "1612.03144", "--date", "2024-01-30").code == 1
    assert run("draft", "1505.04597", "--date", "2024-01-31", "--no-llm").code == 0

    r = run("review")

    assert r.code == 1
    lines = r.out.splitlines()
    text = NOTE.read_text().splitlines()
    kinds = [line.split(": ")[1] for line in lines]
    assert kinds == ["review", "placeholder", "new tag", "missing figure", "new tag", "placeholder"]
    for line in lines:
        where, kind, _ = line.split(": ", 2)
        file, number = where.rsplit(":", 1)
        assert file in (str(NOTE), str(DAY2))
        shown = (NOTE if file == str(NOTE) else DAY2).read_text().splitlines()[int(number) - 1]
        expected = {"review": "> **待核对**", "placeholder": "**待填写**", "missing figure": "> **未找到关键图**"}
        assert shown.startswith(expected.get(kind, "#")), (line, shown)
    assert lines[0].endswith(": review: Deep Residual Learning for Image Recognition")
    assert lines[4].endswith(": new tag: Feature Pyramid Networks for Object Detection (#pyramids)")  # named
    assert r.err == "6 items waiting for you\n"
    records = [json.loads(x) for x in run("review", "--json").out.splitlines()]
    assert set(records[0]) == {"file", "line", "kind", "title", "paper", "reason"}
    assert records[0]["paper"] == "arxiv:1512.03385v1" and records[0]["reason"].startswith("模型两次给出")

    # The person deals with each: deletes the lines, writes the summaries, keeps the tag by describing it.
    mine = [x for x in text if not x.startswith(("> **待核对**", "> **未找到关键图**"))]
    mine = [x.replace("**待填写**（notegen）：", "") for x in mine]
    NOTE.write_text("\n".join(mine) + "\n")
    DAY2.write_text(DAY2.read_text().replace("**待填写**（notegen）：", ""))
    for tag in ("pyramids", "deep_learning"):
        tag_note = Path(f"notes/tags.{tag}.md")
        tag_note.write_text(tag_note.read_text() + "\nA tag I keep.\n")

    done = run("review")

    assert (done.code, done.out, done.err) == (0, "", "nothing waits for you\n")


def test_a_figure_to_check_is_listed(workspace, run, tmp_path):
    from tests.test_figure_layouts import sparse_paper

    assert run("draft", str(sparse_paper(tmp_path / "sparse.pdf")), "--date", "2024-01-30", "--no-llm").code == 0

    r = run("review", "--json")

    kinds = [json.loads(x)["kind"] for x in r.out.splitlines()]
    assert "figure to check" in kinds and r.code == 1


# -- --dry-run --------------------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.shared
def test_draft_and_regen_dry_runs_print_the_sections_and_change_no_file(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    state = Path(os.environ["NOTEGEN_STATE_DIR"])
    before = snapshot(workspace)

    drafted = run("draft", "1505.04597", "--date", "2024-01-30", "--dry-run")
    regenerated = run("regen", "1512.03385", "--dry-run", "--tag", "--figure", "2")

    assert drafted.code == 0, drafted.err
    assert drafted.out.startswith("## U-Net: Convolutional Networks for Biomedical Image Segmentation\n<!-- notegen")
    assert "![图 1](../images/" in drafted.out  # numbered after the note's own
    assert regenerated.code == 0, regenerated.err
    assert regenerated.out.startswith("## Deep Residual Learning for Image Recognition\n<!-- notegen paper=")
    assert snapshot(workspace) == before  # bytes and mtimes: nothing in the workspace was touched
    assert not (state / "backups").exists()


@pytest.mark.shared
def test_a_tag_the_person_already_uses_is_not_new_though_its_tag_note_is(arxiv, llm, workspace, run):
    NOTE.write_bytes(SEED.read_bytes())  # the person's tags, none with a tag note yet
    llm.tag_for = {"Residual": "image_generation"}

    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    r = run("review")

    assert Path("notes/tags.image_generation.md").exists()
    assert (r.code, r.out) == (0, "")
