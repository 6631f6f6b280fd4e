"""The JSON object in a model's answer, read as leniently as real models and servers need. Pure.

Answers come wrapped in a reasoning model's thinking, in Markdown fences, between prose, repeated, or slightly
broken (quotes left unescaped in Chinese text, a trailing comma, the last brace missing). Strict JSON is tried
first at every `{`; only when that finds nothing is the answer repaired, by json_repair (the only module that
imports it), and the result says so.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from json_repair import repair_json

from notegen.errors import AnswerError

_KEYS = ("summary", "tag")  # what the answer is asked to hold: a dict with them beats any other dict

# Reasoning models served without a reasoning parser (Qwen3, DeepSeek-R1 distills on vLLM, Ollama, llama.cpp)
# answer `<think>…</think>` first; some chat templates open the block in the prompt, so only its end comes back.
_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
_THINK_BLOCK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)```", re.DOTALL)
_KEY_AFTER = re.compile(r"\s*[\"']")  # after a `{`: where json_repair is worth a try
_REPAIR_TRIES = 8  # each try reads the rest of the answer
_DECODER = json.JSONDecoder(strict=False)  # raw line breaks and tabs inside strings: the summary has paragraphs


@dataclass(frozen=True)
class Found:
    value: dict[str, object]
    repaired: bool  # strict JSON found nothing usable; json_repair made this object out of broken JSON


class NoJson(AnswerError):
    """No JSON object in the answer."""


def read_object(text: str) -> Found:
    """The answer's JSON object: after any thinking, fenced blocks first, the first object with the asked-for keys
    (else the first object); repaired only when no strict parse at any `{` gives one with those keys."""
    answer = _without_thinking(text)
    if not answer:
        if _THINK_OPEN.search(text) or _THINK_CLOSE.search(text):
            raise NoJson("the answer is only thinking, with no JSON after it", "回答只有思考过程，没有 JSON")
        raise NoJson("the answer is empty", "回答是空的")
    parts = [*(m.group(1) for m in _FENCE.finditer(answer)), answer]
    strict = _best(d for part in parts for d in _strict_objects(part))
    if strict is not None and _score(strict):
        return Found(strict, repaired=False)
    repaired = _best(d for part in parts for d in _repaired_objects(part))
    if repaired is not None and _score(repaired):
        return Found(repaired, repaired=True)
    if strict is not None:
        return Found(strict, repaired=False)
    if repaired is not None:
        return Found(repaired, repaired=True)
    if any(_is_json(part) for part in parts):  # a list, a string, a number: no dict anywhere
        raise NoJson("the answer is not a JSON object", "回答不是 JSON 对象")
    if "{" in answer:
        raise NoJson("the answer is not valid JSON", "回答不是有效的 JSON")
    raise NoJson("the answer is not JSON", "回答不是 JSON")


def _without_thinking(text: str) -> str:
    opened, closed = _THINK_OPEN.search(text), _THINK_CLOSE.search(text)
    if closed and (not opened or closed.start() < opened.start()):
        text = text[closed.end() :]  # the block was opened in the prompt
    text = _THINK_BLOCK.sub("", text)
    opened = _THINK_OPEN.search(text)
    if opened:
        text = text[: opened.start()]  # never closed: cut off while thinking, there is no answer after it
    return text.strip()


def _score(value: dict[str, object]) -> int:
    return sum(key in value for key in _KEYS)


def _best(objects: Iterator[dict[str, object]]) -> dict[str, object] | None:
    """The first object with all the asked-for keys, else the first with the most of them (lazily: the first
    with all of them ends the search)."""
    best: dict[str, object] | None = None
    for value in objects:
        if best is None or _score(value) > _score(best):
            best = value
        if _score(best) == len(_KEYS):
            break
    return best


def _starts(text: str) -> Iterator[int]:
    start = text.find("{")
    while start >= 0:
        yield start
        start = text.find("{", start + 1)


def _strict_objects(text: str) -> Iterator[dict[str, object]]:
    for start in _starts(text):
        try:
            value, _ = _DECODER.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):  # not JSON from here, or nested past Python's stack
            continue
        if isinstance(value, dict):
            yield value


def _repaired_objects(text: str) -> Iterator[dict[str, object]]:
    """json_repair's objects from each `{` that opens a quoted key on, the first few only: each try reads the
    rest of the answer, and a brace in prose (`以上 {summary} 为……`) would take the object after it in as a key.
    json_repair skips prose before and after a value; several values come back as a list (repeated ones with
    the same keys as their last copy), so the dicts in it count too."""
    for start in itertools.islice((s for s in _starts(text) if _KEY_AFTER.match(text, s + 1)), _REPAIR_TRIES):
        try:
            value = repair_json(text[start:], return_objects=True)
        except (ValueError, RecursionError):  # nested past json_repair's depth limit
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield item


def _is_json(text: str) -> bool:
    try:
        _DECODER.decode(text.strip())
    except (json.JSONDecodeError, RecursionError):
        return False
    return True
