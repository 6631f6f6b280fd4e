"""What one command's papers share: the settings, the arXiv client, the model (behind its answer cache) and the
prompts, the clock, where progress goes, and the run's budget for waiting on the workspace lock. A command
builds one Session, passes it to the steps (notegen.step, notegen.day_note) and closes it at the end."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Self

from notegen import note, secret, summarize
from notegen.answers import Answers
from notegen.bounded import Bounded
from notegen.endpoints import ENDPOINTS_FILE, Endpoints
from notegen.errors import UsageError
from notegen.fetch import Arxiv
from notegen.llm import LLM
from notegen.settings import Settings
from notegen.storage import clean_stale, vault_lock


class Session:
    """`clock` (epoch ms) and `new_id` are there for golden tests; `status` takes progress lines. With
    `dry_run` nothing is written to the workspace (answers and PDFs may still be cached). Without `use_llm`
    there is no model: summaries are placeholders. `without_key` is what the person can do instead of setting
    a missing key, in its message."""

    def __init__(
        self,
        settings: Settings,
        use_llm: bool = True,
        clock: Callable[[], int] = lambda: int(time.time() * 1000),
        new_id: Callable[[], str] = note.new_id,
        arxiv: Arxiv | None = None,
        status: Callable[[str], None] = lambda message: None,
        dry_run: bool = False,
        without_key: str = ", or pass --no-llm",
    ) -> None:
        self.settings = settings
        self.status = status
        self.dry_run = dry_run
        self.clock = clock
        self.new_id = new_id
        self.arxiv = arxiv or Arxiv(
            settings.arxiv_url,
            settings.pdf_url,
            interval=settings.arxiv_interval,
            timeout=settings.http_timeout,
            attempts=settings.retries,
            connections=settings.pdf_connections,
        )
        if not dry_run:  # what a killed run left behind goes first (temp files, half-downloaded PDFs)
            folders = [settings.scratch, settings.state / "pdfs", settings.state / "llm", settings.vault_dir]
            clean_stale([*folders, settings.images_dir])
        self.model_slots = threading.Semaphore(max(1, settings.concurrency))  # model requests at once
        self._lock_left = settings.lock_timeout
        self.answers: Answers | None = None
        self.prompts: summarize.Prompts | None = None
        if use_llm:
            if not settings.api_key:
                raise UsageError(
                    "OPENAI_API_KEY is not set",
                    hint="export OPENAI_API_KEY=<your key> "
                    f"(and OPENAI_BASE_URL for a non-OpenAI endpoint){without_key}",
                )
            wrong = secret.problem(settings.api_key)
            if wrong:
                raise UsageError(f"OPENAI_API_KEY {wrong}", hint="export it again exactly as your provider shows it")
            self.prompts = summarize.load_prompts(settings.prompts_dir)
            model = LLM(
                settings.api_key,
                settings.model,
                settings.base_url,
                timeout=settings.llm_timeout,
                attempts=settings.retries,
                max_tokens=settings.max_tokens,
                schema=summarize.SCHEMA,
                temperature=settings.temperature,
                reasoning_effort=settings.reasoning_effort,
                memory=Endpoints(settings.state / ENDPOINTS_FILE),
            )
            self.answers = Answers(model, settings.state / "llm")

    def close(self) -> None:
        """Close the network sessions (arXiv, the LLM endpoint)."""
        self.arxiv.close()
        if self.answers is not None:
            self.answers.llm.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def bounded(self, papers: int) -> Bounded:
        """Worker processes to read PDFs in, each read limited in time and memory: enough for `papers` at once,
        no more than the cores."""
        workers = min(papers, os.cpu_count() or 1)
        settings = self.settings
        return Bounded(max(1, workers), seconds=settings.extract_timeout, memory_mb=settings.extract_memory_mb)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the workspace's lock while writing; lock_timeout bounds the whole run's waits for it."""
        with vault_lock(self.settings.state, wait=self._lock_left) as waited:
            self._lock_left = max(0.0, self._lock_left - waited)
            yield

    @property
    def prompt_budget(self) -> int | None:
        """Tokens of prompt the model takes, when its context is known: context_tokens, else what the server
        said in a refusal (kept with the endpoint's shape)."""
        s = self.settings
        if s.context_tokens:
            return s.context_tokens - s.max_tokens
        return self.answers.llm.prompt_budget if self.answers is not None else None
