"""The Batch API client: half the price for a long backfill. Every question goes as one line of a JSONL job,
its custom_id the answer cache's key, so the answers it brings back are found by the normal path."""

from __future__ import annotations

import json
import re

from notegen.answers import Answers


def submit(answers: Answers, questions: list[list[dict[str, str]]]) -> str:
    """Send every conversation as one Batch API job; returns the batch id."""
    lines = []
    for messages in questions:
        line = {
            "custom_id": answers.key(messages),
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": answers.llm.batch_body(messages),
        }
        lines.append(json.dumps(line, ensure_ascii=False))
    return answers.llm.send_batch(("\n".join(lines) + "\n").encode("utf-8"))


def status(answers: Answers, batch_id: str) -> tuple[str, str | None]:
    """(status, output file id) of a Batch API job."""
    return answers.llm.batch_state(batch_id)


def collect(answers: Answers, output_file_id: str) -> int:
    """Put a finished job's answers into the cache; returns how many. An answer cut off at the token limit is
    left out: the normal path asks it again, directly."""
    stored = 0
    for line in answers.llm.batch_output(output_file_id).splitlines():
        try:
            item = json.loads(line)
            key = item["custom_id"]
            response = item.get("response") or {}
            if response.get("status_code") != 200 or not re.fullmatch(r"[0-9a-f]{64}", key):
                continue
            body = response["body"]
            choice = body["choices"][0]
            usage = body.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        answers.count(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        if choice.get("finish_reason") == "length":
            continue
        answers.store(key, (choice.get("message") or {}).get("content") or "")
        stored += 1
    return stored
