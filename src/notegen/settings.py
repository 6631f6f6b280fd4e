"""Settings: flag > environment > notegen.toml > default. The API key comes only from the environment."""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_args, get_type_hints

import yaml

from notegen import defaults, secret, textfile
from notegen.errors import UsageError
from notegen.storage import portable_name_problem

CONFIG_FILE = "notegen.toml"
DEFAULT_NOTE_NAME = "papers.{yyyy}{mm}{dd}"
DEFAULT_VAULT = "notes"
DENDRON_CONFIG = "dendron.yml"

KEY_ENV = "OPENAI_API_KEY"


def _setting(default: Any, what: str, env: str | None = None, shown: str | None = None, file: bool = True) -> Any:
    """One setting, described once: its default, what it does, its environment variable, how its default reads
    when it is not a literal value (`shown`), and whether notegen.toml may set it (`file`). The loader, the
    commented notegen.toml template and the README's table (checked by a test) all come from these."""
    return field(default=default, metadata={"what": what, "env": env, "shown": shown, "file": file})


@dataclass(frozen=True)
class Settings:
    workspace: Path = Path(".")
    base_url: str | None = _setting(
        None, "any OpenAI-compatible endpoint, e.g. `http://127.0.0.1:8000/v1`", "OPENAI_BASE_URL", "OpenAI's"
    )
    model: str = _setting("gpt-4o-mini", "the model name", "NOTEGEN_MODEL")
    arxiv_url: str = _setting(
        "https://export.arxiv.org/api/query", "the arXiv API query endpoint (mirrors, tests)", "NOTEGEN_ARXIV_URL"
    )
    pdf_url: str | None = _setting(
        None, "replaces scheme and host of arXiv's PDF links (mirrors)", "NOTEGEN_PDF_URL", "arXiv's own links"
    )
    note_name: str = _setting(
        DEFAULT_NOTE_NAME,
        "the daily note's file name; Dendron hierarchy: lower case, dot-separated",
        "NOTEGEN_NOTE_NAME",
    )
    vault: str = _setting(
        DEFAULT_VAULT,
        "which vault of `dendron.yml` (its name or path); without `dendron.yml`, the notes folder",
        "NOTEGEN_VAULT",
        "the one in `dendron.yml`, else `notes`",
    )
    vault_outside: bool = _setting(
        False, "the vault may be a folder outside the workspace (an absolute or `../` path in `dendron.yml`)"
    )
    image_dir: str = _setting(
        "images",
        "where figures go (`notes/assets/images` for Dendron's publisher)",
        shown="`images` (a self-contained vault: `notes/assets/images`)",
    )
    tags: tuple[str, ...] = _setting((), "tags to offer the model besides those already used in the vault")
    concurrency: int = _setting(4, "model requests at once (`--concurrency` for backfill)")
    pdf_connections: int = _setting(defaults.PDF_CONNECTIONS, "PDF downloads at once")
    arxiv_interval: float = _setting(
        defaults.ARXIV_INTERVAL, "seconds between arXiv API calls (arXiv's terms ask for 3)", "NOTEGEN_ARXIV_INTERVAL"
    )
    http_timeout: float = _setting(
        defaults.HTTP_TIMEOUT, "seconds one arXiv API call or one PDF download may take, every try and wait included"
    )
    llm_timeout: float = _setting(
        300.0, "seconds one paper's model step may take: every request, retry, wait and the re-ask"
    )
    lock_timeout: float = _setting(30.0, "seconds a run waits, in all, for another notegen run to finish writing")
    retries: int = _setting(defaults.RETRIES, "tries for transient network errors, within the bounds above")
    intro_chars: int = _setting(6000, "how much of the introduction the model sees, in characters")
    context_tokens: int = _setting(0, "the model's context in tokens (0: learn it from the server's error)")
    max_tokens: int = _setting(
        1200, "the longest answer asked for, in tokens (a reasoning model is given more room when it needs it)"
    )
    temperature: float | None = _setting(
        0.2,
        'sampling temperature; `"default"` sends none (a model that takes only its own is found out anyway)',
        "NOTEGEN_TEMPERATURE",
    )
    reasoning_effort: str | None = _setting(
        None,
        "how much a reasoning model thinks (`none`, `minimal`, `low`, `medium`, `high`), where the endpoint takes it",
        "NOTEGEN_REASONING_EFFORT",
        "not sent",
    )
    batch_poll: float = _setting(60.0, "Batch API: seconds between looks at a job")
    batch_wait: float = _setting(
        0.0, "Batch API: seconds to wait for a job before leaving it for a rerun (0: until done)"
    )
    price_input: float = _setting(0.0, "USD per million prompt tokens, for the cost line (0: not shown)")
    price_output: float = _setting(0.0, "USD per million answer tokens")
    extract_timeout: float = _setting(
        defaults.EXTRACT_TIMEOUT,
        "seconds each read of a PDF may take (checking a download, identifying a local PDF, extracting)",
    )
    extract_memory_mb: int = _setting(defaults.EXTRACT_MEMORY_MB, "memory one read of a PDF may take, in MB")
    state_dir: Path | None = _setting(  # noqa: RUF009 -- _setting gives a field(), as the others
        None,
        "where caches, backups, temp files and the lock live (a folder)",
        "NOTEGEN_STATE_DIR",
        "`.notegen` in the workspace",
        file=False,
    )
    api_key: str | None = field(default=None, repr=False)  # only ever from OPENAI_API_KEY, never written

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


