import json
from pathlib import Path

import pytest

from notegen import summarize
from notegen.errors import AnswerError, UsageError
from notegen.summarize import Inputs, parse_answer

OPENING = "这篇论文试图解决的问题是"
GOOD = OPENING + "：在长视频理解中，现有多模态模型难以在有限的上下文里保留关键事件。" * 3


def answer(summary=GOOD, tag="video_generation", **extra):
    return json.dumps({"summary": summary, "tag": tag, **extra}, ensure_ascii=False)


def test_good_answer_with_a_known_tag_keeps_the_vaults_spelling():
    got = parse_answer(answer(tag="mllm"), ["MLLM", "image_generation"], OPENING)
    assert got == summarize.Answer(GOOD, "MLLM", new_tag=False)


def test_new_tag_is_flagged_only_when_the_vault_has_a_vocabulary():
    assert parse_answer(answer(tag="robotics"), ["MLLM"], OPENING).new_tag
    assert not parse_answer(answer(tag="robotics"), [], OPENING).new_tag


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Sure! Here is the summary.", "the answer is not JSON"),
        ('{"summary": "x", ', 'the JSON has no "tag" string'),  # cut: repaired as far as it goes
        ("[1, 2]", "the answer is not a JSON object"),
        (answer(summary=""), 'the JSON has no "summary" string'),
        (json.dumps({"summary": GOOD}), 'the JSON has no "tag" string'),
        (answer(tag="3d vision"), "the tag '3d vision' must be one word of letters, digits, '_' or '-'"),
        (answer(tag="t" * 65), f"the tag '{'t' * 64}…' must be one word"),
        (
            answer(summary="This paper tries to solve the problem of long video understanding " * 3),
            "the summary must be written in Chinese",
        ),
        (answer(summary="这篇论文的方法很好。" * 12), "the summary must begin with"),
        (answer(summary=GOOD * 20), "the summary is"),
    ],
)
def test_unusable_answers_say_why(text, error):
    with pytest.raises(AnswerError) as info:
        parse_answer(text, [], OPENING)
    assert str(info.value).startswith(error)


def test_json_in_a_code_fence_or_prose_is_found():
    assert parse_answer(f"```json\n{answer()}\n```", [], OPENING).summary == GOOD
    assert parse_answer(f"Here you go:\n{answer()}\nThanks", [], OPENING).summary == GOOD


def test_the_abstract_is_never_passed_off_as_the_summary():
    abstract = "We present a method for long video understanding that keeps key events in a short context window."
    with pytest.raises(AnswerError, match="copies the abstract"):
        parse_answer(answer(summary=GOOD + abstract), [], OPENING, abstract)


def test_default_prompts_load_and_fill():
    prompts = summarize.load_prompts(summarize.default_prompts_dir())
    messages = summarize.build_messages(
        prompts, Inputs("T", "A", "I", "Figure 1: C"), ["MLLM", "image_generation"], OPENING
    )
    assert messages[0]["role"] == "system" and f"以“{OPENING}”开头" in messages[0]["content"]
    assert "MLLM, image_generation" in messages[0]["content"]
    assert messages[1]["content"].startswith("<paper>\n标题：T\n")
    assert "（暂无）" in messages[0]["content"]  # no past summaries yet


def test_workspace_prompt_with_an_unknown_placeholder_is_refused(tmp_path):
    (tmp_path / "paper.md").write_text("标题：$title $authors\n$abstract $introduction")
    with pytest.raises(UsageError) as info:
        summarize.load_prompts(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'paper.md'}: unknown placeholder $authors; missing $caption; "
        "allowed: $abstract, $caption, $introduction, $title"
    )


def test_cjk_share():
    assert summarize.cjk_share("中文abc") == (2, 0.4)


@pytest.mark.parametrize(
    "shape",
    [
        lambda s, t: {"summary": [s[:60], s[60:]], "tag": t},  # paragraphs as a list
        lambda s, t: {"Summary": s, "Tag": t},  # capitalised keys
    ],
    ids=["paragraphs as a list", "capitalised keys"],
)
def test_ordinary_variations_of_the_answer_are_taken(shape):
    parsed = parse_answer(json.dumps(shape(GOOD, "cv"), ensure_ascii=False), ["cv"], OPENING)
    assert parsed.tag == "cv" and parsed.summary.replace("\n\n", "") == GOOD


def test_the_repositorys_prompts_are_the_packaged_ones():
    """This repository is a workspace too: its prompts/ are those `notegen init` copies, kept in step."""
    own = Path(__file__).resolve().parents[1] / "prompts"
    packaged = summarize.default_prompts_dir()
    names = sorted(p.name for p in packaged.iterdir() if p.suffix == ".md")
    assert sorted(p.name for p in own.iterdir() if p.suffix == ".md") == names
    for name in names:
        assert (own / name).read_bytes() == (packaged / name).read_bytes(), name
