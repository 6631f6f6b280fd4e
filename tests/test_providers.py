"""The models people use, as their providers and servers really answer (each behaviour reproduced on loopback in
tests/fakes/llm_server.py, with its source), through the real openai client and the command line."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.fakes.llm_server import BEHAVIOURS

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
THREE = ["1512.03385", "1505.04597", "1810.04805"]

# A behaviour, and the requests a draft of three papers may make with it (3 is one each).
WORKS = {
    "openai-reasoning": 4,  # one refusal teaches max_completion_tokens, no temperature, room to reason
    "o-series-temperature": 4,  # one refusal: no temperature
    "kimi-temperature": 4,
    "think-block": 3,
    "think-close-only": 3,
    "paragraphs": 3,
    "remark-after": 3,
    "repeated": 3,
    "fenced": 3,
    "length-on-complete": 3,
    "cut-short": 4,  # the first answer is cut: it is asked again with room, and the others get that room
    "lm-studio": 3,  # json_schema is what it takes
    "deepseek-formats": 4,  # json_schema refused once, then json_object
    "dashscope-thinking": 4,  # one refusal: enable_thinking false
    "reasoning-content": 3,
    "blank-first": 4,  # DeepSeek's blank JSON-mode answer: asked again, as its documentation says to
    "answer-in-reasoning": 3,
    "vllm-context": 6,  # each paper started before the first refusal is cut once; the context is kept
    "openrouter-parameters": 4,
    "modelscope-thinking": 4,
    "deepseek-thinking": 4,  # reasoning seen but not counted: a reasoning model's room at once
}


def summaries(text: str) -> list[str]:
    return re.findall(r"\n\n(这篇论文[^\n]*)\n", text)


@pytest.mark.parametrize("behaviour", sorted(WORKS))
def test_three_papers_get_three_summaries(behaviour, arxiv, llm, workspace, run):
    llm.behaviours = [behaviour]

    r = run("draft", *THREE, "--date", "2024-01-30")

    assert r.code == 0, r.err
    text = NOTE.read_text(encoding="utf-8")
    assert len(summaries(text)) == 3, text
    assert "待核对" not in text and "待填写" not in text
    assert len(llm.chats) <= WORKS[behaviour], [sorted(c) for c in llm.chats]
    assert "<think>" not in text and "不是答案" not in text  # thinking is never the answer


def test_what_an_endpoint_takes_is_remembered_for_the_next_run(arxiv, llm, workspace, run):
    llm.behaviours = ["deepseek-formats", "openai-reasoning"]
    assert run("draft", THREE[0], "--date", "2024-01-30").code == 0
    first = len(llm.chats)

    r = run("draft", THREE[1], "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert len(llm.chats) == first + 1  # asked the right way at once
    last = llm.chats[-1]
    assert "temperature" not in last and "max_completion_tokens" in last
    assert last["response_format"]["type"] == "json_object"
    kept = json.loads((Path(os.environ["NOTEGEN_STATE_DIR"]) / "endpoints.json").read_text(encoding="utf-8"))
    assert list(kept) == [f"{llm.url}/v1 loopback-model"]


def test_a_reasoning_model_that_runs_out_of_room_gets_more_once(arxiv, llm, workspace, run):
    llm.behaviours = ["openai-reasoning"]
    llm.reasoning_tokens = 30_000  # more than the room any reasoning model starts with

    r = run("draft", THREE[0], "--date", "2024-01-30")

    assert r.code == 0, r.err
    budgets = [c.get("max_completion_tokens") for c in llm.chats]
    assert budgets[1] == 25_000 and budgets[2] > 30_000 and len(budgets) == 3


def test_a_reasoning_model_that_never_answers_says_which_setting_to_raise(arxiv, llm, workspace, run):
    llm.behaviours = ["openai-reasoning"]
    llm.reasoning_tokens = 10**6

    r = run("draft", THREE[0], "--date", "2024-01-30")

    assert r.code == 1
    assert "raise max_tokens above 65536 in notegen.toml" in r.err
    assert 'or set reasoning_effort = "low"' in r.err
    assert len(llm.chats) == 3


def test_a_context_learned_from_a_refusal_is_kept_for_the_next_run(arxiv, llm, workspace, run):
    llm.behaviours = ["vllm-context"]
    assert run("draft", THREE[0], "--date", "2024-01-30").code == 0
    asked = len(llm.chats)

    r = run("draft", THREE[1], "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert len(llm.chats) == asked + 1  # cut to fit before asking
    assert llm.chats[-1]["max_tokens"] == 2048 // 3


def test_a_prompt_without_the_word_json_still_gets_json_object(arxiv, llm, workspace, run):
    from notegen.summarize import default_prompts_dir

    (workspace / "prompts").mkdir()
    for name in ("system.md", "paper.md"):
        text = (default_prompts_dir() / name).read_text(encoding="utf-8")
        (workspace / "prompts" / name).write_text(text.replace("JSON", "结构化对象"), encoding="utf-8")
    llm.behaviours = ["deepseek-formats"]

    r = run("draft", *THREE, "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert len(llm.chats) == 4
    assert llm.chats[-1]["messages"][-1]["content"].endswith("\n\nJSON")


def test_temperature_and_reasoning_effort_settings(arxiv, llm, workspace, run):
    (workspace / "notegen.toml").write_text('temperature = "default"\nreasoning_effort = "low"\n')

    assert run("draft", THREE[0], "--date", "2024-01-30").code == 0

    assert "temperature" not in llm.chats[0] and llm.chats[0]["reasoning_effort"] == "low"


def test_a_temperature_out_of_range_is_refused_before_any_request(arxiv, llm, workspace, run):
    (workspace / "notegen.toml").write_text("temperature = 3\n")

    r = run("draft", THREE[0], "--date", "2024-01-30")

    assert r.code == 2 and not llm.requests
    assert "temperature = 3: OpenAI-compatible endpoints take 0 to 2" in r.err


STOPS = {
    "error-in-200": "answered with an error instead of an answer (“Insufficient Balance”)",
    "deepseek-balance": "(HTTP 402: “Insufficient Balance”); the account's balance or quota is spent",
    "kimi-quota": "(HTTP 429: “Your account org-0000 <ak-0000> is suspended due to insufficient balance",
    "openai-quota": "(HTTP 429: “You exceeded your current quota, please check your plan and billing details.",
    "siliconflow-balance": "(HTTP 403: “Sorry, your account balance is insufficient”)",
    "minimax-balance": "answered with an error instead of an answer (“insufficient balance”)",
    "envelope-in-200": "answered with an error instead of an answer (“您的账户已欠费，请充值后重试”)",
    "empty-json-200": "answered with something that is not an API answer",
    "siliconflow-no-model": "(HTTP 400: “Model does not exist. Please check it carefully.”)",
    "stream-only": "answers only streaming requests",
}


@pytest.mark.parametrize("behaviour", sorted(STOPS))
def test_a_spent_balance_stops_at_once_in_the_providers_words(behaviour, arxiv, llm, workspace, run):
    llm.behaviours = [behaviour]

    r = run("draft", *THREE, "--date", "2024-01-30")

    assert r.code == 1
    assert STOPS[behaviour] in r.err
    assert len(llm.chats) == 1  # no retry, no other paper asked


def test_moderation_fails_the_paper_without_walking_the_formats(arxiv, llm, workspace, run):
    llm.behaviours = ["moderation"]

    r = run("draft", THREE[0], "--date", "2024-01-30")

    assert r.code == 1
    assert "refused the paper's text (HTTP 400: “Content Exists Risk”)" in r.err
    assert len(llm.chats) == 1


def test_every_named_behaviour_is_tested():
    assert set(BEHAVIOURS) == set(WORKS) | set(STOPS) | {"moderation"}
