"""The command line: parse, validate at the boundary, call the pipeline, turn errors into one-line messages.

Exit codes: 0 all papers written, 1 some failed (each named on stderr), 2 usage or bad input.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import logging
import os
import signal
import stat
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from notegen import __version__, secret, settings
from notegen.errors import FatalError, NoteError, NotegenError, Problems, UsageError
from notegen.ids import parse_day, parse_refs

if TYPE_CHECKING:  # (the pipeline is imported only for input that passed)
    from notegen.pipeline import Report
    from notegen.result import DraftResult

EXAMPLE = """\b
First run:
  notegen init ~/papers && cd ~/papers
  export OPENAI_API_KEY=sk-...
  notegen doctor
  notegen draft 2401.16420 2401.15977 --date 2024-01-30
"""


JSON_RESULT = "Print the result as one JSON object: written, skipped, failed, review, tokens."


class Context:
    def __init__(self, workspace: Path, quiet: bool, debug: bool) -> None:
        self.workspace = workspace
        self.quiet = quiet
        self.debug = debug

    def status(self, message: str) -> None:
        if not self.quiet:
            click.echo(_redact(message), err=True)


def common(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command takes, before its name (`notegen -v draft ...`) or after it."""
    fn = click.option("--debug", is_flag=True, help="Show tracebacks, and every library's log (as -vv).")(fn)
    fn = click.option(
        "-v", "--verbose", count=True, help="Show notegen's steps with times; -vv also the libraries' logs."
    )(fn)
    fn = click.option("-q", "--quiet", is_flag=True, help="Only errors (and the results) on the terminal.")(fn)
    return click.option(
        "--workspace",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        show_default="the current directory",
        help="The folder with notegen.toml, dendron.yml, notes/ and .notegen/.",
    )(fn)


@click.group(epilog=EXAMPLE, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="notegen")
@common
def cli(workspace: Path | None, quiet: bool, verbose: int, debug: bool) -> None:
    """Draft Dendron daily paper notes from arXiv IDs or PDFs: a section per paper with its title, a tag, its
    Figure 1 and a Chinese paragraph on the problem it solves, for you to review and edit.

    Run `notegen COMMAND --help` for a command's options; the README explains every command and setting.
    """


class _Redacting(logging.Formatter):
    """Log lines from notegen and any library pass through here: the API key never reaches the terminal. Each
    line says when, in seconds since notegen started."""

    def format(self, record: logging.LogRecord) -> str:
        return _redact(f"{record.relativeCreated / 1000:7.2f}s {super().format(record)}")


_log_handler: logging.Handler | None = None
_LOGGERS = ("notegen", "")  # -v: notegen's own steps; -vv: every library's too


def _context(
    workspace: Path | None, quiet: bool, debug: bool, verbose: int = 0, directory: Path | None = None
) -> Context:
    """The command's context, its options joined with those given before its name; `directory`: a command's
    DIRECTORY argument, another way to name the workspace."""
    global _log_handler, _root
    outer = click.get_current_context().find_root().params
    workspace = workspace if workspace is not None else outer.get("workspace")
    if directory is not None and workspace is not None and directory.resolve() != workspace.resolve():
        raise UsageError(f"two workspaces given, {directory} and --workspace {workspace}", hint="give one")
    quiet = quiet or bool(outer.get("quiet"))
    debug = debug or bool(outer.get("debug"))
    verbose = max(verbose, outer.get("verbose") or 0, 2 if debug else 0)
    if verbose and _log_handler is None:
        _log_handler = logging.StreamHandler()
        _log_handler.setFormatter(_Redacting("%(name)s: %(message)s"))
        logger = logging.getLogger(_LOGGERS[min(verbose, 2) - 1])
        logger.addHandler(_log_handler)
        logger.setLevel(logging.DEBUG)
    _root = directory or workspace or Path(".")
    return Context(_root, quiet, debug)


def _end_debug() -> None:
    global _log_handler
    if _log_handler is not None:
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if _log_handler in logger.handlers:
                logger.removeHandler(_log_handler)
                logger.setLevel(logging.NOTSET if name else logging.WARNING)
        _log_handler = None


def _ready(obj: Context, config: settings.Settings, dry_run: bool = False) -> None:
    """Refuse to scatter notes/, images/ and .notegen/ into a folder that is not a workspace (a mistyped
    --workspace, the wrong current directory); an empty folder becomes one, as `notegen init` makes it. A dry
    run refuses what the run would, and makes nothing."""
    import time

    from notegen import vault
    from notegen.summarize import default_prompts_dir

    if _is_workspace(config, empty_ok=True):
        return
    shown = _where(config)
    if dry_run:
        obj.status(f"{shown} is empty: a run without --dry-run makes it a workspace, as notegen init does")
        return
    vault.init_workspace(config, int(time.time() * 1000), default_prompts_dir())
    obj.status(f"{shown} was empty: made it a workspace, as notegen init does")


