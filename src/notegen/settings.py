"""Settings: flag > environment > notegen.toml > default. The API key comes only from the environment."""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from notegen import secret
from notegen.errors import UsageError

CONFIG_FILE = "notegen.toml"
DEFAULT_NOTE_NAME = "papers.{yyyy}{mm}{dd}"
DEFAULT_VAULT = "notes"
DENDRON_CONFIG = "dendron.yml"

# setting name -> environment variable
ENV = {
    "base_url": "OPENAI_BASE_URL",
    "model": "NOTEGEN_MODEL",
    "arxiv_url": "NOTEGEN_ARXIV_URL",
    "pdf_url": "NOTEGEN_PDF_URL",
    "state_dir": "NOTEGEN_STATE_DIR",
    "note_name": "NOTEGEN_NOTE_NAME",
    "arxiv_interval": "NOTEGEN_ARXIV_INTERVAL",
    "vault": "NOTEGEN_VAULT",
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
    vault: str = DEFAULT_VAULT  # the vault's notes folder, relative to the workspace, as dendron.yml says
    image_dir: str = "images"
    tags: tuple[str, ...] = ()
    concurrency: int = 4  # LLM requests at once
    pdf_connections: int = 2  # PDF downloads at once
    arxiv_interval: float = 3.0  # seconds between arXiv API calls (arXiv's terms ask for 3)
    http_timeout: float = 60.0  # one arXiv API call or one PDF download, every try and wait included
    llm_timeout: float = 300.0  # one paper's model step: every request, retry, wait and the re-ask
    lock_timeout: float = 30.0  # the whole run's wait for another notegen run to finish writing
    retries: int = 4
    intro_chars: int = 6000
    context_tokens: int = 0  # the model's context window when known; 0: learn it from the server's error
    max_tokens: int = 1200  # the longest answer asked for
    batch_poll: float = 60.0  # seconds between looks at a Batch API job
    batch_wait: float = 0.0  # seconds to wait for a Batch API job before leaving it for a rerun (0: until done)
    price_input: float = 0.0  # USD per million prompt tokens, for the cost line (0: not shown)
    price_output: float = 0.0  # USD per million answer tokens
    extract_timeout: float = 60.0  # each read of a PDF (check, identify, extract); then that paper fails
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
    def scratch(self) -> Path:
        """Where temp files are made before they are renamed into place: never the vault."""
        return self.state / "tmp"

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
    chosen = choose_vault(workspace, values.get("vault"))
    values["vault"] = chosen.notes
    if "image_dir" not in values and chosen.self_contained:
        # Its notes folder is the workspace's top: '../images' would leave the workspace, so images go where
        # Dendron itself pastes them, under the vault's assets.
        values["image_dir"] = str(Path(chosen.notes) / "assets" / "images")
    settings = replace(Settings(workspace=workspace), **values)
    raw = environ.get(KEY_ENV, "")
    secret.register(raw)  # whatever it holds is scrubbed from every file and message, checked or not
    settings = replace(settings, api_key=raw.strip() or None)
    check_note_name(settings.note_name)
    if settings.state.exists() and not settings.state.is_dir():
        where = f"NOTEGEN_STATE_DIR ({settings.state})" if settings.state_dir else str(settings.state)
        raise UsageError(f"{where} is a file; notegen keeps its caches in a folder there, so point it elsewhere")
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


@dataclass(frozen=True)
class Vault:
    """A vault as Dendron places it (its VaultUtils.getRelPath): `notes` is the folder of its notes."""

    name: str
    notes: str  # relative to the workspace (or absolute), as a path string
    self_contained: bool = False


def dendron_vaults(workspace: Path) -> list[Vault] | None:
    """The vaults dendron.yml lists (`workspace.vaults`, or `vaults` in configs before version 5); None when the
    workspace has no dendron.yml."""
    config = workspace / DENDRON_CONFIG
    if not config.is_file():
        return None
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise UsageError(
            f"{config}: cannot be read as YAML ({_short(err)}); fix it, as Dendron cannot read it either"
        ) from err
    section = data.get("workspace") if isinstance(data, dict) else None
    entries = (section or {}).get("vaults") if isinstance(section, dict) else None
    if entries is None and isinstance(data, dict):
        entries = data.get("vaults")
    vaults = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("fsPath"), str):
            continue
        fs_path = entry["fsPath"]
        self_contained = entry.get("selfContained") is True
        if self_contained:
            rel = os.path.join(fs_path, "notes")
        elif isinstance(entry.get("workspace"), str):
            rel = os.path.join(entry["workspace"], fs_path)
        elif isinstance(entry.get("seed"), str):
            rel = os.path.join("seeds", entry["seed"], fs_path)
        else:
            rel = fs_path
        name = entry.get("name") if isinstance(entry.get("name"), str) else os.path.basename(fs_path.rstrip("/"))
        vaults.append(Vault(name or fs_path, os.path.normpath(os.path.expanduser(rel)), self_contained))
    if not vaults:
        raise UsageError(f"{config} lists no vault (workspace.vaults); add one, as Dendron needs it too")
    return vaults


def choose_vault(workspace: Path, wanted: str | None) -> Vault:
    """The vault notegen writes to: the one dendron.yml lists, or the one `vault` names (by name or path) when it
    lists several; without dendron.yml, the folder `vault` (default notes)."""
    vaults = dendron_vaults(workspace)
    if vaults is None:
        return Vault(wanted or DEFAULT_VAULT, os.path.normpath(wanted or DEFAULT_VAULT))
    if wanted is None and len(vaults) == 1:
        return vaults[0]
    if wanted is not None:
        for vault in vaults:
            if wanted == vault.name or os.path.normpath(wanted) == vault.notes:
                return vault
    listed = ", ".join(f"{v.name} ({v.notes})" for v in vaults)
    if wanted is None:
        raise UsageError(
            f"{workspace / DENDRON_CONFIG} lists several vaults: {listed}; choose one with "
            f'vault = "<name>" in {CONFIG_FILE} or NOTEGEN_VAULT'
        )
    raise UsageError(f"vault {wanted!r} is not a vault of {workspace / DENDRON_CONFIG}: {listed}")


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:160]


_NAME_FIELDS = {"yyyy", "mm", "dd"}


def check_note_name(pattern: str) -> None:
    """The file name pattern must give Dendron-safe names: lower case, dot-separated, no empty parts."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError:
        parts = [("", "?", "", None)]  # an unmatched brace
    used = {field for _, field, _, _ in parts if field is not None}
    dressed = any(spec or conversion for _, field, spec, conversion in parts if field is not None)
    if not used or used - _NAME_FIELDS or dressed:
        raise UsageError(
            f"note_name {pattern!r}: use the placeholders {{yyyy}}, {{mm}}, {{dd}} as they are, with nothing "
            f"after a colon (default {DEFAULT_NOTE_NAME!r})"
        )
    sample = pattern.format(yyyy="2024", mm="01", dd="30")
    if not re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*", sample):
        raise UsageError(
            f"note_name {pattern!r}: Dendron needs lower-case names of letters, digits, '-' and '_' "
            "separated by single dots"
        )
