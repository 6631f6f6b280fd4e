"""Reading the JSON object out of real models' answers: thinking, fences, prose, repeats and broken JSON."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notegen import note
from notegen.answer_json import Found, NoJson, read_object
from notegen.errors import AnswerError
from notegen.summarize import parse_answer

SUMMARY = "这篇论文试图解决的问题是：现有方法难以兼顾效果与效率。"
ANSWER = json.dumps({"summary": SUMMARY, "tag": "cv"}, ensure_ascii=False)
WANTED = {"summary": SUMMARY, "tag": "cv"}


def strict(value: dict[str, object]) -> Found:
    return Found(value, repaired=False)


def repaired(value: dict[str, object]) -> Found:
    return Found(value, repaired=True)


def raw_breaks(dumped: str) -> str:
    r"""`dumped` with its \n and \t escapes written as the raw characters (an escaped backslash stays escaped)."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(0)), dumped)


# -- reasoning models served without a reasoning parser -------------------------------------------------------


def test_qwen3_on_vllm_thinks_first_and_quotes_the_shape_it_will_answer_in():
    text = (
        '<think>\n用户要一个 JSON：{"summary": ..., "tag": ...}。摘要要以“这篇论文试图解决的问题是”开头，'
        'e.g. {"summary": "草稿", "tag": "draft"}。\n</think>\n\n' + ANSWER
    )
    assert read_object(text) == strict(WANTED)


def test_deepseek_r1_distill_template_opens_the_thinking_in_the_prompt_so_only_its_end_comes_back():
    text = 'Okay, the user wants {"summary": "...", "tag": "..."} in Chinese. Let me write it.\n</think>\n\n' + ANSWER
    assert read_object(text) == strict(WANTED)


def test_thinking_spelled_out_in_capitals_is_thinking_too():
    text = '<Thinking>{"summary": "草稿", "tag": "draft"}</THINKING>\n' + ANSWER
    assert read_object(text) == strict(WANTED)


def test_an_answer_cut_off_while_thinking_has_no_answer_even_if_the_thinking_has_json():
    with pytest.raises(NoJson) as info:
        read_object('<think>\n先写个草稿：{"summary": "草稿", "tag": "draft"}，再检查长度')
    assert (str(info.value), info.value.zh) == (
        "the answer is only thinking, with no JSON after it",
        "回答只有思考过程，没有 JSON",
    )


# -- fences, prose, repeats -----------------------------------------------------------------------------------


def test_ollama_style_json_fence_with_prose_before_and_after():
    text = f"好的，以下是结果：\n\n```json\n{ANSWER}\n```\n\n如需修改请告诉我。"
    assert read_object(text) == strict(WANTED)


def test_a_fenced_object_wins_over_an_example_in_the_prose():
    text = f'The format is {{"summary": "示例", "tag": "example"}}:\n```\n{ANSWER}\n```'
    assert read_object(text) == strict(WANTED)


def test_llama_cpp_without_json_mode_writes_paragraphs_with_raw_line_breaks_and_tabs():
    summary = SUMMARY + "\n\n\t第二段：作者提出了新的框架。"
    text = raw_breaks(json.dumps({"summary": summary, "tag": "cv"}, ensure_ascii=False))
    assert "\n\n\t" in text
    assert read_object(text) == strict({"summary": summary, "tag": "cv"})


def test_chinese_chat_models_add_a_remark_with_braces_after_the_json():
    text = f"以下是回答：\n{ANSWER}\n注：以上 {{summary}} 为问题陈述，{{tag}} 为标签。"
    assert read_object(text) == strict(WANTED)


def test_a_model_that_repeats_its_answer():
    assert read_object(ANSWER + ANSWER) == strict(WANTED)
    assert read_object(f"{ANSWER}\n\n{ANSWER}\n") == strict(WANTED)


def test_the_first_object_with_the_asked_for_keys_wins_over_other_objects():
    text = f'Settings used: {{"temperature": 0.2}}\n{ANSWER}\n{{"summary": "后一个", "tag": "later"}}'
    assert read_object(text) == strict(WANTED)