def _where(config: settings.Settings) -> str:
    ws = config.workspace
    return "this folder" if str(ws) == "." else _shown(ws)


def _is_workspace(
    config: settings.Settings, empty_ok: bool = False, other: str = "pass --workspace", named: str = "--workspace"
) -> bool:
    """Whether the folder is a workspace; a UsageError says why not, and how to name another (`other`). An empty
    folder, with `empty_ok`, is not one yet and not refused."""
    ws = config.workspace
    shown = _where(config)
    marks = [ws / settings.DENDRON_CONFIG, ws / settings.CONFIG_FILE, config.vault_dir]
    if any(mark.exists() for mark in marks):
        return True
    if not ws.is_dir():
        raise UsageError("no such folder", subject=shown, hint=f"check {named}, or make one with notegen init {ws}")
    if not empty_ok or any(not entry.name.startswith(".") for entry in ws.iterdir()):
        why = " and not empty" if empty_ok else ""
        raise UsageError(
            f"{shown} is not a notegen workspace (no notes/, dendron.yml or notegen.toml){why}",
            hint=f"run notegen init there first, or {other}",
        )
    return False


def _parse_date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return parse_day(value)
    except UsageError as err:
        raise err.with_fields(reason=f"--date {err.reason}") from None


@cli.command(epilog=EXAMPLE, short_help="Draft a day's note from arXiv IDs or PDFs.")
@click.argument("papers", nargs=-1, required=True, metavar="ID|PDF...")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The day's note to write [default: today].")
@click.option("--no-llm", is_flag=True, help="Leave a placeholder for the summary; needs no API key.")
@click.option("--refresh", is_flag=True, help="Ask the model again instead of using cached answers.")
@click.option("--dry-run", is_flag=True, help="Print the sections instead of writing them; the vault stays as it is.")
@click.option("--json", "as_json", is_flag=True, help=JSON_RESULT)
@common
def draft(
    papers: tuple[str, ...],
    day: str | None,
    no_llm: bool,
    refresh: bool,
    dry_run: bool,
    as_json: bool,
    workspace: Path | None,
    quiet: bool,
    verbose: int,
    debug: bool,
) -> None:
    """Draft a day's note: one section per paper (title, tag, Figure 1, Chinese summary).

    PAPERS are arXiv IDs in any common form (2401.16420, 2401.16420v2, arXiv:2401.16420, hep-th/9901001,
    arxiv.org links) or paths to local PDFs. Papers already in the day's note are skipped, new ones are
    added at its end.
    """
    obj = _context(workspace, quiet, debug, verbose)
    when = _parse_date(day)
    refs, warnings = parse_refs(list(papers))
    for warning in warnings:
        obj.status(f"warning: {warning}")
    config = settings.load(obj.workspace)
    _ready(obj, config, dry_run)
    from notegen.draft import draft as draft_day  # the pipeline (openai, pymupdf) only for input that passed
    from notegen.session import Session

    with Session(config, use_llm=not no_llm, status=obj.status, dry_run=dry_run) as session:
        result = draft_day(session, refs, when, refresh=refresh)
    _finish(obj, config, result, as_json)


DIRECTORY = click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))


@cli.command(short_help="Set up a workspace Dendron opens, with notegen's prompts and settings.")
@DIRECTORY
@common
def init(directory: Path | None, workspace: Path | None, quiet: bool, verbose: int, debug: bool) -> None:
    """Set up DIRECTORY (or --workspace; default: here) as a workspace Dendron opens, with notegen's prompts and
    settings.

    Writes dendron.yml, the vault notes/ with root.md, .gitignore, prompts/ and a commented notegen.toml.
    Files that exist are never changed; running it again does nothing.
    """
    import time

    from notegen import vault
    from notegen.summarize import default_prompts_dir

    obj = _context(workspace, quiet, debug, verbose, directory)
    directory = obj.workspace
    config = settings.load(directory)
    for path, created in vault.init_workspace(config, int(time.time() * 1000), default_prompts_dir()):
        if created:
            click.echo(_shown(path))
        else:
            obj.status(f"{_shown(path)}: exists, kept as it is")
    ignore = directory / ".gitignore"
    if ".notegen" not in ignore.read_text(encoding="utf-8", errors="replace"):
        obj.status(f"warning: {_shown(ignore)} does not ignore .notegen/ (caches); add it")
    into = "" if str(directory) == "." else f"cd {_shown(directory)} && "
    obj.status(f"next: {into}export {settings.KEY_ENV}=... (your key) and run notegen doctor")


