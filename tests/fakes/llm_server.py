"""A loopback OpenAI-compatible chat completions endpoint.

By default it answers like a good model: a JSON object with a Chinese problem statement that names the paper's
title, and the first tag of the vocabulary in the system prompt. `script` answers first, for faults.
"""

from __future__ import annotations

import json
import re
import time

from tests.fakes.http import Canned, LoopbackServer, Seen


def completion(content: str, finish_reason: str = "stop", prompt_tokens: int = 100) -> Canned:
    body = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "loopback",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 50, "total_tokens": prompt_tokens + 50},
    }
    return Canned(200, json.dumps(body, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Canned:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    return Canned(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


def chinese_answer(title: str, tag: str) -> str:
    summary = (
        f"这篇论文试图解决的问题是：在《{title}》所研究的场景中，现有方法难以兼顾效果与效率。"
        "作者指出，已有工作依赖大量人工设计，在数据分布变化时表现不稳定，也难以推广到更大的规模。"
        "为此，论文提出了一种新的框架，通过统一的建模方式把关键步骤结合起来，从而在多个基准上取得更好的结果。"
    )
    return json.dumps({"summary": summary, "tag": tag}, ensure_ascii=False)


class FakeLLM(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.default_tag = "deep_learning"
        self.tag_for: dict[str, str] = {}  # a word of the title -> the tag to answer with
        self.answer_for: dict[str, Canned] = {}  # a word of the title -> the whole answer (papers run side by side)
        self.refuse: set[str] = set()  # response_format types answered with HTTP 400, as some servers do
        self.refuse_text = False  # refuses even plain requests (a misconfigured endpoint)
        self.gullible = False  # obeys "ignore previous instructions ... English" in the paper's text
        self.delay = 0.0  # seconds before each answer, like a real model
        self.delay_for: dict[str, float] = {}  # a word of the title -> seconds before answering about it
        self.echo_key = False  # puts the request's Authorization header into its answer, as a broken proxy might
        # The Batch API: uploaded files, batches, and how many looks a batch takes before it completes.
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, object]] = {}
        self.batch_looks = 2
        self.batch_done = True  # False: batches stay in_progress

    @property
    def chats(self) -> list[dict[str, object]]:
        return [json.loads(r.body) for r in self.requests if r.path.endswith("/chat/completions")]

    def answer(self, seen: Seen) -> Canned:
        if "/files" in seen.path or "/batches" in seen.path:
            return self._batch_api(seen)
        time.sleep(self.delay)
        if not seen.path.endswith("/chat/completions"):
            return error(404, f"no route {seen.path}")
        request = json.loads(seen.body)
        kind = (request.get("response_format") or {}).get("type", "text")
        if kind in self.refuse or (kind == "text" and self.refuse_text):
            return error(400, f"This response_format type is unavailable now: {kind}")
        messages = request["messages"]
        user = next(m["content"] for m in messages if m["role"] == "user")
        title = re.search(r"标题：(.*)", user)
        system = messages[0]["content"]
        vocabulary = re.search(r"（越靠前越常用）：\n(.*)\n", system)
        tag = self.default_tag
        if vocabulary and not vocabulary.group(1).startswith("（"):
            tag = vocabulary.group(1).split(", ")[0]
        name = title.group(1) if title else "?"
        time.sleep(next((t for word, t in self.delay_for.items() if word in name), 0.0))
        scripted = next((canned for word, canned in self.answer_for.items() if word in name), None)
        if scripted is not None:
            return scripted
        if self.echo_key:
            auth = next((v for k, v in seen.headers.items() if k.lower() == "authorization"), "")
            return completion(json.dumps({"summary": f"echo {auth} 这篇论文", "tag": auth}, ensure_ascii=False))
        if self.gullible and "ignore previous instructions" in user.lower():
            return completion(json.dumps({"summary": "This paper is about " + name, "tag": tag}))
        tag = next((t for word, t in self.tag_for.items() if word in name), tag)
        return completion(chinese_answer(name, tag))

    # -- the Batch API (files and batches endpoints) ----------------------------------------------------

    @property
    def batch_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith("/batches") and r.method == "POST"]

    def _batch_api(self, seen: Seen) -> Canned:
        path = seen.path.split("?")[0]
        if seen.method == "POST" and path.endswith("/files"):
            boundary = seen.headers["Content-Type"].split("boundary=")[1].encode()
            part = next(p for p in seen.body.split(b"--" + boundary) if b'name="file"' in p)
            content = part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = content
            return _json(
                {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(content),
                    "created_at": 1700000000,
                    "filename": "batch.jsonl",
                    "purpose": "batch",
                    "status": "processed",
                }
            )
        if seen.method == "POST" and path.endswith("/batches"):
            request = json.loads(seen.body)
            batch_id = f"batch-{len(self.batches) + 1}"
            self.batches[batch_id] = {"input": request["input_file_id"], "looks": 0, "output": None}
            return _json(self._batch(batch_id, "validating"))
        if seen.method == "GET" and "/batches/" in path:
            batch_id = path.rsplit("/", 1)[1]
            batch = self.batches[batch_id]
            batch["looks"] = int(batch["looks"]) + 1  # type: ignore[call-overload]
            if not self.batch_done or int(batch["looks"]) < self.batch_looks:  # type: ignore[call-overload]
                return _json(self._batch(batch_id, "in_progress"))
            if batch["output"] is None:
                batch["output"] = self._run_batch(str(batch["input"]))
            return _json(self._batch(batch_id, "completed", str(batch["output"])))
        if seen.method == "GET" and path.endswith("/content"):
            return Canned(200, self.files[path.split("/")[-2]], {"Content-Type": "application/jsonl"})
        return error(404, f"no route {seen.path}")

    def _run_batch(self, input_id: str) -> str:
        lines = []
        for line in self.files[input_id].decode().splitlines():
            request = json.loads(line)
            fake = Seen("POST", "/v1/chat/completions", {}, json.dumps(request["body"]).encode(), 0.0)
            answer = json.loads(self.answer(fake).body)
            lines.append(
                json.dumps(
                    {
                        "id": "r",
                        "custom_id": request["custom_id"],
                        "response": {"status_code": 200, "request_id": "q", "body": answer},
                        "error": None,
                    },
                    ensure_ascii=False,
                )
            )
        output_id = f"file-{len(self.files) + 1}"
        self.files[output_id] = ("\n".join(lines) + "\n").encode()
        return output_id

    @staticmethod
    def _batch(batch_id: str, status: str, output: str | None = None) -> dict[str, object]:
        return {
            "id": batch_id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": None,
            "input_file_id": "file-1",
            "completion_window": "24h",
            "status": status,
            "output_file_id": output,
            "error_file_id": None,
            "created_at": 1700000000,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }


def _json(data: dict[str, object]) -> Canned:
    return Canned(200, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": "application/json"})