def test_an_object_without_the_asked_for_keys_is_still_an_object():
    assert read_object('Here: {"answer": 42}') == strict({"answer": 42})


def test_cjk_punctuation_and_escapes_come_through_unchanged():
    text = r'{"summary": "问题：“长”「视频」，即；（上下文）。\n第二段 \"引\" \u4e2d \\ 斜杠\t", "tag": "cv"}'
    summary = '问题：“长”「视频」，即；（上下文）。\n第二段 "引" 中 \\ 斜杠\t'
    assert read_object(text) == strict({"summary": summary, "tag": "cv"})


# -- broken JSON, repaired by json_repair ---------------------------------------------------------------------


QUOTED = '论文提出了"XX"方法，用于检测。'


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        pytest.param(f'{{"summary": "{QUOTED}", "tag": "cv"}}', QUOTED, id="unescaped-quotes-in-chinese"),
        pytest.param(f'{{"summary": "{QUOTED}", "tag": "cv",}}', QUOTED, id="quotes-and-a-trailing-comma"),
        pytest.param(f"{{'summary': '{QUOTED}', 'tag': 'cv'}}", QUOTED, id="single-quoted-keys-and-values"),
        pytest.param("{'summary': \"论文。\", 'tag': \"cv\"}", "论文。", id="single-quoted-keys"),
        pytest.param(
            '{"summary": "论文提出了“XX”方法。", "tag": "cv"', "论文提出了“XX”方法。", id="missing-last-brace"
        ),
        pytest.param(
            f'以上 {{summary}} 为：{{"summary": "{QUOTED}", "tag": "cv"}}', QUOTED, id="brace-in-prose-before"
        ),
        pytest.param(
            f'{{"summary": "{QUOTED}", "tag": "cv"}}\n{{"summary": "{QUOTED}", "tag": "cv"}}', QUOTED, id="twice"
        ),
    ],
)
def test_ordinary_brokenness_is_repaired_and_says_so(text, summary):
    assert read_object(text) == repaired({"summary": summary, "tag": "cv"})


def test_repaired_broken_json_keeps_cjk_punctuation_and_escapes():
    text = '{"summary": "第一段“引”「括」，：；。（）\\n第二段 \\u4e2d", "tag": "cv",}'
    assert read_object(text) == repaired({"summary": "第一段“引”「括」，：；。（）\n第二段 中", "tag": "cv"})


def test_broken_json_after_thinking_is_repaired_not_the_thinking():
    text = '<think>answer {"summary": ..., "tag": ...}</think>{"summary": "论文提出了"XX"方法", "tag": "cv",}'
    assert read_object(text) == repaired({"summary": '论文提出了"XX"方法', "tag": "cv"})


def test_parse_answer_says_when_the_answer_was_repaired():
    summary = note.OPENING + "：在长视频理解中，现有多模态模型难以在有限的上下文里保留关键事件。" * 3
    good = json.dumps({"summary": summary, "tag": "cv"}, ensure_ascii=False)
    assert not parse_answer(good, [], note.OPENING).repaired
    got = parse_answer(good[:-1] + ",", [], note.OPENING)
    assert (got.summary, got.tag, got.repaired) == (summary, "cv", True)


# -- no object at all -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "zh"),
    [
        ("Sure! Here is the summary.", "the answer is not JSON", "回答不是 JSON"),
        ("当然可以！这篇论文很有意思，下面是我的总结。", "the answer is not JSON", "回答不是 JSON"),
        ("summary:", "the answer is not JSON", "回答不是 JSON"),
        ('He said "hi" and left.', "the answer is not JSON", "回答不是 JSON"),
        ("[1, 2]", "the answer is not a JSON object", "回答不是 JSON 对象"),
        ('```json\n"只是一个字符串"\n```', "the answer is not a JSON object", "回答不是 JSON 对象"),
        ("注：以上 {summary} 为问题陈述，{tag} 为标签。", "the answer is not valid JSON", "回答不是有效的 JSON"),
        (
            "<think>我想想……</think>",
            "the answer is only thinking, with no JSON after it",
            "回答只有思考过程，没有 JSON",
        ),
        ("  \n", "the answer is empty", "回答是空的"),
    ],
)
def test_no_object_says_why(text, message, zh):
    with pytest.raises(NoJson) as info:
        read_object(text)
    assert (str(info.value), info.value.zh) == (message, zh)