@cli.command(short_help="Check the vault against Dendron's rules; exit 1 when anything is wrong.")
@DIRECTORY
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line: file, line, problem.")
@common
def check(
    directory: Path | None, as_json: bool, workspace: Path | None, quiet: bool, verbose: int, debug: bool
) -> None:
    """Check the vault of the workspace DIRECTORY (or --workspace; default: here) against Dendron's rules; exit 1
    when anything is wrong.

    Frontmatter that Dendron would fill in or misread, broken YAML, duplicate ids, names Dendron rejects,
    hashtags without their tags.<tag> note, images that do not exist: each with its file and line.
    """
    from notegen.check import check_vault

    obj, config = _vault_command("check", directory, workspace, quiet, debug, verbose)
    problems, count = check_vault(config)
    for problem in problems:
        place = f"{_shown(problem.path)}:{problem.line}"
        as_record = {"file": _shown(problem.path), "line": problem.line, "problem": problem.message}
        click.echo(_json_line(as_record) if as_json else f"{place}: {problem.message}")
    obj.status(f"{count} notes checked, {len(problems)} problem{'s' * (len(problems) != 1)}")
    if problems:
        raise SystemExit(1)


def _vault_command(
    name: str, directory: Path | None, workspace: Path | None, quiet: bool, debug: bool, verbose: int
) -> tuple[Context, settings.Settings]:
    """The context and settings of a command that reads a workspace's vault (check, review): a folder that is
    not a workspace is refused, with how to name one."""
    obj = _context(workspace, quiet, debug, verbose, directory)
    config = settings.load(obj.workspace)
    _is_workspace(config, other=f"name the workspace: notegen {name} DIRECTORY", named="the workspace given")
    return obj, config


@cli.command(short_help="List what in the vault waits for you, as file:line: kind: title.")
@DIRECTORY
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line: file, line, kind, title, paper, reason.")
@common
def review(
    directory: Path | None, as_json: bool, workspace: Path | None, quiet: bool, verbose: int, debug: bool
) -> None:
    """List what in the vault of the workspace DIRECTORY (or --workspace; default: here) waits for you, in the
    order of the days: review lines, placeholders, missing figures and figures to check, and new tags no other
    note uses yet; each as file:line: kind: title.

    Exit 1 when anything is listed, 0 when nothing is. Deleting the line (or writing the summary) clears an item.
    """
    from notegen.review import pending

    obj, config = _vault_command("review", directory, workspace, quiet, debug, verbose)
    items = pending(config)
    for item in items:
        shown = _shown(item.path)
        click.echo(_json_line({**item.json(), "file": shown}) if as_json else item.line_text(shown))
    obj.status(f"{len(items)} item{'s' * (len(items) != 1)} waiting for you" if items else "nothing waits for you")
    if items:
        raise SystemExit(1)


@cli.command(short_help="Check everything a run needs, in one go; run it first.")
@DIRECTORY
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line: check, ok, found, fix.")
@common
def doctor(
    directory: Path | None, as_json: bool, workspace: Path | None, quiet: bool, verbose: int, debug: bool
) -> None:
    """Check everything a run needs in the workspace DIRECTORY (or --workspace; default: here), in one go: the
    workspace and its vault, the prompts, the API key, the endpoint (reachable, serving the model, which answer
    formats and parameters it takes, its context) and arXiv. Each problem comes with its fix; exit 1 when
    anything is wrong; a check that needs an earlier one to pass is shown as not run. Run it first.

    What the endpoint was found to take is kept, so the next draft asks the right way at once.
    """
    from notegen.doctor import run

    obj = _context(workspace, quiet, debug, verbose, directory)
    checks = run(obj.workspace)
    fancy = _unicode(getattr(sys.stdout, "encoding", None))
    for check in checks:
        if as_json:
            click.echo(_json_line({"check": check.name, "ok": check.ok, "found": check.found, "fix": check.fix}))
            continue
        mark = (
            {True: "✔", False: "✘", None: "·"}[check.ok] if fancy else {True: "ok", False: "XX", None: "--"}[check.ok]
        )
        click.echo(_redact(f"{mark} {check.name:<10}  {check.found}"))
        if check.fix:
            click.echo(_redact(f"{'':{len(mark) + 13}}fix: {check.fix}"))
    failed, skipped = sum(c.ok is False for c in checks), sum(c.ok is None for c in checks)
    if failed:
        obj.status(f"{failed} of {len(checks)} checks failed" + (f", {skipped} not run" if skipped else ""))
    else:
        obj.status(f"all {len(checks)} checks passed")
    if failed:
        raise SystemExit(1)