SETTINGS = [f for f in fields(Settings) if "what" in f.metadata]  # in the order they are described
ENV = {f.name: f.metadata["env"] for f in SETTINGS if f.metadata["env"]}  # setting name -> environment variable
_FILE_KEYS = {f.name for f in SETTINGS if f.metadata["file"]}
_TYPES: dict[str, Any] = get_type_hints(Settings)


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
        text = textfile.read_text(config)[0]  # Notepad may have saved it with a byte-order mark, or as UTF-16
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise UsageError(
                "not valid TOML", subject=str(config), detail=str(err), hint="fix or remove the file"
            ) from err
        unknown = sorted(set(data) - _FILE_KEYS)
        if unknown:
            raise UsageError(
                f"unknown setting {', '.join(unknown)}",
                subject=str(config),
                hint=f"known: {', '.join(sorted(_FILE_KEYS))}",
            )
        values.update({k: _coerce(k, v, str(config)) for k, v in data.items()})
    for name, var in ENV.items():
        if environ.get(var):
            values[name] = _coerce(name, environ[var], var)
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = value
    for folder in ("image_dir", "vault"):  # a notegen.toml written on Windows works on macOS and Linux as well
        if isinstance(values.get(folder), str):
            values[folder] = values[folder].replace("\\", "/")
    chosen = choose_vault(workspace, values.get("vault"))
    values["vault"] = chosen.notes
    if "image_dir" not in values and chosen.self_contained:
        # Its notes folder is the workspace's top: '../images' would leave the workspace, so images go where
        # Dendron itself pastes them, under the vault's assets.
        values["image_dir"] = str(Path(chosen.notes) / "assets" / "images")
    settings = replace(Settings(workspace=workspace), **values)
    _check_inside(settings)
    raw = environ.get(KEY_ENV, "")
    secret.register(raw)  # whatever it holds is scrubbed from every file and message, checked or not
    settings = replace(settings, api_key=raw.strip() or None)
    check_note_name(settings.note_name)
    if settings.temperature is not None and not 0 <= settings.temperature <= 2:
        raise UsageError(
            "OpenAI-compatible endpoints take 0 to 2",
            subject=f"temperature = {settings.temperature:g}",
            hint='or "default" to send none',
        )
    if settings.state.exists() and not settings.state.is_dir():
        where = f"NOTEGEN_STATE_DIR ({settings.state})" if settings.state_dir else str(settings.state)
        raise UsageError(f"{where} is a file", hint="notegen keeps its caches in a folder there, so point it elsewhere")
    return settings


