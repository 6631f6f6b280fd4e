"""notegen doctor: what a newcomer runs first. The workspace and its vault, the prompts, the key, the endpoint (is
it there, does it serve the model, how it must be asked, how much it reads) and arXiv, checked in one go; each
problem comes with its fix. The endpoint's lessons are kept, so the first draft asks the right way at once."""

from __future__ import annotations

import difflib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from notegen import note, secret, settings, summarize, textfile, vault
from notegen.endpoints import ENDPOINTS_FILE, MODES, Endpoints
from notegen.errors import NotegenError, PaperError
from notegen.ids import parse_arxiv_id
from notegen.llm import LLM, Served

log = logging.getLogger(__name__)

NETWORK_TIMEOUT = 15.0  # seconds for each network check: doctor answers in seconds, not minutes
PROBE_BUDGET = 16  # tokens: whether a format is taken shows in the status, not in the answer
KNOWN_PAPER = "1706.03762"  # any paper arXiv has: its answer shows the API works
# The probe's question: tiny, and with the word "json" (OpenAI, DeepSeek and DashScope refuse json_object without).
PROBE = [
    {"role": "system", "content": "只输出一个 JSON 对象，不要任何其他文字。"},
    {"role": "user", "content": '输出 {"summary": "这篇论文试图解决的问题是测试。", "tag": "test"}'},
]


NAMES = ("workspace", "prompts", "API key", "endpoint", "model", "answers", "context", "arXiv")  # every run's


@dataclass(frozen=True)
class Check:
    name: str  # one of NAMES
    ok: bool | None  # None: not run, as a check before it failed
    found: str  # what was found
    fix: str = ""  # what to do about it, for a failed check


def run(workspace: Path) -> list[Check]:
    """Every check, in the order a newcomer fixes them."""
    checks: list[Check] = []
    if not workspace.is_dir():
        where = workspace.resolve()
        checks.append(Check("workspace", False, f"{where} does not exist", f"notegen init {workspace} makes one"))
        return _all(checks, "needs a workspace")
    try:
        config = settings.load(workspace)
    except NotegenError as err:
        checks.append(Check("workspace", False, str(err), "fix the file or variable it names"))
        return _all(checks, "needs the workspace's settings")
    checks.append(_workspace(config))
    checks.append(_prompts(config))
    key = _key(config)
    checks.append(key)
    with ThreadPoolExecutor(2) as pool:
        arxiv = pool.submit(_arxiv, config)
        checks.extend(_endpoint(config, bool(key.ok)))
        checks.append(arxiv.result())
    return _all(checks, "needs the checks above")


def _all(checks: list[Check], why: str) -> list[Check]:
    """Every check in NAMES order, those that could not run marked so."""
    done = {c.name: c for c in checks}
    return [done.get(name) or Check(name, None, f"not run: {why}") for name in NAMES]


def _workspace(config: settings.Settings) -> Check:
    where = config.workspace.resolve()
    if not config.vault_dir.is_dir():
        return Check(
            "workspace",
            False,
            f"{where} has no vault folder {config.vault}",
            "cd to your workspace (or pass it: notegen doctor DIRECTORY), or make one: notegen init DIRECTORY",
        )
    missing = [
        name
        for name, path in (
            ("dendron.yml", where / settings.DENDRON_CONFIG),
            (f"{note.ROOT}.md", config.vault_dir / f"{note.ROOT}.md"),
        )
        if not path.is_file()
    ]
    notes = len(vault.daily_notes(config))
    found = f"{where}, vault {config.vault} ({notes} daily note{'s' * (notes != 1)})"
    if missing:
        return Check("workspace", False, f"{found}; no {' or '.join(missing)}", "run notegen init (Dendron needs them)")
    return Check("workspace", True, found)


def _prompts(config: settings.Settings) -> Check:
    own = [n for n in summarize.PROMPT_FILES if (config.prompts_dir / n).is_file()]
    try:
        summarize.load_prompts(config.prompts_dir)
    except (NotegenError, OSError) as err:
        fix = "save it as UTF-8" if isinstance(err, textfile.NotText) else "fix the placeholder it names"
        return Check("prompts", False, str(err), f"{fix}, or delete the file to use notegen's")
    said = f"the workspace's {', '.join(own)}" if own else "notegen's own"
    return Check("prompts", True, f"{said} load")


def _key(config: settings.Settings) -> Check:
    if not config.api_key:
        return Check(
            "API key",
            False,
            f"{settings.KEY_ENV} is not set",
            f"export {settings.KEY_ENV}=<your key> (any text for a local server that needs none)",
        )
    problem = secret.problem(config.api_key)
    if problem:
        return Check("API key", False, f"{settings.KEY_ENV} {problem}", "export it again as your provider shows it")
    return Check("API key", True, f"set ({len(config.api_key)} characters, never shown)")