@cli.command(short_help="Find figure N in PDFs and show where it is, as a note would get it.")
@click.argument("pdfs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="PDF...")
@click.option("--number", "-n", default=1, show_default=True, type=click.IntRange(1, 999), help="Which figure.")
@click.option(
    "--out",
    "out_arg",
    type=click.Path(),
    help="Write the PNG here: a file, or a folder (one that exists, or ends in /) that gets <name>.fig<N>.png "
    "for each PDF.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per PDF per line.")
@click.option("--timeout", type=float, help="Seconds one PDF may take [default: extract_timeout, 60].")
@common
def figure(
    pdfs: tuple[Path, ...],
    number: int,
    out_arg: str | None,
    as_json: bool,
    timeout: float | None,
    workspace: Path | None,
    quiet: bool,
    verbose: int,
    debug: bool,
) -> None:
    """Find figure N (default 1) in each PDF, as the pipeline does, and show where it is.

    Prints the page (0-based), the box in PDF points, how it was found and the time taken; --out writes the
    PNG. Exits 1 when a PDF has no such figure. The time and memory a PDF may take are the workspace's
    (extract_timeout, extract_memory_mb in notegen.toml).
    """

    from notegen.bounded import Bounded
    from notegen.errors import PaperError
    from notegen.extract import figure_only
    from notegen.storage import name_start, write_atomic

    obj = _context(workspace, quiet, debug, verbose)
    config = settings.load(obj.workspace)
    missing = [str(p) for p in pdfs if not p.is_file()]
    if missing:
        raise Problems([UsageError("no such file", subject=m, hint="check the path") for m in missing])
    out, into_folder = _out_for(out_arg, len(pdfs))
    names: set[str] = set()
    failed = False
    seconds = timeout if timeout is not None else config.extract_timeout
    with Bounded(workers=1, seconds=seconds, memory_mb=config.extract_memory_mb) as bounded:
        for pdf in pdfs:
            record: dict[str, Any] = {"pdf": str(pdf), "page": None, "bbox": None, "doubt": None}
            try:
                result = bounded.call(str(pdf), figure_only, pdf, str(pdf), number)
            except PaperError as err:
                failed = True
                record.update(reason=err.what)
                _report(obj, record, as_json)
                continue
            record["ms"] = round(result.ms, 1)
            if result.figure is None:
                failed = True
                record.update(reason=result.reason)
            else:
                fig = result.figure
                record.update(
                    page=fig.page, bbox=list(fig.bbox), caption=fig.caption, method=fig.method, doubt=fig.doubt
                )
                if out is not None:
                    target = out / _unique(f"{name_start(pdf.stem, 200)}.fig{number}", names) if into_folder else out
                    write_atomic(target, fig.png)
                    record["png"] = str(target)
            _report(obj, record, as_json)
    if failed:
        raise SystemExit(1)


def _out_for(out_arg: str | None, pdfs: int) -> tuple[Path | None, bool]:
    """Where `figure --out` writes, and whether it is a folder (several PDFs, a folder that exists, or a name
    ending in a slash: `--out figs/`, `figs\\` on Windows, asks for one though it is not there yet)."""
    if out_arg is None:
        return None, False
    out = Path(out_arg)
    if pdfs > 1 or out.is_dir() or out_arg.endswith(("/", os.sep)):
        if out.exists() and not out.is_dir():
            raise UsageError("is a file", subject=f"--out {out}", hint="for several PDFs give a folder")
        out.mkdir(parents=True, exist_ok=True)
        return out, True
    if not out.parent.is_dir():
        raise UsageError(f"the folder {out.parent} does not exist", subject=f"--out {out}")
    return out, False


def _unique(stem: str, taken: set[str]) -> str:
    """`stem`.png, or `stem`-2.png, ... when PDFs in different folders share a name (without regard to case:
    Windows and macOS keep one file for names that differ only in case)."""
    name, n = f"{stem}.png", 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}.png"
    taken.add(name.lower())
    return name


