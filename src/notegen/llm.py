"""The model's transport: chat completions against any OpenAI-compatible endpoint, and the few raw calls the
Batch API needs. The answer cache is notegen.answers; the Batch API's requests and answers, notegen.batch_api.

Only this module imports `openai`. The client runs with max_retries=0: notegen's retry policy (notegen.retrying)
is the one retry layer, so retries never multiply and a server's Retry-After is honoured once.

Structured output differs between servers, so the first call asks for json_schema and falls back to json_object,
then to plain text, when a server refuses the format; the mode that worked is kept for the rest of the run.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from notegen.errors import FatalError, PaperError
from notegen.retrying import Transient, call_with_retries, parse_retry_after, tries

log = logging.getLogger(__name__)

# Tried in this order; a server that refuses one (HTTP 400/422, or a 5xx whose message is about the request's
# response_format, as llama.cpp's server answers json_schema) gets the next. json_object with a "schema" field is
# how llama.cpp-style servers constrain decoding to a schema.
MODES = ("json_schema", "json_object+schema", "json_object", "text")
# Seconds other papers wait for the first call to find the mode before asking themselves: a refusal comes back at
# once, an answer takes longer, and a first call that hangs must not hold the others back.
PROBE_WAIT = 2.0
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "structured", "input should be")


@dataclass(frozen=True)
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    truncated: bool


class LLM:
    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None,
        timeout: float = 120.0,
        attempts: int = 4,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 1200,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url or "https://api.openai.com/v1"
        self.attempts = attempts
        self.schema = schema or {}
        self.max_tokens = max_tokens
        self._mode = 0
        self._settled = False
        self._limit_name = "max_tokens"
        self._probe = threading.Lock()
        self._lock = threading.Lock()
        self._sleep = sleep
        self.timeout = timeout
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    def close(self) -> None:
        self._client.close()

    @property
    def mode(self) -> str:
        """The structured-output mode in use: what this endpoint has been found to take."""
        return MODES[self._mode]

    def call(self, messages: list[dict[str, str]], name: str, deadline: float | None = None) -> Reply:
        """The model's answer to `messages` for the paper `name`; `deadline` (time.monotonic()) bounds the whole
        call, every try and wait (default: `timeout` from now)."""
        return self._call(messages, name, deadline)

    # -- the raw calls of the Batch API (notegen.batch_api builds its requests and reads its answers) --------

    def batch_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """The body of one chat request in a Batch API job, as this endpoint would be asked directly."""
        return {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            self._limit_name: self.max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "paper_note", "schema": self.schema, "strict": True},
            },
        }

    def send_batch(self, jsonl: bytes) -> str:
        """Upload the job's requests and start it; returns the batch id."""
        try:
            upload = self._client.files.create(file=("notegen-batch.jsonl", jsonl), purpose="batch")
            batch = self._client.batches.create(
                input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
        except (openai.NotFoundError, openai.BadRequestError) as err:
            raise FatalError(
                f"{self.base_url} does not take Batch API jobs ({_first_line(err.message)}); run without --batch-api"
            ) from err
        except openai.APIError as err:
            raise FatalError(f"the Batch API job could not be sent ({_first_line(err)}); rerun to try again") from err
        return batch.id

    def batch_state(self, batch_id: str) -> tuple[str, str | None]:
        """(status, output file id) of a Batch API job."""
        try:
            batch = self._client.batches.retrieve(batch_id)
        except openai.APIError as err:
            raise FatalError(
                f"batch {batch_id}: could not ask for its state ({_first_line(err)}); rerun later"
            ) from err
        return batch.status, batch.output_file_id

    def batch_output(self, output_file_id: str) -> str:
        """The answers of a finished job, as the JSONL the endpoint keeps."""
        try:
            return self._client.files.content(output_file_id).text
        except openai.APIError as err:
            raise FatalError(f"the batch answers could not be fetched ({_first_line(err)}); rerun later") from err

    def _call(self, messages: list[dict[str, str]], name: str, deadline: float | None) -> Reply:
        """The first call of a run finds the structured-output mode the server takes; calls made meanwhile wait
        for it (up to PROBE_WAIT), so a server that refuses a mode is asked with it once, not once per paper,
        and a first call that hangs holds no other paper back for long."""
        deadline = deadline if deadline is not None else time.monotonic() + self.timeout
        if not self._settled:
            waited = self._probe.acquire(timeout=max(0.0, min(PROBE_WAIT, (deadline - time.monotonic()) / 4)))
            if waited:
                try:
                    if not self._settled:
                        reply = self._call_in_mode(messages, name, deadline)
                        self._settled = True
                        return reply
                finally:
                    self._probe.release()
        return self._call_in_mode(messages, name, deadline)

    def _call_in_mode(self, messages: list[dict[str, str]], name: str, deadline: float) -> Reply:
        while True:
            mode = self._mode
            try:
                return self._with_retries(messages, name, MODES[mode], deadline)
            except _FormatRefused as refused:
                with self._lock:
                    if self._mode == mode and mode + 1 < len(MODES):
                        self._mode = mode + 1
                        log.info("%s refused %s output; using %s", self.base_url, MODES[mode], MODES[mode + 1])
                    elif self._mode == mode:
                        raise PaperError(name, f"the LLM endpoint refused the request ({refused})") from None

    def _with_retries(self, messages: list[dict[str, str]], name: str, mode: str, deadline: float) -> Reply:
        def once() -> Reply:
            return self._once(messages, name, mode, deadline)

        sleep = self._sleep or time.sleep
        try:
            return call_with_retries(once, self.attempts, f"{name} LLM", sleep=sleep, deadline=deadline)
        except _OutOfTime as err:
            raise PaperError(name, f"{err}; retry later or raise llm_timeout") from err
        except Transient as err:
            raise PaperError(name, f"{err} {tries(err)}; retry later") from err

    @property
    def _too_slow(self) -> _OutOfTime:
        return _OutOfTime(
            f"the LLM endpoint gave no answer within llm_timeout ({self.timeout:g} s for the paper, every try included)"
        )

    def _within_deadline(self, deadline: float, **request: Any) -> Any:
        """The request, given up at `deadline`. The client's own timeout may bound only each read, so a server
        that drips out a byte now and then would otherwise hold the paper as long as it likes; whichever of the
        two fires, the person reads the same bound."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._too_slow
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = self._client.chat.completions.create(**request, timeout=left)
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

    def _once(self, messages: list[dict[str, str]], name: str, mode: str, deadline: float) -> Reply:
        kwargs: dict[str, Any] = {}
        if mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "paper_note", "schema": self.schema, "strict": True},
            }
        elif mode == "json_object+schema":
            kwargs["response_format"] = {"type": "json_object", "schema": self.schema}
        elif mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        try:
            kwargs[self._limit_name] = self.max_tokens
            response = self._within_deadline(deadline, model=self.model, messages=messages, temperature=0.2, **kwargs)
        except openai.AuthenticationError as err:
            raise FatalError(
                f"the LLM endpoint rejected the API key (HTTP 401); set OPENAI_API_KEY to a valid key for "
                f"{self.base_url}"
            ) from err
        except openai.PermissionDeniedError as err:
            raise FatalError(
                f"the API key may not use model {self.model!r} (HTTP 403); check NOTEGEN_MODEL and the key's "
                "permissions"
            ) from err
        except openai.NotFoundError as err:
            raise FatalError(
                f"model {self.model!r} not found at {self.base_url} (HTTP 404); check NOTEGEN_MODEL and OPENAI_BASE_URL"
            ) from err
        except openai.RateLimitError as err:
            raise Transient("the LLM endpoint answered HTTP 429", parse_retry_after(err.response.headers)) from err
        except openai.APITimeoutError as err:
            raise self._too_slow from err
        except openai.APIConnectionError as err:
            raise Transient(f"the LLM endpoint {self.base_url} is unreachable (check OPENAI_BASE_URL)") from err
        except openai.APIStatusError as err:
            text = str(err.message).lower()
            if "context length" in text or "context_length" in text or "too long" in text:
                limit = re.search(r"context length is (\d+)", text)
                raise ContextTooLong(name, int(limit.group(1)) if limit else None) from err
            if "max_completion_tokens" in text and self._limit_name == "max_tokens":
                self._limit_name = "max_completion_tokens"  # newer OpenAI models take only this name
                raise Transient("the model wants max_completion_tokens", retry_after=0) from err
            if err.status_code in (400, 422) or any(w in text for w in _FORMAT_WORDS):
                if mode != "text":
                    raise _FormatRefused(f"HTTP {err.status_code}: {_first_line(err.message)}") from err
                raise PaperError(
                    name, f"the LLM endpoint refused the request (HTTP {err.status_code}: {_first_line(err.message)})"
                ) from err
            if err.status_code >= 500:
                raise Transient(
                    f"the LLM endpoint answered HTTP {err.status_code}", parse_retry_after(err.response.headers)
                ) from err
            raise PaperError(name, f"the LLM endpoint answered HTTP {err.status_code}") from err
        if isinstance(response, str) or not hasattr(response, "choices"):  # not JSON: a web page, a login portal
            shown = " ".join(str(response).split())[:60]
            raise FatalError(
                f"the LLM endpoint {self.base_url} answered with something that is not an API answer ({shown!r}); "
                "check OPENAI_BASE_URL"
            )
        if not response.choices:
            raise Transient("the LLM endpoint returned no choices")
        choice = response.choices[0]
        usage = response.usage
        return Reply(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cached=False,
            truncated=choice.finish_reason == "length",
        )


def _first_line(message: object) -> str:
    return " ".join(str(message).split())[:160]


class _OutOfTime(Transient):
    """The paper's model step used up llm_timeout: no further try."""


class _FormatRefused(Exception):
    """The server does not take this response_format."""


class ContextTooLong(PaperError):
    """The prompt does not fit the model's context; `limit` is the context in tokens when the server said."""

    def __init__(self, name: str, limit: int | None) -> None:
        said = f" ({limit} tokens)" if limit else ""
        super().__init__(name, f"the prompt is longer than the model's context{said}; set context_tokens lower")
        self.limit = limit

    def __reduce__(self) -> tuple[type[ContextTooLong], tuple[str, int | None]]:  # type: ignore[override]
        return (type(self), (self.name, self.limit))
