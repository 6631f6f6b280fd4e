"""The model's transport: chat completions against any OpenAI-compatible endpoint, and the few raw calls the
Batch API needs. The answer cache is notegen.answers; the Batch API's requests and answers, notegen.batch_api.

Only this module imports `openai`. The client runs with max_retries=0: notegen's retry policy (notegen.retrying)
is the one retry layer, so retries never multiply and a server's Retry-After is honoured once.

Endpoints differ in what they take, and say so only by refusing. What a refusal teaches (a response_format it
does not take, a temperature only at its default, max_completion_tokens instead of max_tokens, enable_thinking
off, the room a reasoning model needs) is kept in a Shape for the run and, keyed by base URL and model, in the
workspace's cache (notegen.endpoints), so the next run does not pay for the lesson again. An error is the
provider's own words: a quota or balance message, in a 200 or a 4xx, stops the run at once, quoting them.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import openai

from notegen.endpoints import MODES, Endpoints, Shape, starting_shape
from notegen.errors import FatalError, PaperError
from notegen.retrying import Transient, call_with_retries, parse_retry_after, tries

log = logging.getLogger(__name__)

# Seconds other papers wait for the first call to learn the endpoint's shape before asking themselves: a refusal
# comes back at once, an answer takes longer, and a first call that hangs must not hold the others back.
PROBE_WAIT = 2.0
# The answer budget of a reasoning model: OpenAI's reasoning guide advises reserving at least 25,000 tokens for
# reasoning and output (developers.openai.com/docs/guides/reasoning). A budget is a cap, not a cost.
REASONING_ROOM = 25_000
ROOM_CAP = 65_536  # the most notegen gives on its own, unless max_tokens asks for more
_FORMAT_WORDS = (
    "response_format", "json_schema", "json_object", "structured", "input should be", "json mode",
    "requested parameters",
)  # fmt: skip
# A quota or balance that is spent: no retry helps (DeepSeek 402 "Insufficient Balance", Moonshot 429
# exceeded_current_quota_error, OpenAI 429 insufficient_quota, SiliconFlow 403, GLM 1113 欠费, MiniMax).
_SPENT_WORDS = (
    "insufficient balance", "insufficient_balance", "balance is insufficient", "insufficient_quota",
    "exceeded your current quota", "exceeded_current_quota", "recharge", "out of credits", "insufficient credits",
    "arrearage", "欠费", "余额不足", "billing",
)  # fmt: skip
# A refusal of the content, not of the request's shape: asking in another format would only pay again
# (DeepSeek "Content Exists Risk", DashScope data_inspection_failed, Kimi/Azure content_filter, GLM 1301).
_MODERATION_WORDS = (
    "content exists risk", "data_inspection_failed", "datainspectionfailed", "inappropriate content",
    "content_filter", "content management policy", "considered high risk", "敏感", "不安全",
)  # fmt: skip
# The model named does not exist there, in the words of servers that do not answer 404 (SiliconFlow 20012, GLM 1211).
_NO_MODEL_WORDS = ("model does not exist", "model not exist", "model_not_found", "模型不存在")
_CONTEXT_WORDS = (
    "context length", "context_length", "too long", "context size", "max_seq_len", "exceed_context_size",
    "model token limit", "超长",
)  # fmt: skip
_CONTEXT_LIMIT = re.compile(
    r"context length is (\d+)|context size \((\d+) tokens\)|max_seq_len \((\d+)\)|token limit ?: ?(\d+)"
)


@dataclass(frozen=True)
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    truncated: bool  # finish_reason "length": cut, unless the text turns out whole
    reasoning_tokens: int = 0
    budget: int = 0  # the answer budget it was asked with
    thought: bool = False  # reasoning came back beside the answer (reasoning_content, reasoning)


class LLM:
    """`temperature` None leaves it out; `reasoning_effort` is sent when set and the endpoint takes it; `memory`
    keeps what the endpoint was found to take (notegen.endpoints)."""

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None,
        timeout: float,
        attempts: int,
        max_tokens: int,
        schema: dict[str, Any] | None = None,
        temperature: float | None = None,
        reasoning_effort: str | None = None,
        memory: Endpoints | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url or "https://api.openai.com/v1"
        self.attempts = attempts
        self.schema = schema or {}
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.reasoning_effort = reasoning_effort
        self.memory = memory or Endpoints(None)
        remembered = self.memory.get(self.base_url, model)
        self.shape = remembered or starting_shape(self.base_url)
        self._settled = remembered is not None  # the first call of a run learns; the others wait for it
        self._fatal: FatalError | None = None  # a spent balance, a wrong key: every later call says it at once
        self._probe = threading.Lock()
        self._lock = threading.Lock()
        self._sleep = sleep
        self.timeout = timeout
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    def close(self) -> None:
        self._client.close()

    @property
    def mode(self) -> str:
        """The answer format in use: what this endpoint has been found to take."""
        return self.shape.format

    @property
    def budget(self) -> int:
        """Tokens an answer may take: max_tokens, or the room a reasoning model was found to need; within a
        context the server named, a third of it at most (the prompt needs the rest)."""
        budget = max(self.max_tokens, self.shape.room)
        return min(budget, max(256, self.shape.context // 3)) if self.shape.context else budget

    @property
    def prompt_budget(self) -> int | None:
        """Tokens of prompt the model takes, when the server has named its context."""
        return self.shape.context - self.budget - 64 if self.shape.context else None

    def call(
        self, messages: list[dict[str, str]], name: str, deadline: float | None = None, at_least: int = 0
    ) -> Reply:
        """The model's answer to `messages` for the paper `name`; `deadline` (time.monotonic()) bounds the whole
        call, every try and wait (default: `timeout` from now). `at_least`: the answer budget this call needs
        (the last answer was cut at a smaller one)."""
        deadline = deadline if deadline is not None else time.monotonic() + self.timeout
        if at_least > self.budget:
            self._make_room(at_least, name, "the answer was cut at the token limit")
        if not self._settled:
            waited = self._probe.acquire(timeout=max(0.0, min(PROBE_WAIT, (deadline - time.monotonic()) / 4)))
            if waited:
                try:
                    if not self._settled:
                        reply = self._call(messages, name, deadline)
                        self._settled = True
                        self.memory.put(self.base_url, self.model, self.shape)  # the next run need not wait
                        return reply
                finally:
                    self._probe.release()
        return self._call(messages, name, deadline)

    def ask_once(self, messages: list[dict[str, str]], mode: str, budget: int, deadline: float) -> Reply:
        """One request in `mode` with this endpoint's shape, no retries and no lessons: notegen doctor's probe."""
        return self._once(messages, "doctor", replace(self.shape, mode=MODES.index(mode)), budget, deadline)

    def served(self, timeout: float) -> list[Served] | None:
        """The models the endpoint lists (GET /models), with the context each says it has; None when the endpoint
        has no such list (HTTP 404/405). Errors are the FatalError the chat call would give."""
        try:
            page = self._client.models.list(timeout=timeout)
        except openai.APIStatusError as err:
            if err.status_code in (404, 405):
                return None
            raise self._status_error(err, "doctor", {}) from err
        except openai.APITimeoutError as err:
            raise FatalError(f"{self.base_url} gave no answer within {timeout:g} s") from err
        except openai.APIConnectionError as err:
            raise FatalError(f"{self.base_url} is unreachable", detail=_first_line(err.__cause__ or err)) from err
        return [Served(m.id, _context_of(m.model_dump())) for m in page.data if getattr(m, "id", None)]

    def learn(self, err: openai.APIStatusError, sent: dict[str, Any]) -> str | None:
        """What `err` (a refusal of the request `sent`) teaches about the endpoint: the shape is changed and the
        change said in words; None when it teaches nothing."""
        said, param = _said(err).lower(), str(_field(err, "param") or "").lower()
        shape = self.shape
        # Only reasoning models refuse max_tokens for max_completion_tokens, or take no temperature but 1 (OpenAI's
        # o-series and gpt-5 family, Kimi's thinking models). Their thinking counts against the answer budget and
        # they take no other temperature: both are learned from the first of these refusals, not one by one.
        reasoning = any(w in said for w in ("use 'max_completion_tokens'", "only the default (1)", "only 1 is allowed"))
        if reasoning:
            limit = "max_completion_tokens" if "max_completion_tokens" in said else shape.limit_name
            room = max(shape.room, REASONING_ROOM)
            lesson = replace(shape, temperature=False, limit_name=limit, room=room)
            if lesson != shape:
                return self._change(lesson, f"a reasoning model: {', '.join(lesson.said())}")
        if "temperature" in sent and (param == "temperature" or "temperature" in said):
            return self._change(replace(shape, temperature=False), "leaving out temperature")
        if "max_tokens" in sent and (param == "max_tokens" or "max_completion_tokens" in said):
            return self._change(replace(shape, limit_name="max_completion_tokens"), "using max_completion_tokens")
        if "max_completion_tokens" in sent and (param == "max_completion_tokens" or "max_completion_tokens" in said):
            return self._change(replace(shape, limit_name="max_tokens"), "using max_tokens")
        if "reasoning_effort" in sent and (param == "reasoning_effort" or "reasoning_effort" in said):
            return self._change(replace(shape, reasoning_effort=False), "leaving out reasoning_effort")
        thinking = re.search(r"enable[_ ]?thinking", said) is not None
        if thinking and not shape.thinking_off:
            return self._change(replace(shape, thinking_off=True), "sending enable_thinking: false")
        if thinking and shape.mode < MODES.index("text"):  # a model that always thinks takes no JSON mode
            return self._change(replace(shape, mode=MODES.index("text")), "")
        formats = any(w in said for w in _FORMAT_WORDS) or param.startswith("response_format")
        if (formats or err.status_code == 422 or not said) and shape.mode + 1 < len(MODES):
            return self._change(replace(shape, mode=_next_mode(shape.mode, said)), "")
        return None

    def _change(self, shape: Shape, words: str) -> str:
        with self._lock:
            before, self.shape = self.shape, shape
        if before.mode != shape.mode:
            words = f"it refused {MODES[before.mode]} answers; asking for {MODES[shape.mode]}"
        log.info("%s (%s): %s", self.base_url, self.model, words)
        self.memory.put(self.base_url, self.model, shape)
        return words

    def _make_room(self, room: int, name: str, why: str) -> None:
        cap = max(ROOM_CAP, self.max_tokens)
        if self.budget >= cap:
            raise PaperError(name, f"{why} with {self.budget} tokens", hint=self._more_room(self.budget))
        room = min(cap, max(room, self.budget + 1))
        if room > self.shape.room:
            self._change(replace(self.shape, room=room), f"{why}: asking with more room")

    # -- the raw calls of the Batch API (notegen.batch_api builds its requests and reads its answers) --------

    def batch_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """The body of one chat request in a Batch API job, as this endpoint would be asked directly."""
        body, extra = self._request(messages, self.shape, self.budget)
        return {**body, **(extra or {})}

    def send_batch(self, jsonl: bytes) -> str:
        """Upload the job's requests and start it; returns the batch id."""
        try:
            upload = self._client.files.create(file=("notegen-batch.jsonl", jsonl), purpose="batch")
            batch = self._client.batches.create(
                input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
        except (openai.NotFoundError, openai.BadRequestError) as err:
            raise FatalError(
                f"{self.base_url} does not take Batch API jobs",
                detail=_first_line(_said(err)),
                hint="run without --batch-api",
            ) from err
        except openai.APIError as err:
            raise FatalError(
                "the Batch API job could not be sent", detail=_first_line(err), hint="rerun to try again"
            ) from err
        return batch.id

    def batch_state(self, batch_id: str) -> tuple[str, str | None]:
        """(status, output file id) of a Batch API job."""
        try:
            batch = self._client.batches.retrieve(batch_id)
        except openai.APIError as err:
            raise FatalError(
                "could not ask for its state", subject=f"batch {batch_id}", detail=_first_line(err), hint="rerun later"
            ) from err
        return batch.status, batch.output_file_id

    def batch_output(self, output_file_id: str) -> str:
        """The answers of a finished job, as the JSONL the endpoint keeps."""
        try:
            return self._client.files.content(output_file_id).text
        except openai.APIError as err:
            raise FatalError(
                "the batch answers could not be fetched", detail=_first_line(err), hint="rerun later"
            ) from err

    # -- one paper's call ------------------------------------------------------------------------------------

    def _call(self, messages: list[dict[str, str]], name: str, deadline: float) -> Reply:
        try:
            return self._learning(messages, name, deadline)
        except FatalError as err:
            self._fatal = err
            raise

    def _learning(self, messages: list[dict[str, str]], name: str, deadline: float) -> Reply:
        """Asks in the endpoint's current shape; a refusal that teaches something is asked again at once in the
        new shape, and an empty answer cut at the limit (a reasoning model that spent its budget thinking) once
        more with room to answer. An answer cut at the limit gives the next ones more room."""
        if self._fatal is not None:
            raise self._fatal
        roomed = 0
        for _ in range(len(MODES) + 8):  # every lesson changes the shape for good: this ends
            shape = self.shape
            try:
                reply = self._with_retries(messages, name, shape, deadline)
            except _Learned:
                continue
            if reply.truncated and not reply.text.strip():
                if reply.budget < self.budget:  # another paper made room meanwhile
                    continue
                if roomed < 2:
                    if reply.reasoning_tokens:  # as much again as it used, and the answer's own room
                        room = reply.budget + 2 * reply.reasoning_tokens
                    elif reply.thought:  # reasoning seen, not counted (DeepSeek, Ollama): a reasoning model's room
                        room = max(REASONING_ROOM, 4 * reply.budget)
                    else:
                        room = 4 * reply.budget
                    self._make_room(max(room, 4 * self.max_tokens), name, "the model reasoned until the token limit")
                    roomed += 1
                    if self.budget > reply.budget:
                        continue
                full = self.shape.context and self.budget <= reply.budget
                raise PaperError(
                    name,
                    f"the model spent all {reply.budget} answer tokens and wrote no answer",
                    detail=f"{reply.reasoning_tokens} of them reasoning" if reply.reasoning_tokens else "",
                    hint=(
                        f"its context ({self.shape.context} tokens) leaves no more room: serve it with a longer one"
                        + ("" if self.reasoning_effort else ', or set reasoning_effort = "low"')
                        if full
                        else self._more_room(reply.budget)
                    ),
                )
            if reply.truncated and reply.budget >= self.budget and self.budget < max(ROOM_CAP, self.max_tokens):
                self._make_room(2 * reply.budget, name, "an answer reached the token limit")  # for the next ones
            return reply
        raise PaperError(name, f"{self.base_url} refused every way of asking", hint="run notegen doctor")

    def _with_retries(self, messages: list[dict[str, str]], name: str, shape: Shape, deadline: float) -> Reply:
        def once() -> Reply:
            return self._answer(messages, name, shape, deadline)

        sleep = self._sleep or time.sleep
        try:
            return call_with_retries(once, self.attempts, f"{name} LLM", sleep=sleep, deadline=deadline)
        except _OutOfTime as err:
            raise PaperError(name, str(err), hint="retry later or raise llm_timeout") from err
        except Transient as err:
            raise PaperError(name, f"{err} {tries(err)}", hint="retry later") from err

    def _more_room(self, budget: int) -> str:
        low = "" if self.reasoning_effort else ', or set reasoning_effort = "low"'
        return f"raise max_tokens above {budget} in notegen.toml{low}"

    @property
    def _too_slow(self) -> _OutOfTime:
        return _OutOfTime(
            f"the LLM endpoint gave no answer within llm_timeout ({self.timeout:g} s for the paper, every try included)"
        )

    def _within_deadline(self, deadline: float, request: dict[str, Any], extra: dict[str, Any] | None) -> Any:
        """The request, given up at `deadline`. The client's own timeout may bound only each read, so a server
        that drips out a byte now and then would otherwise hold the paper as long as it likes; whichever of the
        two fires, the person reads the same bound."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._too_slow
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = self._client.chat.completions.create(**request, extra_body=extra, timeout=left)
            except BaseException as err:  # handed to the caller's thread as it is
                box["error"] = err

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(left)
        if worker.is_alive():
            raise self._too_slow
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _request(
        self, messages: list[dict[str, str]], shape: Shape, budget: int
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The request's body and the fields the openai client does not know (extra_body)."""
        request: dict[str, Any] = {"model": self.model, "messages": messages, shape.limit_name: budget}
        if self.temperature is not None and shape.temperature:
            request["temperature"] = self.temperature
        if self.reasoning_effort and shape.reasoning_effort:
            request["reasoning_effort"] = self.reasoning_effort
        if shape.format == "json_schema":
            schema = {"name": "paper_note", "schema": self.schema, "strict": True}
            request["response_format"] = {"type": "json_schema", "json_schema": schema}
        elif shape.format == "json_object+schema":
            request["response_format"] = {"type": "json_object", "schema": self.schema}
        elif shape.format == "json_object":
            request["response_format"] = {"type": "json_object"}
        if shape.format.startswith("json_object") and not any("json" in m["content"].lower() for m in messages):
            # OpenAI, DeepSeek and DashScope refuse json_object unless a message says "json" (a person's own
            # prompt may not): the last message says it.
            request["messages"] = [*messages[:-1], {**messages[-1], "content": messages[-1]["content"] + "\n\nJSON"}]
        return request, ({"enable_thinking": False} if shape.thinking_off else None)

    def _answer(self, messages: list[dict[str, str]], name: str, shape: Shape, deadline: float) -> Reply:
        """One try: a refusal that teaches something raises _Learned (asked again at once, not a try)."""
        try:
            return self._once(messages, name, shape, self.budget, deadline)
        except _Refused as refused:
            if refused.sent is not None and self.learn(refused.error, refused.sent) is not None:
                raise _Learned from refused
            said = _first_line(_said(refused.error))
            raise PaperError(
                name, f"{self.base_url} refused the request", detail=f"HTTP {refused.error.status_code}: “{said}”"
            ) from refused

    def _once(self, messages: list[dict[str, str]], name: str, shape: Shape, budget: int, deadline: float) -> Reply:
        request, extra = self._request(messages, shape, budget)
        sent = {**request, **(extra or {})}
        try:
            response = self._within_deadline(deadline, request, extra)
        except openai.APITimeoutError as err:
            raise self._too_slow from err
        except openai.APIConnectionError as err:
            raise Transient(f"the LLM endpoint {self.base_url} is unreachable (check OPENAI_BASE_URL)") from err
        except openai.APIStatusError as err:
            raise self._status_error(err, name, sent) from err
        except ValueError as err:  # a 200 labelled JSON whose body is not (empty, a web page)
            raise _not_an_answer(self.base_url, _first_line(err)) from err
        return self._reply(response, name, budget)

    def _status_error(self, err: openai.APIStatusError, name: str, sent: dict[str, Any]) -> Exception:
        """What an HTTP error means for the run: the provider's words in every message."""
        said = _said(err)
        words, status = said.lower(), err.status_code
        quoted = f"“{_first_line(said)}”" if said else "no reason given"
        if status == 401:
            return FatalError(
                f"{self.base_url} rejected the API key",
                detail=f"HTTP 401: {quoted}",
                hint="set OPENAI_API_KEY to a valid key for it",
            )
        if status == 402 or any(w in words or w in str(_field(err, "type")).lower() for w in _SPENT_WORDS):
            return FatalError(
                f"{self.base_url} refused the request",
                detail=f"HTTP {status}: {quoted}",
                hint="the account's balance or quota is spent: top it up, or use another key or endpoint",
            )
        if status == 403:
            return FatalError(
                f"{self.base_url} refused model {self.model!r} with this key",
                detail=f"HTTP 403: {quoted}",
                hint="check NOTEGEN_MODEL and the key's permissions",
            )
        if status == 404 and "requested parameters" in words:  # OpenRouter: no upstream takes this request
            return _Refused(err, sent)
        if status == 404 or any(w in words for w in _NO_MODEL_WORDS):
            return FatalError(
                f"model {self.model!r} not found at {self.base_url}",
                detail=f"HTTP {status}: {quoted}",
                hint="check NOTEGEN_MODEL and OPENAI_BASE_URL (notegen doctor lists the models it serves)",
            )
        if status == 429:
            return Transient(f"the LLM endpoint answered HTTP 429 ({quoted})", parse_retry_after(err.response.headers))
        if any(w in words for w in _CONTEXT_WORDS):
            found = _CONTEXT_LIMIT.search(words)
            limit = int(next(g for g in found.groups() if g)) if found else _field(err, "n_ctx")
            if isinstance(limit, int) and limit > 0 and limit != self.shape.context:
                self._change(replace(self.shape, context=limit), f"its context is {limit} tokens")
            return ContextTooLong(name, limit if isinstance(limit, int) else None)
        if "only support stream" in words or "only supports stream" in words:
            return FatalError(
                f"model {self.model!r} answers only streaming requests",
                subject=self.base_url,
                detail=f"HTTP {status}: {quoted}",
                hint="choose another model",
            )
        if any(w in words for w in _MODERATION_WORDS):
            return PaperError(
                name,
                f"{self.base_url} refused the paper's text",
                detail=f"HTTP {status}: {quoted}",
                hint="its moderation flagged it: try another model or endpoint for this paper",
            )
        if status >= 500 and not any(w in words for w in _FORMAT_WORDS):
            return Transient(
                f"the LLM endpoint answered HTTP {status} ({quoted})", parse_retry_after(err.response.headers)
            )
        return _Refused(err, sent)

    def _reply(self, response: Any, name: str, budget: int) -> Reply:
        if isinstance(response, str) or not hasattr(response, "choices"):  # not JSON: a web page, a login portal
            shown = " ".join(str(response).split())[:60]
            raise _not_an_answer(self.base_url, repr(shown))
        if not response.choices:
            problem = _problem_in_200(response.model_extra or {})
            if problem:
                raise _error_in_200(problem, self.base_url)
            raise Transient("the LLM endpoint returned no choices")
        choice = response.choices[0]
        usage = response.usage
        details = getattr(usage, "completion_tokens_details", None) if usage else None
        text = choice.message.content or "" if choice.message else ""
        side = _reasoning_of(choice.message)
        if choice.finish_reason in ("content_filter", "sensitive") and not text.strip():
            raise PaperError(
                name,
                f"{self.base_url} withheld the answer",
                detail=f"finish_reason {choice.finish_reason!r}: its content filter",
                hint="try another model or endpoint for this paper",
            )
        if not text.strip() and choice.finish_reason != "length":
            if '"summary"' in side:
                # The answer went to the reasoning field: LM Studio applies json_schema to the reasoning stream
                # (lmstudio-bug-tracker#1773), GLM-5 at times answers only in reasoning_content (Vibe-Trading#458).
                text = side
            else:
                # DeepSeek's JSON mode may answer only spaces ("handle blank content ... retry the request",
                # api-docs.deepseek.com/guides/json_mode); GLM now and then ends a thinking stream with no text.
                raise Transient("the model answered with blank text", retry_after=0.5)
        return Reply(
            text=text,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cached=False,
            truncated=choice.finish_reason == "length",
            reasoning_tokens=int(getattr(details, "reasoning_tokens", None) or 0),
            budget=budget,
            thought=bool(side.strip()),
        )


@dataclass(frozen=True)
class Served:
    model: str
    context: int | None  # tokens, when the listing says


def _context_of(entry: dict[str, Any]) -> int | None:
    """The context length a model listing gives: vLLM's max_model_len, OpenRouter's and LM Studio's
    context_length / max_context_length, llama.cpp's meta.n_ctx_train."""
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    for value in (
        entry.get("max_model_len"),
        entry.get("context_length"),
        entry.get("max_context_length"),
        entry.get("context_window"),
        meta.get("n_ctx") if meta else None,
        meta.get("n_ctx_train") if meta else None,
    ):
        if isinstance(value, int) and value > 0:
            return value
    return None


def _reasoning_of(message: Any) -> str:
    """The reasoning a message carries beside its content: reasoning_content (DeepSeek, Qwen, GLM) or reasoning
    (vLLM since 0.11, Ollama, OpenRouter)."""
    extra = getattr(message, "model_extra", None) or {}
    for key in ("reasoning_content", "reasoning"):
        if isinstance(extra.get(key), str):
            return str(extra[key])
    return ""


def _problem_in_200(extra: dict[str, Any]) -> dict[str, Any] | None:
    """An error reported in a 200 without choices, in the envelopes gateways use: OpenAI's `error` object
    (OpenRouter, relays), a top-level code and message (SiliconFlow's and GLM's envelope), MiniMax's base_resp."""
    error = extra.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(error, str) and error.strip():
        return {"message": error}
    base = extra.get("base_resp")
    if isinstance(base, dict) and base.get("status_code") not in (None, 0):
        return {"message": base.get("status_msg"), "code": base.get("status_code")}
    message = next((extra[k] for k in ("message", "msg", "detail") if isinstance(extra.get(k), str)), None)
    return {"message": message, "code": extra.get("code")} if message else None


def _error_in_200(problem: dict[str, Any], base_url: str) -> Exception:
    """A gateway's error object in a 200: transient when it says so (an upstream 429 or 5xx), else the run stops
    with the provider's words (a spent balance repeats for every paper)."""
    message, code = problem.get("message"), problem.get("code")
    meta = problem.get("metadata")
    if isinstance(meta, dict) and meta.get("raw"):  # OpenRouter: the upstream provider's own words
        message = f"{message} ({meta.get('provider_name') or 'upstream'}: {_first_line(meta['raw'])})"
    quoted = f"“{_first_line(message)}”" if message else "no reason given"
    if str(code) in ("408", "429", "500", "502", "503", "504") and not any(
        w in str(message).lower() for w in _SPENT_WORDS
    ):
        return Transient(f"the LLM endpoint passed on an error ({quoted})")
    return FatalError(
        f"{base_url} answered with an error instead of an answer", detail=quoted, hint="fix that and rerun"
    )


def _not_an_answer(base_url: str, shown: str) -> FatalError:
    return FatalError(
        f"the LLM endpoint {base_url} answered with something that is not an API answer",
        detail=shown,
        hint="check OPENAI_BASE_URL",
    )


def _next_mode(mode: int, said: str) -> int:
    """The next answer format to try; when the refusal names the types it takes (LM Studio: "must be 'json_schema'
    or 'text'"; Volcengine: "supported values are: `json_object` and `text`"), the first of those."""
    named = [m for m in range(mode + 1, len(MODES)) if MODES[m].split("+")[0] in said]
    return named[0] if named else mode + 1


def _said(err: openai.APIStatusError) -> str:
    """The provider's own words: the error object's message, a plain-string error (LM Studio), another envelope's
    message (SiliconFlow's {code, message, data}, vLLM's old top-level body), else what the client made of it."""
    body = err.body
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, dict):
        for key in ("message", "msg", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"]).strip()
    message = str(err.message)
    return "" if re.fullmatch(r"Error code: \d+", message) else message


def _field(err: openai.APIStatusError, name: str) -> object:
    body = err.body
    return body.get(name) if isinstance(body, dict) else None


def _first_line(message: object, most: int = 200) -> str:
    """The message on one line, cut at a word (or, in Chinese, anywhere) when longer than `most`."""
    text = " ".join(str(message).split())
    if len(text) <= most:
        return text
    cut = text.rfind(" ", most // 2, most)
    return text[: cut if cut > 0 else most] + "…"


class _OutOfTime(Transient):
    """The paper's model step used up llm_timeout: no further try."""


class _Refused(Exception):
    """The endpoint refused the request `sent` for a reason that may be its shape (a format, a parameter)."""

    def __init__(self, error: openai.APIStatusError, sent: dict[str, Any] | None) -> None:
        super().__init__(_said(error))
        self.error = error
        self.sent = sent


class _Learned(Exception):
    """The endpoint's shape changed: ask again at once."""


class ContextTooLong(PaperError):
    """The prompt does not fit the model's context; `limit` is the context in tokens when the server said."""

    def __init__(self, name: str, limit: int | None) -> None:
        super().__init__(
            name,
            "the prompt does not fit the model's context, even with the introduction cut",
            detail=f"{limit} tokens" if limit else "",
            hint="serve the model with a longer context, or lower max_tokens",
        )
        self.limit = limit