def _report(obj: Context, record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(_json_line(record))
    elif record["page"] is None:
        click.echo(f"{record['pdf']}: no figure: {record['reason']}", err=True)
    else:
        where = ", ".join(f"{v:g}" for v in record["bbox"])
        line = f"{record['pdf']}: page {record['page']} [{where}] {record['method']} {record['ms']:g} ms"
        if record.get("doubt"):
            line += f" (check it: {record['doubt']})"
        click.echo(f"{record['png']}" if "png" in record else line)
        if "png" in record:
            obj.status(line)


@cli.command(short_help="Regenerate papers' summaries (and tags, figures) in place.")
@click.argument("papers", nargs=-1, metavar="[ID|PDF]...")
@click.option("--waiting", is_flag=True, help="Every summary that waits (placeholders, review lines), no papers named.")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The note the papers are in [default: search the vault].")
@click.option("--tag", is_flag=True, help="Let the model choose the tag again too.")
@click.option("--figure", type=click.IntRange(1, 999), metavar="N", help="Use figure N as the key figure (one paper).")
@click.option("--force", is_flag=True, help="Replace a summary that was edited by hand (kept in a backup).")
@click.option("--dry-run", is_flag=True, help="Print the new sections instead of writing them; notes stay as they are.")
@common
def regen(
    papers: tuple[str, ...],
    waiting: bool,
    day: str | None,
    tag: bool,
    figure: int | None,
    force: bool,
    dry_run: bool,
    workspace: Path | None,
    quiet: bool,
    verbose: int,
    debug: bool,
) -> None:
    """Regenerate papers' summaries in their notes, asking the model again; nothing else in a note changes but
    `updated` (and, when asked, the tag or the figure).

    The papers (ID|PDF) are arXiv IDs or local PDFs, as for draft. --waiting takes instead every summary that
    waits, as notegen review lists them: placeholders (待填写, after draft --no-llm) and review lines (待核对). A
    section keeps its tag unless --tag; a tag still #untagged gets the model's. A summary edited by hand since notegen
    wrote it is only replaced with --force, and the replaced section is kept under .notegen/backups/; --waiting
    skips such summaries and says so.

    \b
    notegen regen 2401.16420 2401.15977        the two papers, wherever they are in the vault
    notegen regen --waiting --date 2024-01-30  every summary waiting in that day's note
    """
    obj = _context(workspace, quiet, debug, verbose)
    if waiting and papers:
        raise UsageError("--waiting finds the papers itself", hint="give either paper IDs or --waiting, not both")
    if not waiting and not papers:
        raise UsageError("no paper given", hint="pass its arXiv ID or PDF, or --waiting for every summary that waits")
    if figure is not None and (waiting or len(papers) > 1):
        raise UsageError("--figure N chooses one paper's figure", hint="pass one paper with it")
    when = _parse_date(day) if day else None
    refs, warnings = parse_refs(list(papers))
    for warning in warnings:
        obj.status(f"warning: {warning}")
    config = settings.load(obj.workspace)
    _is_workspace(config)  # regen edits notes: a folder without them is a mistyped --workspace
    from notegen import regen as regenerate  # the pipeline only for input that passed

    found = regenerate.waiting(config, when, obj.status) if waiting else []
    if waiting and not found:  # no model, no key, no network
        where = f"the note of {when:%Y-%m-%d}" if when else "the vault"
        obj.status(f"nothing waits in {where}: no summary is a placeholder (待填写) or has a review line (待核对)")
        return
    from notegen.session import Session

    with Session(config, status=obj.status, dry_run=dry_run, without_key=regenerate.WITHOUT_KEY) as session:
        if waiting:
            result = regenerate.regen_waiting(session, found, tag=tag, force=force)
        else:
            result = regenerate.regen_papers(session, refs, when, tag=tag, figure=figure, force=force)
    _finish(obj, config, result)


@cli.command(short_help="Draft many past days from a MANIFEST of dates and IDs; resumable.")
@click.argument("manifest_file", metavar="MANIFEST", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", metavar="YYYY-MM-DD", help="Skip days before this one.")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Skip days after this one.")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Model requests at once [default: 4].")
@click.option("--dry-run", is_flag=True, help="Check the manifest and show what is left to do; fetch nothing.")
@click.option("--no-llm", is_flag=True, help="Leave placeholders for the summaries; needs no API key.")
@click.option("--batch-api", is_flag=True, help="Ask the model through the Batch API (half the price, slower).")
@click.option("--json", "as_json", is_flag=True, help=JSON_RESULT)
@common
def backfill(
    manifest_file: Path,
    start: str | None,
    end: str | None,
    concurrency: int | None,
    dry_run: bool,
    no_llm: bool,
    batch_api: bool,
    as_json: bool,
    workspace: Path | None,
    quiet: bool,
    verbose: int,
    debug: bool,
) -> None:
    """Draft many past days from a MANIFEST: one day per line (`2024-01-30 2401.16420 2401.15977`, blank lines
    and # comments allowed) or `date,id` rows.

    The whole manifest is checked first. Papers already in their day's note are skipped, so a rerun after an
    interruption does only what is left (PDFs and answers come from the cache).
    """
    import hashlib

    from notegen import manifest

    obj = _context(workspace, quiet, debug, verbose)
    text = manifest.read_manifest(manifest_file)
    days = manifest.parse_manifest(text, str(manifest_file))
    days = manifest.between(days, _parse_date(start) if start else None, _parse_date(end) if end else None)
    config = settings.load(obj.workspace, {"concurrency": concurrency})
    _ready(obj, config, dry_run)
    planned = manifest.plan(config, days)
    todo = sum(len(p.todo) for p in planned)
    done = sum(len(p.done) for p in planned)
    left = sum(1 for p in planned if p.todo)
    broken = [p.broken for p in planned if p.broken]
    if broken:  # every note that cannot be added to, at once, before anything is fetched
        raise Problems(broken)
    obj.status(f"{len(days)} days, {todo + done} papers: {todo} to draft on {left} days, {done} already in notes")
    if dry_run or not todo:  # nothing to fetch or ask: no key, no network
        return
    # Not before: a dry run needs none of the network stack.
    from notegen.backfill import backfill_days
    from notegen.backfill_batch import answer_by_batch
    from notegen.session import Session

    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if batch_api and no_llm:
        raise UsageError("--batch-api asks the model", hint="it cannot go with --no-llm")
    if batch_api and todo:
        with Session(config, status=obj.status) as session:
            if not answer_by_batch(session, days, key):
                raise SystemExit(1)
    with (
        _Progress(obj, todo, left) as progress,
        Session(config, use_llm=not no_llm, status=progress.stage) as session,
    ):
        report = backfill_days(session, days, key, on_paper=progress.paper, on_day=progress.day)
    _summary_table(obj, report, config)
    _finish(obj, config, report.result, as_json)


_showing: _Progress | None = None  # the bars on the terminal now, for Ctrl-C to take down before its line


class _Progress:
    """Bars on a terminal, a line per day otherwise."""

    def __init__(self, obj: Context, papers: int, days: int) -> None:
        self.obj = obj
        self.bars = None
        if not obj.quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bars = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self.papers = self.bars.add_task("papers", total=papers)
            self.days = self.bars.add_task("days", total=days)
            self.now = self.bars.add_task("", total=None)

    def __enter__(self) -> _Progress:
        global _showing
        if self.bars is not None:
            self.bars.start()
            _showing = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _showing
        if self.bars is not None:
            self.bars.stop()
            _showing = None

    def stage(self, message: str) -> None:
        """What the pipeline is doing now (a terminal only: on a log it would be a line per step)."""
        if self.bars is not None:
            self.bars.update(self.now, description=_redact(message)[:70])

    def paper(self, name: str, ok: bool) -> None:
        if self.bars is not None:
            self.bars.advance(self.papers)

    def day(self, when: date, path: Path) -> None:
        if self.bars is not None:
            self.bars.advance(self.days)
        else:
            self.obj.status(f"{when:%Y-%m-%d}: {_shown(path)}")


def _summary_table(obj: Context, report: Report, config: settings.Settings) -> None:
    failures = report.result.failures
    reasons: dict[str, int] = {}
    for failure in failures:
        reasons[failure.reason] = reasons.get(failure.reason, 0) + 1
    rows = [
        ("days written", str(len(report.days_written))),
        ("days already complete", str(len(report.days_complete))),
        ("papers drafted", str(report.papers_ok)),
        ("papers already in notes", str(report.papers_skipped)),
        ("papers failed", str(len(failures))),
        *((f"  {reason}", str(count)) for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])),
    ]
    kinds: dict[str, int] = {}
    for item in report.result.waiting:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    rows += [("waiting for review", str(sum(kinds.values()))), *((f"  {k}", str(n)) for k, n in kinds.items())]
    if obj.quiet:
        return
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        obj.status(f"{name:<{width}}  {value}")