def _endpoint(config: settings.Settings, have_key: bool) -> list[Check]:
    llm = LLM(
        config.api_key or "none",
        config.model,
        config.base_url,
        timeout=NETWORK_TIMEOUT,
        attempts=1,
        max_tokens=config.max_tokens,
        schema=summarize.SCHEMA,
        temperature=config.temperature,
        reasoning_effort=config.reasoning_effort,
        memory=Endpoints(config.state / ENDPOINTS_FILE) if config.state.is_dir() else None,
    )
    url = llm.base_url
    try:
        try:
            served = llm.served(NETWORK_TIMEOUT)
        except NotegenError as err:
            return [Check("endpoint", False, str(err), "check OPENAI_BASE_URL and that the server runs")]
        checks = [Check("endpoint", True, f"{url} answers" + ("" if served is not None else " (lists no models)"))]
        model = _model(config, served)
        checks.append(model)
        if not model.ok or not have_key:
            return checks  # the model is not asked: the checks after are shown as not run
        checks.append(_answers(llm))
        context = next((s.context for s in served or [] if s.model == config.model), None)
        checks.append(_context(config, context))
        return checks
    finally:
        llm.close()


def _model(config: settings.Settings, served: list[Served] | None) -> Check:
    if served is None:
        return Check("model", True, f"{config.model} (the endpoint lists no models to check it against)")
    names = [s.model for s in served]
    if config.model in names or not names:
        return Check("model", True, f"{config.model} is served")
    close = difflib.get_close_matches(config.model, names, n=3, cutoff=0.4) or names[:5]
    return Check(
        "model",
        False,
        f"{config.model} is not "
        + ("the model served" if len(names) == 1 else f"among the {len(names)} models served"),
        f"set NOTEGEN_MODEL (or model in notegen.toml) to one of: {', '.join(close)}",
    )


def _answers(llm: LLM) -> Check:
    """One real question, asked as a paper would be: the refusals it meets teach the endpoint's shape (kept for
    the next runs), then the other formats are tried once each, to say which the endpoint takes."""
    started = time.monotonic()
    try:
        reply = llm.call(PROBE, "doctor", deadline=time.monotonic() + NETWORK_TIMEOUT * 2)
    except NotegenError as err:
        return Check("answers", False, _without_name(err), "see the message; notegen doctor again after the fix")
    seconds = time.monotonic() - started
    taken = [llm.mode]
    with ThreadPoolExecutor(len(MODES)) as pool:
        tried = {m: pool.submit(_takes, llm, m) for m in MODES if m != llm.mode}
        taken += [m for m, future in tried.items() if future.result()]
    formats = ", ".join(m for m in MODES if m in taken)
    unusual = llm.shape.said()
    found = f"{llm.mode} answers in {seconds:.1f} s; takes {formats}" + (
        f"; asked with {', '.join(unusual)}" if unusual else ""
    )
    if reply.reasoning_tokens:
        found += f"; reasons ({reply.reasoning_tokens} tokens for this one)"
    return Check("answers", True, found)


def _takes(llm: LLM, mode: str) -> bool:
    """Whether the endpoint answers a request in `mode`: any refusal or fault (an error, a transient, the
    endpoint's own refusal) means not taken."""
    try:
        llm.ask_once(PROBE, mode, PROBE_BUDGET, time.monotonic() + NETWORK_TIMEOUT)
    except Exception as err:
        log.info("doctor: %s in %s: %s", llm.base_url, mode, err)
        return False
    return True


def _context(config: settings.Settings, context: int | None) -> Check:
    need = _typical_prompt(config) + config.max_tokens
    if context is None:
        if config.context_tokens:
            return Check("context", True, f"{config.context_tokens} tokens (context_tokens)")
        return Check("context", True, "not said by the server; learned from its refusal if a paper is too long")
    if context < need:
        return Check(
            "context",
            False,
            f"{context} tokens: a paper's prompt and answer take about {need}",
            "give the model a longer context (Ollama: OLLAMA_CONTEXT_LENGTH or num_ctx in the Modelfile; "
            "it cuts long prompts silently), or lower intro_chars",
        )
    return Check("context", True, f"{context} tokens (a paper needs about {need})")


def _typical_prompt(config: settings.Settings) -> int:
    """Tokens of a paper's prompt at its longest: the prompts, examples, an abstract and the introduction."""
    try:
        prompts = summarize.load_prompts(config.prompts_dir)
    except (NotegenError, OSError, UnicodeDecodeError):
        return 0
    inputs = summarize.Inputs("T" * 120, "a" * 1500, "i" * config.intro_chars, "c" * 300)
    messages = summarize.build_messages(prompts, inputs, list(config.tags), note.OPENING, ["例" * 200] * 3)
    return sum(summarize.estimate_tokens(m["content"]) for m in messages)


def _arxiv(config: settings.Settings) -> Check:
    from notegen.fetch import Arxiv  # imported here: the other checks do not wait for it

    client = Arxiv(config.arxiv_url, config.pdf_url, interval=0, timeout=NETWORK_TIMEOUT, attempts=1)
    known = parse_arxiv_id(KNOWN_PAPER)
    assert known is not None
    try:
        client.lookup([known])
    except NotegenError as err:
        return Check("arXiv", False, _without_name(err), "check the network, or NOTEGEN_ARXIV_URL for a mirror")
    finally:
        client.close()
    return Check("arXiv", True, f"{config.arxiv_url} answers")


def _without_name(err: NotegenError) -> str:
    return err.what if isinstance(err, PaperError) else str(err)
