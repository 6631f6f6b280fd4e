"""What an endpoint takes, as its refusals taught it: kept for the run, and in the workspace's cache keyed by base
URL and model, so the next run asks the right way at once. A cache only: deleting it costs the lessons again."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from notegen.storage import write_atomic

log = logging.getLogger(__name__)

# The answer formats, tried in this order; a server that refuses one gets the next. json_object with a "schema"
# field is how llama.cpp-style servers constrain decoding to a schema.
MODES = ("json_schema", "json_object+schema", "json_object", "text")
ENDPOINTS_FILE = "endpoints.json"  # under the workspace's state folder
KEEP_DAYS = 14  # a server is upgraded, a model redeployed: lessons older than this are learned again


@dataclass(frozen=True)
class Shape:
    """How to ask this endpoint and model."""

    mode: int = 0  # index into MODES
    temperature: bool = True  # False: the model takes only its default, so none is sent
    limit_name: str = "max_tokens"  # or max_completion_tokens (OpenAI's reasoning models take only that)
    reasoning_effort: bool = True  # False: the endpoint refused the parameter
    thinking_off: bool = False  # sends enable_thinking: false (open Qwen3 models on DashScope think otherwise)
    room: int = 0  # the answer budget a reasoning model was found to need, when above max_tokens
    context: int = 0  # the model's context in tokens, when the server said it in a refusal

    @property
    def format(self) -> str:
        return MODES[self.mode]

    def said(self) -> list[str]:
        """What is unusual about this shape, in words for the person (doctor, -v)."""
        words = []
        if not self.temperature:
            words.append("no temperature (the model takes only its default)")
        if self.limit_name != "max_tokens":
            words.append(f"{self.limit_name} instead of max_tokens")
        if not self.reasoning_effort:
            words.append("no reasoning_effort (the endpoint refused it)")
        if self.thinking_off:
            words.append("enable_thinking: false")
        if self.room:
            words.append(f"{self.room} tokens of room for reasoning")
        if self.context:
            words.append(f"a context of {self.context} tokens")
        return words


def starting_shape(base_url: str) -> Shape:
    """OpenAI's own API takes max_completion_tokens from every model (max_tokens is deprecated there, and its
    reasoning models refuse it): start with it. Other servers are asked with max_tokens, which all of them take."""
    if "api.openai.com" in base_url or ".openai.azure.com" in base_url:
        return Shape(limit_name="max_completion_tokens")
    return Shape()


class Endpoints:
    """The workspace's record of shapes, one JSON file; unreadable or stale entries are forgotten quietly."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def get(self, base_url: str, model: str) -> Shape | None:
        entry = self._read().get(_key(base_url, model))
        if not isinstance(entry, dict) or time.time() - float(entry.get("at", 0)) > KEEP_DAYS * 86400:
            return None
        names = {f.name for f in fields(Shape)}
        try:
            shape = Shape(**{k: v for k, v in entry.items() if k in names})
        except TypeError:
            return None
        return shape if 0 <= shape.mode < len(MODES) else None

    def put(self, base_url: str, model: str, shape: Shape) -> None:
        if self.path is None:
            return
        with self._lock:
            data = self._read()
            data[_key(base_url, model)] = {**asdict(shape), "at": time.time()}
            try:
                write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
            except OSError as err:  # a cache: the run goes on without it
                log.info("could not keep what %s takes in %s: %s", base_url, self.path, err)

    def _read(self) -> dict[str, object]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def _key(base_url: str, model: str) -> str:
    return f"{base_url.rstrip('/')} {model}"