def _finish(obj: Context, config: settings.Settings, result: DraftResult, as_json: bool = False) -> None:
    """Paths (or, for a dry run, the sections) on stdout, or with `as_json` all of the result as one JSON object;
    tokens, cost, what waits for review and failures on stderr; exit 1 when a paper failed."""
    if as_json:
        click.echo(_json_line(_result_record(config, result)))
    else:
        for name in result.skipped:
            obj.status(f"{name}: already in the note; skipped")
        if result.preview:
            click.echo(result.preview, nl=False)
        for path in result.written:
            click.echo(_shown(path))
    if result.usage and (result.usage.calls or result.usage.cached):
        u = result.usage
        cost = u.prompt_tokens * config.price_input / 1e6 + u.completion_tokens * config.price_output / 1e6
        priced = f", about ${cost:.4f}" if config.price_input or config.price_output else ""
        obj.status(
            f"tokens: {u.prompt_tokens} in, {u.completion_tokens} out "
            f"({u.calls} call{'s' * (u.calls != 1)}, {u.cached} from cache{priced})"
        )
    for item in result.waiting:
        click.echo(_redact(f"review: {item}"), err=True)
    for failure in result.failures:
        click.echo(_redact(f"error: {failure}"), err=True)
    if result.failures:
        raise SystemExit(1)


