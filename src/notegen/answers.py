"""The model's answers, cached under .notegen/llm by what was asked: a rerun asks only what it has no usable
answer to, and the Batch API's answers land here for the normal path to find."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from notegen.llm import LLM, Reply
from notegen.storage import write_atomic

log = logging.getLogger(__name__)


@dataclass
class Usage:
    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Answers:
    """Asks `llm` through a cache in `cache_dir`, and counts what the run used."""

    def __init__(self, llm: LLM, cache_dir: Path) -> None:
        self.llm = llm
        self.cache_dir = cache_dir
        self.usage = Usage()
        self._lock = threading.Lock()

    def key(self, messages: list[dict[str, str]]) -> str:
        blob = json.dumps({"model": self.llm.model, "messages": messages}, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def ask(
        self,
        messages: list[dict[str, str]],
        name: str,
        refresh: bool = False,
        accept: Callable[[str, bool], bool] | None = None,
        deadline: float | None = None,
        at_least: int = 0,
    ) -> Reply:
        """The model's answer to `messages` for the paper `name`, from the cache unless `refresh`.

        Only an answer `accept(text, truncated)` takes is cached (a cached one it refuses is asked again), so an
        unusable answer never comes back on a rerun. `deadline` (time.monotonic()) bounds the whole call, tries and
        waits; `at_least` is the answer budget needed (the last answer was cut at a smaller one).
        """
        path = self._path(self.key(messages))
        if not refresh and not at_least and path.is_file():
            try:
                text = json.loads(path.read_text(encoding="utf-8"))["text"]
            except (ValueError, KeyError, TypeError, OSError):
                log.info("ignoring unreadable cache entry %s", path)
            else:
                if accept is None or accept(text, False):
                    with self._lock:
                        self.usage.cached += 1
                    log.debug("%s: the model's answer from the cache (%s)", name, path.name)
                    return Reply(text, 0, 0, cached=True, truncated=False)
                path.unlink(missing_ok=True)
        started = time.monotonic()
        reply = self.llm.call(messages, name, deadline, at_least=at_least)
        log.debug(
            "%s: the model answered in %.2f s (%d tokens in, %d out)",
            name,
            time.monotonic() - started,
            reply.prompt_tokens,
            reply.completion_tokens,
        )
        self.count(reply.prompt_tokens, reply.completion_tokens)
        if accept(reply.text, reply.truncated) if accept is not None else not reply.truncated:
            self.store(self.key(messages), reply.text)
        return reply

    def has(self, messages: list[dict[str, str]]) -> bool:
        return self._path(self.key(messages)).is_file()

    def store(self, key: str, text: str) -> None:
        data = {"model": self.llm.model, "text": text}
        write_atomic(self._path(key), json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def count(self, prompt_tokens: int, completion_tokens: int) -> None:
        """One answer the endpoint gave (directly or in a batch), and its tokens."""
        with self._lock:
            self.usage.calls += 1
            self.usage.prompt_tokens += prompt_tokens
            self.usage.completion_tokens += completion_tokens

    def _path(self, key: str) -> Path:
        return self.cache_dir / f"{key}.json"