def _check_inside(settings: Settings) -> None:
    """A vault outside the workspace is most often a typo or a copied dendron.yml: notegen would write notes
    where the person does not look. It is used only when they say so."""
    if settings.vault_outside:
        return
    top = os.path.realpath(settings.workspace)
    notes = os.path.realpath(settings.vault_dir)
    if os.path.commonpath([top, notes]) != top:
        source = DENDRON_CONFIG if (settings.workspace / DENDRON_CONFIG).is_file() else "the vault setting"
        raise UsageError(
            f"the vault {settings.vault} ({source}) is outside the workspace {top}",
            hint=f"fix the path, or set vault_outside = true in {CONFIG_FILE} if your notes live there",
        )


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _coerce(name: str, value: Any, source: str) -> Any:
    """`value` (from TOML or an environment variable) as the setting's type, or a message naming both."""
    kind = _TYPES[name]
    accepted = set(get_args(kind)) - {type(None)} or {kind}
    if type(None) in get_args(kind) and isinstance(value, str) and value.strip().lower() == "default":
        return None  # the setting's own default: for temperature, none is sent
    try:
        if bool in accepted and isinstance(value, bool):
            return value
        if bool in accepted and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if int in accepted and not isinstance(value, bool):
            return int(value)
        if float in accepted and not isinstance(value, bool):
            return float(value)
        if Path in accepted and isinstance(value, str):
            return Path(value)
        if str in accepted and isinstance(value, str):
            return value
        if kind == tuple[str, ...] and isinstance(value, str | list):
            items = value.split(",") if isinstance(value, str) else value
            return tuple(str(i).strip().lstrip("#") for i in items if str(i).strip())
    except (TypeError, ValueError):
        pass
    words = {bool: "true or false", int: "a whole number", float: "a number", str: "text", Path: "a path"}
    shown = " or ".join(words.get(k, "a list of text") for k in accepted)
    raise UsageError(f"setting {name} = {value!r} should be {shown}", subject=source)


def template() -> str:
    """notegen.toml with every setting it takes commented out at its default, and what it does."""
    lines = [
        "# notegen settings. A flag beats an environment variable, which beats this file, which beats the default.",
        "# The API key is never read from here: export OPENAI_API_KEY.",
        "",
    ]
    examples = {"base_url": "https://api.openai.com/v1", "pdf_url": "https://arxiv.org", "reasoning_effort": "low"}
    for f in SETTINGS:
        if not f.metadata["file"]:
            continue
        value = f.default
        if value is None:
            shown = f'"{examples[f.name]}"'
        elif isinstance(value, str):
            shown = f'"{value}"'
        else:
            shown = _toml(value)
        lines.append(f"# {f.name} = {shown}  # {f.metadata['what'].replace('`', '')}")
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    """The README's table of settings, as these definitions give it."""
    rows = [
        "| setting (`notegen.toml`) | environment | default | what |",
        "|---|---|---|---|",
        f"| | `{KEY_ENV}` | | the API key; only ever read from the environment, never written anywhere |",
    ]
    for f in SETTINGS:
        name = f"`{f.name}`" if f.metadata["file"] else ""
        env = f"`{f.metadata['env']}`" if f.metadata["env"] else ""
        default = f.metadata["shown"] or f"`{_toml(f.default)}`"
        rows.append(
            "|" + "|".join(f" {cell} " if cell else " " for cell in (name, env, default, f.metadata["what"])) + "|"
        )
    return "\n".join(rows) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return str(value)


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
        data = yaml.safe_load(textfile.read_text(config)[0])
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(
            "cannot be read as YAML",
            subject=str(config),
            detail=_short(err),
            hint="fix it, as Dendron cannot read it either",
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
        raise UsageError(f"{config} lists no vault (workspace.vaults)", hint="add one, as Dendron needs it too")
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
            f"{workspace / DENDRON_CONFIG} lists several vaults: {listed}",
            hint=f'choose one with vault = "<name>" in {CONFIG_FILE} or NOTEGEN_VAULT',
        )
    raise UsageError(f"vault {wanted!r} is not a vault of {workspace / DENDRON_CONFIG}: {listed}")


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:160]


_NAME_FIELDS = {"yyyy", "mm", "dd"}
NOTE_NAME_MAX = 150  # leaves room in 255 for the backups notegen names after a note


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
            "use the placeholders {yyyy}, {mm}, {dd} as they are, with nothing after a colon",
            subject=f"note_name {pattern!r}",
            detail=f"default {DEFAULT_NOTE_NAME!r}",
        )
    sample = pattern.format(yyyy="2024", mm="01", dd="30")
    if not re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*", sample):
        raise UsageError(
            "Dendron needs lower-case names of letters, digits, '-' and '_' separated by single dots",
            subject=f"note_name {pattern!r}",
        )
    if len(sample) > NOTE_NAME_MAX:
        raise UsageError(
            f"at most {NOTE_NAME_MAX} characters, so every system can hold it", subject=f"note_name {pattern!r}"
        )
    problem = portable_name_problem(f"{sample}.md")
    if problem:
        raise UsageError(problem, subject=f"note_name {pattern!r}", hint="choose another start")