def _result_record(config: settings.Settings, result: DraftResult) -> dict[str, Any]:
    """A command's result for a script: paths as shown, each paper's failure or what waits, by paper."""
    usage = result.usage
    record: dict[str, Any] = {
        "written": [_shown(path) for path in result.written],
        "skipped": list(result.skipped),
        "failed": [{"paper": f.name, "reason": f.reason, "detail": f.detail, "hint": f.hint} for f in result.failures],
        "review": [{"paper": w.paper, "kind": w.kind, "reason": w.detail} for w in result.waiting],
        "tokens": None
        if usage is None
        else {"in": usage.prompt_tokens, "out": usage.completion_tokens, "calls": usage.calls, "cached": usage.cached},
    }
    if result.preview:
        record["preview"] = result.preview
    return record


_root = Path(".")  # the workspace of the command that runs (paths are shown from it)


def _shown(path: Path) -> str:
    """A path as the person can find it: relative to the workspace when it is in it (notes/papers.20240130.md),
    else to here when it is under here, else as it is (never `../../..`)."""
    with contextlib.suppress(ValueError):
        inside = path.resolve().relative_to(_root.resolve())
        if inside.parts:  # (the workspace itself is named from here)
            return str(inside)
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.split(os.sep)[0] == os.pardir and path.is_absolute() else relative


def _redact(text: str) -> str:
    secret.register(os.environ.get(settings.KEY_ENV))
    return secret.scrub(text)


def _fail(message: str, code: int) -> NoReturn:
    for line in message.splitlines() or [""]:
        click.echo(_redact(f"error: {line}"), err=True)
    raise SystemExit(code)