def test_parse_answer_turns_no_json_into_an_answer_error():
    with pytest.raises(AnswerError) as info:
        parse_answer("<think>", [], note.OPENING)
    assert (str(info.value), info.value.zh) == (
        "the answer is only thinking, with no JSON after it",
        "回答只有思考过程，没有 JSON",
    )


def test_deeply_nested_or_brace_heavy_answers_end_quickly_in_no_json():
    for text in ("{" * 5000, '{"a": ' * 5000, "注：{x} " * 5000, '{"summary": "论文"XX"方法", "tag": ' * 1000):
        with pytest.raises(NoJson):
            read_object(text)


# -- properties -----------------------------------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
summaries = st.text(alphabet=st.one_of(CJK, st.sampled_from(list("“”「」，：；。（）\"'\\\n\t{}[]`:, abcXYZ019/"))))
tags = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,15}", fullmatch=True)
THINKING = [
    "",
    '<think>\n用户要 {"summary": ..., "tag": ...}，先想想。\n</think>\n\n',
    'Okay, the answer is like {"summary": "草稿", "tag": "draft"}.\n</think>\n',
    '<THINKING>{"summary": "草稿", "tag": "draft"}</THINKING>',
]
BEFORE = [
    "",
    "好的，以下是 JSON：\n",
    "Here it is, in the {summary, tag} shape:\n",
    '按 {"summary": ..., "tag": ...} 回答：',
]
AFTER = ["", "\n注：以上 {summary} 为摘要，{tag} 为标签。", '\nHope this helps! {"note": 1}', "\n```"]


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, str, str]:
    summary, tag = draw(summaries), draw(tags)
    text = json.dumps({"summary": summary, "tag": tag}, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = raw_breaks(text)
    if draw(st.booleans()):
        text = text + draw(st.sampled_from(["", "\n", "\n\n"])) + text
    if draw(st.booleans()):
        text = f"```{draw(st.sampled_from(['json', 'JSON', '']))}\n{text}\n```"
    text = draw(st.sampled_from(THINKING)) + draw(st.sampled_from(BEFORE)) + text + draw(st.sampled_from(AFTER))
    return text, summary, tag


@settings(max_examples=500, deadline=None)
@given(answers())
def test_any_wrapped_answer_gives_back_exactly_its_summary_and_tag(drawn):
    text, summary, tag = drawn
    assert read_object(text) == strict({"summary": summary, "tag": tag})


# json_repair drops escaped line breaks at the very end of a string and reads `\\` before a `\u` escape as
# nothing: the repair properties leave those out.
repairable = summaries.filter(lambda s: "\\" not in s and not s.endswith("\n"))


@settings(max_examples=300, deadline=None)
@given(repairable, tags, st.booleans(), st.sampled_from(['",}', '"', '",']))
def test_a_trailing_comma_or_a_missing_last_brace_is_repaired_exactly(summary, tag, ascii_only, end):
    text = json.dumps({"summary": summary, "tag": tag}, ensure_ascii=ascii_only)[: -len('"}')] + end
    assert read_object(text) == repaired({"summary": summary, "tag": tag})


chinese = st.text(alphabet=st.one_of(CJK, st.sampled_from(list("“”「」，：；。（）"))), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(chinese, chinese, chinese, tags)
def test_unescaped_quotes_inside_chinese_text_are_repaired_exactly(before, quoted, after, tag):
    summary = f'{before}"{quoted}"{after}'
    assert read_object(f'{{"summary": "{summary}", "tag": "{tag}"}}') == repaired({"summary": summary, "tag": tag})


@settings(max_examples=300, deadline=None)
@given(st.text().filter(lambda s: "{" not in s), st.sampled_from([*THINKING[:2], "<think>"]))
def test_text_without_an_object_is_no_json(text, thinking):
    for answer in (text, thinking + text):
        with pytest.raises(NoJson):
            read_object(answer)
