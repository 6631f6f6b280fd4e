"""Settings: flag > environment > notegen.toml > default. The API key comes only from the environment."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from notegen.errors import UsageError

CONFIG_FILE = "notegen.toml"
DEFAULT_NOTE_NAME = "papers.{yyyy}{mm}{dd}"

# setting name -> environment variable
ENV = {
    "base_url": "OPENAI_BASE_URL",
    "model": "NOTEGEN_MODEL",
    "arxiv_url": "NOTEGEN_ARXIV_URL",
    "pdf_url": "NOTEGEN_PDF_URL",
    "state_dir": "NOTEGEN_STATE_DIR",
    "note_name": "NOTEGEN_NOTE_NAME",
    "arxiv_interval": "NOTEGEN_ARXIV_INTERVAL",
}
KEY_ENV = "OPENAI_API_KEY"


@dataclass(frozen=True)
class Settings:
    workspace: Path = Path(".")
    model: str = "gpt-4o-mini"
    base_url: str | None = None  # None: the openai client's default endpoint
    arxiv_url: str = "https://export.arxiv.org/api/query"
    pdf_url: str | None = None  # replaces scheme and host of arXiv's PDF links (mirrors, tests)
    state_dir: Path | None = None  # caches and backups; default <workspace>/.notegen
    note_name: str = DEFAULT_NOTE_NAME
    vault: str = "notes"
    image_dir: str = "images"
    tags: tuple[str, ...] = ()
    concurrency: int = 4  # LLM requests at once
    pdf_connections: int = 2  # PDF downloads at once
    arxiv_interval: float = 3.0  # seconds between arXiv API calls (arXiv's terms ask for 3)
    http_timeout: float = 30.0
    llm_timeout: float = 120.0
    retries: int = 4
    intro_chars: int = 6000
    context_tokens: int = 0  # the model's context window when known; 0: learn it from the server's error
    max_tokens: int = 1200  # the longest answer asked for
    batch_poll: float = 60.0  # seconds between looks at a Batch API job
    batch_wait: float = 0.0  # seconds to wait for a Batch API job before leaving it for a rerun (0: until done)
    price_input: float = 0.0  # USD per million prompt tokens, for the cost line (0: not shown)
    price_output: float = 0.0  # USD per million answer tokens
    extract_timeout: float = 60.0  # seconds one PDF may take to read; then that paper fails, the run goes on
    extract_memory_mb: int = 2048  # memory one PDF may take to read
    api_key: str | None = field(default=None, repr=False)

    @property
    def vault_dir(self) -> Path:
        return self.workspace / self.vault

    @property
    def images_dir(self) -> Path:
        return self.workspace / self.image_dir

    @property
    def state(self) -> Path:
        return self.state_dir if self.state_dir is not None else self.workspace / ".notegen"

    @property
    def prompts_dir(self) -> Path:
        return self.workspace / "prompts"


_TYPES = {f.name: f.type for f in fields(Settings)}
_FILE_KEYS = set(_TYPES) - {"workspace", "api_key", "state_dir"}


def load(
    workspace: Path,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings for `workspace`: its notegen.toml, then the environment, then flags (None means unset)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config = workspace / CONFIG_FILE
    if config.is_file():
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise UsageError(f"{config}: not valid TOML ({err}); fix or remove the file") from err
        unknown = sorted(set(data) - _FILE_KEYS)
        if unknown:
            raise UsageError(f"{config}: unknown setting {', '.join(unknown)}; known: {', '.join(sorted(_FILE_KEYS))}")
        values.update({k: _coerce(k, v, str(config)) for k, v in data.items()})
    for name, var in ENV.items():
        if environ.get(var):
            values[name] = _coerce(name, environ[var], var)
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = value
    settings = replace(Settings(workspace=workspace), **values)
    key = environ.get(KEY_ENV, "").strip()
    settings = replace(settings, api_key=key or None)
    check_note_name(settings.note_name)
    return settings


def _coerce(name: str, value: Any, source: str) -> Any:
    kind = _TYPES[name]
    try:
        if kind in ("int",):
            return int(value)
        if kind in ("float",):
            return float(value)
        if kind == "Path | None":
            return Path(value)
        if kind == "tuple[str, ...]":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(i).strip().lstrip("#") for i in items if str(i).strip())
        if kind in ("str", "str | None"):
            if not isinstance(value, str):
                raise TypeError
            return value
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise UsageError(f"{source}: setting {name} = {value!r} is not a {kind}")


_NAME_FIELDS = {"yyyy", "mm", "dd"}


def check_note_name(pattern: str) -> None:
    """The file name pattern must give Dendron-safe names: lower case, dot-separated, no empty parts."""
    used = set(re.findall(r"{(\w*)}", pattern))
    if not used or used - _NAME_FIELDS:
        raise UsageError(
            f"note_name {pattern!r}: use the placeholders {{yyyy}}, {{mm}}, {{dd}} (default {DEFAULT_NOTE_NAME!r})"
        )
    sample = pattern.format(yyyy="2024", mm="01", dd="30")
    if not re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*", sample):
        raise UsageError(
            f"note_name {pattern!r}: Dendron needs lower-case names of letters, digits, '-' and '_' "
            "separated by single dots"
        )
