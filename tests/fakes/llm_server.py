"""A loopback OpenAI-compatible chat completions endpoint.

By default it answers like a good model: a JSON object with a Chinese problem statement that names the paper's
title, and the first tag of the vocabulary in the system prompt. `script` answers first, for faults.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.http import Canned, LoopbackServer, Seen


def completion(
    content: str | None,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    reasoning_tokens: int | None = None,
    **message: object,
) -> Canned:
    """A chat completion as OpenAI documents it; `reasoning_tokens` fills usage.completion_tokens_details (as
    OpenAI's reasoning models report them) and `message` adds fields to the message (reasoning_content, ...)."""
    usage: dict[str, object] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    body = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "loopback",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
    }
    return Canned(200, json.dumps(body, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def error(status: int, message: str, headers: dict[str, str] | None = None, **fields: object) -> Canned:
    """OpenAI's error envelope; `fields` replace type, code, param."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None, **fields}}
    return raw(status, body, headers)


def raw(status: int, body: object, headers: dict[str, str] | None = None) -> Canned:
    """Any JSON body: the envelopes servers use that are not OpenAI's."""
    data = json.dumps(body, ensure_ascii=False).encode()
    return Canned(status, data, {"Content-Type": "application/json", **(headers or {})})


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
        # Named provider behaviours (BEHAVIOURS below), applied in order: each either answers or passes.
        self.behaviours: list[str] = []
        self.reasoning_tokens = 1500  # what a reasoning model spends before it answers
        self.asked: dict[str, int] = {}  # a paper's title -> how often it was asked
        # GET /v1/models: the models served (None: no such route, as some servers have none) and the context
        # the listing gives (vLLM's max_model_len).
        self.models: list[str] | None = ["loopback-model"]
        self.context: int | None = None
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
        if seen.path.endswith("/models") and self.models is not None:
            extra = {"max_model_len": self.context} if self.context else {}
            listed = [{"id": m, "object": "model", "created": 0, "owned_by": "loopback", **extra} for m in self.models]
            return _json({"object": "list", "data": listed})
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
        with self._lock:
            self.asked[name] = self.asked.get(name, 0) + 1
        good = chinese_answer(name, next((t for word, t in self.tag_for.items() if word in name), tag))
        for behaviour in self.behaviours:
            canned = BEHAVIOURS[behaviour](self, request, good, name)
            if canned is not None:
                return canned
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


# -- provider behaviours, each as its provider documents it or its users reported it (sources: the comment) ------

Behaviour = Callable[[FakeLLM, dict[str, Any], str, str], Canned | None]


def _budget(request: dict[str, Any]) -> int:
    return int(request.get("max_completion_tokens") or request.get("max_tokens") or 100_000)


def _openai_reasoning(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """OpenAI's reasoning models (o-series, gpt-5 family): `max_tokens` refused (openai/openai-python#2104,
    FoundationAgents/MetaGPT#1709), a temperature other than 1 refused (altic-dev/FluidVoice#55,
    NVlabs/cvdp_benchmark#29), and hidden reasoning counted against max_completion_tokens: a small budget gives
    HTTP 200 with empty content and finish_reason "length" (langchain#32477, 64bit/async-openai#424)."""
    if "max_tokens" in request:
        return error(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    if request.get("temperature", 1) != 1:
        return error(
            400,
            f"Unsupported value: 'temperature' does not support {request['temperature']} with this model. "
            "Only the default (1) value is supported.",
            param="temperature",
            code="unsupported_value",
        )
    budget, spent = _budget(request), server.reasoning_tokens
    if budget <= spent:
        return completion("", "length", completion_tokens=budget, reasoning_tokens=budget)
    return completion(good, completion_tokens=spent + 150, reasoning_tokens=spent)


def _o_series_temperature(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """o1/o3-mini: temperature refused whatever its value (openai/openai-python#2104)."""
    if "temperature" in request:
        message = "Unsupported parameter: 'temperature' is not supported with this model."
        return error(400, message, param="temperature", code="unsupported_parameter")
    return None


def _kimi_temperature(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """Kimi k2.5/k2.6/k3 on api.moonshot.cn: only temperature 1 (countbot-ai/CountBot#61); the body has no
    param or code field."""
    if request.get("temperature", 1) != 1:
        body = {
            "error": {
                "message": "invalid temperature: only 1 is allowed for this model",
                "type": "invalid_request_error",
            }
        }
        return raw(400, body)
    return None


def _think_block(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """Qwen3 or a DeepSeek-R1 distill served without a reasoning parser (vLLM, Ollama, llama.cpp): the thinking
    comes first, inside <think>, and quotes the shape it was asked for (not valid JSON)."""
    thinking = (
        '用户要我输出 {"summary": ..., "tag": ...} 这样的 JSON。先想想论文要解决什么问题……\n{summary: 问题, tag: ?}'
    )
    return completion(f"<think>\n{thinking}\n</think>\n\n{good}")


def _think_close_only(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """A chat template that opens <think> in the prompt (DeepSeek-R1 distills, QwQ): the answer has only the
    closing tag."""
    return completion('好的，我需要给出 {"summary": ..., "tag": ...}。\n</think>\n' + good)


def _paragraphs(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """Two paragraphs with raw line breaks inside the JSON string: what models write when the prompt allows one
    to three paragraphs (strict JSON wants them escaped)."""
    value = json.loads(good)
    summary = value["summary"].replace("。作者指出", "。\n\n作者指出", 1)
    text = json.dumps({"summary": summary, "tag": value["tag"]}, ensure_ascii=False).replace("\\n", "\n")
    return completion(text)


def _remark_after(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """Prose before the JSON and a remark after it that contains braces."""
    return completion(f"好的。\n{good}\n\n注：以上 {{summary}} 与 {{tag}} 两个字段已按要求填写。")


def _repeated(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """The same object twice (small local models repeat themselves until the stop token)."""
    return completion(f"{good}\n{good}")


def _fenced(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """A markdown fence with prose around it (LM Studio's /v1/responses with json_schema, lmstudio-bug-tracker#2403;
    most chat models in text mode)."""
    return completion(f"下面是结果：\n```json\n{good}\n```\n如需调整请告诉我。")


def _length_on_complete(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """finish_reason "length" on an answer that is whole: the stop token fell just past the limit."""
    return completion(good, "length")


def _cut_short(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """An answer truly cut at the token limit (finish_reason "length") while the budget is under 2000 tokens."""
    budget = _budget(request)
    if budget < 2000:
        return completion(good[: len(good) // 2], "length", completion_tokens=budget)
    return None


def _error_in_200(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """A gateway's error inside HTTP 200, no choices: OpenRouter documents it ("any error occurred while the LLM
    is producing the output will be emitted in the response body", openrouter.ai/docs/api/reference/errors-and-
    debugging; UKGovernmentBEIS/inspect_ai#1534); relays do it for an empty balance."""
    body = {"id": None, "choices": None, "error": {"message": "Insufficient Balance", "code": 402}, "user_id": "u"}
    return raw(200, body)


def _deepseek_balance(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """DeepSeek: 402 Insufficient Balance (api-docs.deepseek.com/quick_start/error_codes;
    harry0703/MoneyPrinterTurbo#628)."""
    return error(402, "Insufficient Balance", type="unknown_error", code="invalid_request_error")


def _kimi_quota(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """Moonshot: an exhausted balance is HTTP 429 without Retry-After, and never succeeds on retry
    (MoonshotAI/kimi-code PR#1857)."""
    message = (
        "Your account org-0000 <ak-0000> is suspended due to insufficient balance, please recharge your account "
        "or check your plan and billing details"
    )
    return raw(429, {"error": {"message": message, "type": "exceeded_current_quota_error"}})


def _openai_quota(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """OpenAI: 429 insufficient_quota (platform.openai.com/docs/guides/error-codes)."""
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
    )
    return error(429, message, type="insufficient_quota", code="insufficient_quota")


def _siliconflow_balance(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """SiliconFlow: its own envelope, not OpenAI's, and 403 for an empty balance (docs.siliconflow.cn/faqs/
    error-code)."""
    return raw(403, {"code": 30001, "message": "Sorry, your account balance is insufficient", "data": None})


def _lm_studio(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """LM Studio: response_format json_schema or text only; the error is a plain string, not an object
    (lmstudio-bug-tracker#189, LoadShine/tada#16)."""
    kind = (request.get("response_format") or {}).get("type", "text")
    if kind not in ("json_schema", "text"):
        return raw(400, {"error": "'response_format.type' must be 'json_schema' or 'text'"})
    return None


def _deepseek_formats(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """DeepSeek's chat completions: json_schema refused (llm-exe/llm-exe#662, UKGovernmentBEIS/inspect_ai#4916);
    json_object needs the word "json" in the messages (api-docs.deepseek.com/guides/json_mode)."""
    kind = (request.get("response_format") or {}).get("type", "text")
    if kind == "json_schema":
        return error(400, "This response_format type is unavailable now", code="invalid_request_error")
    if kind == "json_object" and "json" not in json.dumps(request["messages"], ensure_ascii=False).lower():
        message = "Prompt must contain the word 'json' in some form to use 'response_format' of type 'json_object'"
        return error(400, message, code="invalid_request_error")
    return None


def _dashscope_thinking(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """Open Qwen3 models on DashScope/Bailian think by default and refuse that without streaming
    (help.aliyun.com/en/model-studio/error-code; PDFMathTranslate#972): enable_thinking false is the fix."""
    if request.get("enable_thinking") is not False:
        message = "parameter.enable_thinking must be set to false for non-streaming calls"
        return error(400, message, code="invalid_parameter_error")
    return None


def _reasoning_content(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """DeepSeek's thinking mode returns its chain of thought in reasoning_content (api-docs.deepseek.com/guides/
    thinking_mode); vLLM and Ollama call the field `reasoning` (vllm#27752, ollama#15288). Neither is the
    answer, even when it quotes JSON."""
    thought = '我应当输出 {"summary": "不是答案", "tag": "wrong"}，先分析论文。'
    return completion(good, reasoning_content=thought, reasoning=thought)


def _blank_first(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """DeepSeek's JSON mode may answer only spaces with finish_reason "stop" ("handle blank content in your
    code (e.g., retry the request)", api-docs.deepseek.com/guides/json_mode): now and then, here the run's first."""
    if len(server.chats) == 1:
        return completion("   \n  ")
    return None


def _answer_in_reasoning(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """LM Studio with a thinking model applies json_schema to the reasoning stream: content comes back empty and
    the answer is in reasoning_content (lmstudio-bug-tracker#1773); GLM-5 does the same at times
    (HKUDS/Vibe-Trading#458)."""
    return completion("", reasoning_content=good)


def _minimax_balance(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """MiniMax's OpenAI-compatible API: HTTP 200, no choices, the error in base_resp (MiniMax-AI/MiniMax-M2#62
    quotes "insufficient balance (1008)")."""
    body = {"id": "x", "choices": None, "base_resp": {"status_code": 1008, "status_msg": "insufficient balance"}}
    return raw(200, body)


def _envelope_in_200(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """A relay that answers 200 with its own {code, message, data} envelope (SiliconFlow's error shape,
    docs.siliconflow.cn/faqs/error-code; GLM's code 1113 "您的账户已欠费，请充值后重试", docs.bigmodel.cn api-code)."""
    return raw(200, {"code": 1113, "message": "您的账户已欠费，请充值后重试", "data": None})


def _moderation(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """DeepSeek's moderation: HTTP 400 with the same type as a format error (666ghj/BettaFish#108): not a reason
    to walk the format ladder."""
    return error(400, "Content Exists Risk", code="invalid_request_error")


def _vllm_context(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """vLLM before 0.10.1: a prompt and answer budget over max_model_len (2048 here) refused in its top-level
    envelope, not OpenAI's (vllm#12886)."""
    text = "".join(m["content"] for m in request["messages"])
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    prompt = cjk + (len(text) - cjk) // 4  # about what a BPE tokenizer makes of Chinese and English
    asked = prompt + _budget(request)
    if asked > 2048:
        message = (
            f"This model's maximum context length is 2048 tokens. However, you requested {asked} tokens "
            f"({prompt} in the messages, {_budget(request)} in the completion). Please reduce the length of the "
            "messages or completion."
        )
        body = {"object": "error", "message": message, "type": "BadRequestError", "param": None, "code": 400}
        return raw(400, body)
    return None


def _openrouter_parameters(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """OpenRouter when no upstream takes a parameter: 404 (openstory#1302), here for json_schema."""
    if (request.get("response_format") or {}).get("type") == "json_schema":
        message = "No endpoints found that can handle the requested parameters."
        return raw(404, {"error": {"message": message, "code": 404}})
    return None


def _modelscope_thinking(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """ModelScope's wording of DashScope's thinking refusal (musistudio/claude-code-router#948)."""
    if request.get("enable_thinking") is not False:
        message = "enable thinking can not be support when `stream=False`."
        return raw(
            400, {"error": {"code": "invalid_parameter_error", "message": message, "type": "invalid_request_error"}}
        )
    return None


def _deepseek_thinking(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """DeepSeek V4 thinks by default and its chain of thought counts against max_tokens (api-docs.deepseek.com/
    zh-cn/guides/reasoning_model): a small budget gives empty content with reasoning_content and no count of
    reasoning tokens."""
    if _budget(request) < 8000:
        return completion("", "length", completion_tokens=_budget(request), reasoning_content="先分析这篇论文……")
    return completion(good, reasoning_content="先分析这篇论文……")


def _empty_json_200(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """A proxy answering 200 with an empty body labelled JSON (a misrouted base URL behind a gateway)."""
    return Canned(200, b"", {"Content-Type": "application/json"})


def _siliconflow_no_model(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """SiliconFlow: an unknown model is HTTP 400 in its own envelope (docs.siliconflow.cn/faqs/error-code)."""
    return raw(400, {"code": 20012, "message": "Model does not exist. Please check it carefully.", "data": None})


def _stream_only(server: FakeLLM, request: dict[str, Any], good: str, name: str) -> Canned | None:
    """QwQ on DashScope takes only streaming requests (infiniflow/ragflow#5912)."""
    message = "This model only support stream mode, please enable the stream parameter to access the model. "
    return error(400, message)


BEHAVIOURS: dict[str, Behaviour] = {
    "openai-reasoning": _openai_reasoning,
    "o-series-temperature": _o_series_temperature,
    "kimi-temperature": _kimi_temperature,
    "think-block": _think_block,
    "think-close-only": _think_close_only,
    "paragraphs": _paragraphs,
    "remark-after": _remark_after,
    "repeated": _repeated,
    "fenced": _fenced,
    "length-on-complete": _length_on_complete,
    "cut-short": _cut_short,
    "error-in-200": _error_in_200,
    "deepseek-balance": _deepseek_balance,
    "kimi-quota": _kimi_quota,
    "openai-quota": _openai_quota,
    "siliconflow-balance": _siliconflow_balance,
    "lm-studio": _lm_studio,
    "deepseek-formats": _deepseek_formats,
    "dashscope-thinking": _dashscope_thinking,
    "reasoning-content": _reasoning_content,
    "blank-first": _blank_first,
    "answer-in-reasoning": _answer_in_reasoning,
    "minimax-balance": _minimax_balance,
    "envelope-in-200": _envelope_in_200,
    "vllm-context": _vllm_context,
    "openrouter-parameters": _openrouter_parameters,
    "modelscope-thinking": _modelscope_thinking,
    "deepseek-thinking": _deepseek_thinking,
    "empty-json-200": _empty_json_200,
    "siliconflow-no-model": _siliconflow_no_model,
    "stream-only": _stream_only,
    "moderation": _moderation,
}