def _first_ctrl_c(signum: int, frame: object) -> None:
    """Ctrl-C stops the run once: the first press raises KeyboardInterrupt and every later one is ignored. (Two
    presses in quick succession, or a key held down, interrupted the stop itself on a busy machine: a traceback
    and a death by signal instead of one line and 130.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGBREAK"):
        signal.signal(signal.SIGBREAK, signal.SIG_IGN)
    raise KeyboardInterrupt


def _interrupted(standalone: bool) -> NoReturn:
    """Ctrl-C: one line and exit 130 at once. Notes are written whole or not at all, so a rerun goes on where
    this one stopped; requests still in flight in worker threads are not waited for, and the processes reading
    PDFs are stopped. The command's thread is still running: from here on what it would print goes nowhere, so
    the line is the last one the person sees (not a paper 'failed' because its worker was just stopped)."""
    if standalone:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut this short
    if _showing is not None and _showing.bars is not None:
        _showing.bars.stop()
    terminal = sys.stderr
    if standalone:
        sys.stdout.flush()
        sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (left for os._exit)
    click.echo("interrupted: nothing was half-written; run the same command again to go on", file=terminal)
    terminal.flush()
    stop_all = getattr(sys.modules.get("notegen.bounded"), "stop_all", None)  # (None while it is imported)
    if stop_all is not None:
        stop_all()
    if standalone:
        os._exit(130)
    raise SystemExit(130)


def _in_thread(command: Callable[[], Any]) -> Any:
    """Run the command in a thread while the main thread waits for it in short slices. Python delivers Ctrl-C
    to the main thread only, and on Windows only between its waits (python/cpython#74157, #125541): a main
    thread blocked on a socket, a lock or a future there would hold Ctrl-C back until that wait ended."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = command()
        except BaseException as err:  # raised again in the main thread, traceback and all
            box["error"] = err

    worker = threading.Thread(target=run, name="notegen", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _main_is_notegen() -> None:
    """Started as the `notegen` script, the main module is a file; a PDF worker started the platform's way
    (spawn: macOS, Windows) would run that file again, importing the whole CLI, before it can ignore Ctrl-C.
    Named as `python -m notegen` names it, the worker skips it: it starts a third of a second sooner, and a
    Ctrl-C in that time no longer prints a worker's traceback."""
    import importlib.util

    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.util.find_spec("notegen.__main__")


def _unicode(encoding: str | None) -> bool:
    try:
        name = codecs.lookup(encoding or "ascii").name
    except LookupError:
        return False
    return name.startswith("utf") or name == "gb18030"


def _console() -> None:
    """Output every console can print: where stdout or stderr cannot encode every character (a Windows code
    page such as cp1252 or GBK when output is redirected, a C locale), a character it cannot encode is written
    as an escape (\\xf6) instead of ending the run; Windows consoles themselves take Unicode."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not _unicode(stream.encoding) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")


class _PipeEnd(io.RawIOBase):
    """Standard output or error when it is a pipe. Once the reader has gone (`notegen draft ... | head -1`), what
    is written goes to the null device: the run finishes what it was doing and ends with its own exit code and
    without a word about the pipe, instead of stopping at the first line it prints (click's exit 1 with no message,
    or a traceback)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.gone = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def write(self, data: Any) -> int | None:
        size = memoryview(data).nbytes
        if self.gone:
            return size
        try:
            return os.write(self._fd, data)
        except BlockingIOError:
            return None  # a pipe its reader made non-blocking: as FileIO says it, for the buffer to try again
        except OSError as err:
            # EPIPE; Windows may say EINVAL for a pipe whose reader has closed it.
            if not isinstance(err, BrokenPipeError) and not (os.name == "nt" and err.errno == errno.EINVAL):
                raise
        self.gone = True
        with contextlib.suppress(OSError):  # anything else writing to the descriptor (the exit's flush) is dropped too
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._fd)
            os.close(null)
        return size


def _pipes_may_close() -> None:
    """Standard output and error that are pipes write through a _PipeEnd, in the encoding and error handling they
    had (see _console); a terminal or a file stays as it is."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, io.TextIOWrapper):
            continue
        try:
            fd = stream.fileno()
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            stream.flush()
        except (OSError, ValueError):
            continue
        wrapped = io.TextIOWrapper(
            io.BufferedWriter(_PipeEnd(fd)),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=stream.write_through,
        )
        setattr(sys, name, wrapped)


def _json_line(record: dict[str, Any]) -> str:
    """One JSON object, in plain ASCII escapes where stdout cannot print every character."""
    import json

    return json.dumps(record, ensure_ascii=not _unicode(getattr(sys.stdout, "encoding", None)))


def main(argv: list[str] | None = None) -> Any:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    _console()
    if argv is None:
        _pipes_may_close()
        _main_is_notegen()
    if argv is None and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _first_ctrl_c)  # (not where SIGINT is ignored: a job started in the background)
    if argv is None and hasattr(signal, "SIGBREAK"):
        # Windows: Ctrl-Break (what a program can send to a console process group) stops a run as Ctrl-C does,
        # with the same line and exit code, instead of ending it without a word.
        signal.signal(signal.SIGBREAK, _first_ctrl_c)
    try:
        return _in_thread(lambda: cli.main(args=argv, prog_name="notegen", standalone_mode=False))
    except click.exceptions.Exit as err:
        raise SystemExit(err.exit_code) from None
    except click.ClickException as err:
        err.show()
        raise SystemExit(err.exit_code) from None
    except click.exceptions.Abort:
        _interrupted(argv is None)
    except (UsageError, NoteError) as err:
        if debug:
            click.echo(_redact(traceback.format_exc()), err=True, nl=False)
        _fail(str(err), 2)
    except (FatalError, NotegenError) as err:
        if debug:
            click.echo(_redact(traceback.format_exc()), err=True, nl=False)
        _fail(str(err), 1)
    except KeyboardInterrupt:
        _interrupted(argv is None)
    except Exception as err:
        if debug:
            click.echo(_redact(traceback.format_exc()), err=True, nl=False)
        _fail(f"unexpected {type(err).__name__}: {err}; rerun with --debug for details and report it", 1)
    finally:
        if argv is None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C as it ends does not undo a finished run
        _end_debug()
