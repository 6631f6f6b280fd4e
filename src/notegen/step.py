"""The one step from a paper to its section: its PDF downloaded once and read in a bounded worker (text and
Figure 1), the figure stored, the model asked for the summary and the tag in the person's own voice. Stateless:
everything it needs comes in (the Session, the job, the person's Voice), and what it gives is a Drafted section
or the PaperError that says why not. draft, backfill and regen are built on it."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from notegen import claims, extract, index, note, result, summarize, vault
from notegen.bounded import Bounded
from notegen.errors import AnswerError, FatalError, NotegenError, PaperError
from notegen.ids import LocalPdf
from notegen.jobs import Job, local_name
from notegen.llm import ContextTooLong, Reply
from notegen.result import Drafted, SummaryDoubt
from notegen.session import Session
from notegen.settings import Settings
from notegen.storage import write_atomic

log = logging.getLogger(__name__)

EXAMPLES = 2  # of the person's summaries in the prompt, the newest


@dataclass(frozen=True)
class Voice:
    """What the prompt takes from the person's own notes: the tags they use, summaries of theirs as examples,
    and the length they write."""

    vocabulary: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    length: summarize.Length = summarize.DEFAULT_LENGTH

    @classmethod
    def of(cls, settings: Settings, for_model: bool = True) -> Voice:
        """The voice of the vault as it is now; without a model, only the tags (no prompt is built)."""
        with index.opened(settings) as found:
            vocabulary = tuple(t for t in vault.vocabulary(found, settings) if t != note.UNTAGGED)
            if not for_model:
                return cls(vocabulary)
            return cls(vocabulary, tuple(found.examples(EXAMPLES)), summarize.length_from(found.lengths()))

    @classmethod
    def soon(cls, settings: Settings, for_model: bool = True) -> Callable[[], Voice]:
        """The voice of the vault, read in the background while the papers are fetched and read: a run needs it
        only when it asks the model, and the first run after the vault's index was deleted reads every note."""
        box: dict[str, Voice | BaseException] = {}

        def read() -> None:
            try:
                box["voice"] = cls.of(settings, for_model)
            except BaseException as err:  # given to the paper that waits for the voice
                box["voice"] = err

        thread = threading.Thread(target=read, name="notegen-voice", daemon=True)  # Ctrl-C does not wait for it
        thread.start()

        def voice() -> Voice:
            thread.join()
            found = box["voice"]
            if isinstance(found, BaseException):
                raise found
            return found

        return voice

    @classmethod
    def kept(cls, settings: Settings, key: str, for_model: bool = True) -> Voice:
        """The voice for a whole backfill (`key`: its manifest's), kept under .notegen/ so that a rerun after a
        crash builds the very same prompts (and finds its answers in the cache) although the vault has grown
        meanwhile."""
        path = settings.state / "backfill" / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            length = summarize.Length(tuple(data["length"]["ask"]), data["length"]["least"], data["length"]["most"])
            return cls(tuple(data["vocabulary"]), tuple(data["examples"]), length)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        voice = cls.of(settings)
        if not for_model:
            voice = cls(voice.vocabulary, (), voice.length)
        length_data = {"ask": list(voice.length.ask), "least": voice.length.least, "most": voice.length.most}
        data = {"vocabulary": list(voice.vocabulary), "examples": list(voice.examples), "length": length_data}
        write_atomic(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        return voice


Voices = Voice | Callable[[], Voice]  # a voice, or where it will come from (Voice.soon)


def draft_section(
    session: Session, job: Job, voice: Voices, bounded: Bounded, number: int = 1, refresh: bool = False
) -> Drafted | PaperError:
    """The paper's section (with figure `number`), or why not. A FatalError (a wrong key, say) stops the run;
    any other fault fails this paper only. `refresh` asks the model again instead of reading its last answer."""
    try:
        return _draft(session, job, voice, bounded, number, refresh)
    except PaperError as err:
        return err
    except FatalError:
        raise
    except NotegenError as err:
        return PaperError.of(job.name, err)
    except Exception as err:  # a fault nobody foresaw fails this paper, not the run
        log.debug("%s: unexpected error", job.name, exc_info=True)
        return PaperError(
            job.name, f"unexpected {type(err).__name__}", detail=str(err), hint="rerun with --debug and report it"
        )


def read_paper(
    session: Session, job: Job, bounded: Bounded, number: int = 1
) -> tuple[extract.Extracted, summarize.Inputs]:
    """The paper's PDF (downloaded once), read in a bounded worker, and what the model is given of it."""
    if isinstance(job.ref, LocalPdf):
        pdf = job.ref.path
    else:
        assert job.meta is not None  # an arXiv paper is drafted once arXiv has answered for it
        cache = session.settings.state / "pdfs"
        if not session.arxiv.cached_pdf(job.meta, cache).is_file():
            session.status(f"{job.name}: downloading the PDF")
        pdf = session.arxiv.download_pdf(
            job.meta, cache, lambda p: bounded.call(job.name, extract.check_pdf, p, job.name)
        )
    started = time.monotonic()
    found = bounded.call(job.name, extract.extract, pdf, job.name, number, session.settings.intro_chars)
    log.debug(
        "%s: the PDF read in %.2f s; figure %d: %s",
        job.name,
        time.monotonic() - started,
        number,
        f"page {found.figure.page + 1}, {found.figure.method}" if found.figure else found.figure_reason,
    )
    title = (job.meta.title if job.meta else (job.title or found.title)) or local_name(job)
    abstract = job.meta.abstract if job.meta and job.meta.abstract else found.abstract
    caption = found.figure.caption if found.figure else ""
    return found, summarize.Inputs(title, abstract, found.introduction, caption)


def first_messages(
    prompts: summarize.Prompts, inputs: summarize.Inputs, voice: Voice, budget: int | None
) -> list[dict[str, str]]:
    """The first question for a paper: the introduction cut to `budget` tokens of prompt when given."""
    vocabulary, examples = list(voice.vocabulary), list(voice.examples)
    if budget is not None:
        inputs = summarize.fit_introduction(prompts, inputs, vocabulary, note.OPENING, examples, budget, voice.length)
    return summarize.build_messages(prompts, inputs, vocabulary, note.OPENING, examples, voice.length)


def _draft(session: Session, job: Job, voice: Voices, bounded: Bounded, number: int, refresh: bool) -> Drafted:
    settings = session.settings
    found, inputs = read_paper(session, job, bounded, number)
    image, stored = None, None
    if found.figure is not None and session.dry_run:
        image = vault.image_link(settings, hashlib.sha256(found.figure.png).hexdigest())
    elif found.figure is not None:
        path, image, new = vault.save_image(settings, found.figure.png)
        stored = path if new else None
    waiting = []
    if found.figure is None:
        waiting.append((result.NO_FIGURE, str(found.figure_reason)))
    elif found.figure.doubt:
        waiting.append((result.FIGURE_TO_CHECK, found.figure.doubt))
    summary, tag, review, new_tag = note.PLACEHOLDER, note.UNTAGGED, None, False
    if session.answers is not None:
        with session.model_slots:
            voice = voice() if callable(voice) else voice
            summary, tag, review, new_tag = _summarize(session, job.name, inputs, voice, refresh)
    if new_tag:
        waiting.append((result.NEW_TAG, f"#{tag}, not used in the vault yet"))
    section = note.Section(
        paper=job.marker,
        title=inputs.title,
        tag=tag,
        summary=summary,
        image=image,
        missing_figure=found.figure_reason.zh if found.figure_reason else None,
        figure_doubt=note.DOUBTS.get(found.figure.doubt or "") if found.figure else None,
        review=review.zh if review else None,
        review_detail=review.en if review else None,
    )
    return Drafted(section, stored, tuple(waiting))


def _first_reply(
    session: Session, name: str, inputs: summarize.Inputs, voice: Voice, ask: Callable[[list[dict[str, str]]], Reply]
) -> tuple[list[dict[str, str]], Reply]:
    """The first question and its answer; a prompt too long for the model's context is asked again with the
    introduction cut (the estimate of tokens is a guess: a second refusal cuts deeper)."""
    assert session.prompts is not None
    messages = first_messages(session.prompts, inputs, voice, session.prompt_budget)
    for cut in (1.0, 0.6):
        try:
            return messages, ask(messages)
        except ContextTooLong:
            used = sum(summarize.estimate_tokens(m["content"]) for m in messages)
            budget = min(session.prompt_budget or used // 2, used)  # the server's context, if it said
            session.status(f"{name}: the prompt is too long for the model; cutting the introduction to fit")
            messages = first_messages(session.prompts, inputs, voice, max(0, int(budget * cut)))
    return messages, ask(messages)


def _summarize(
    session: Session, name: str, inputs: summarize.Inputs, voice: Voice, refresh: bool
) -> tuple[str, str, SummaryDoubt | None, bool]:
    """(summary, tag, review reason or None, whether the tag is new to the vault): one re-ask quoting the
    problem, then a review line.

    The introduction is cut to the model's context when it is known (`context_tokens`) or when the server
    says the prompt is too long; the title, abstract and caption always go whole.
    """
    answers, prompts, settings = session.answers, session.prompts, session.settings
    assert answers is not None and prompts is not None
    deadline = time.monotonic() + settings.llm_timeout  # the whole model step: every try, the re-ask
    vocabulary = list(voice.vocabulary)

    def parse(text: str) -> summarize.Answer:
        return summarize.parse_answer(text, vocabulary, note.OPENING, inputs.abstract, voice.length)

    def usable(text: str, truncated: bool = False) -> bool:  # only such answers are cached
        try:
            answer = parse(text)
        except AnswerError:
            return False
        return not (truncated and answer.repaired)

    def ask(messages: list[dict[str, str]], at_least: int = 0) -> Reply:
        if refresh or not answers.has(messages):  # (an answer from the cache is not asked for)
            session.status(f"{name}: asking {settings.model} for the summary")
        return answers.ask(messages, name, refresh=refresh, accept=usable, deadline=deadline, at_least=at_least)

    messages, reply = _first_reply(session, name, inputs, voice, ask)
    for attempt in (1, 2):
        try:
            answer = parse(reply.text)
            if reply.truncated and answer.repaired:  # whole answers are taken whatever finish_reason says
                raise AnswerError("the answer was cut off at the token limit", "回答在字数上限处被截断")
        except AnswerError as err:
            if attempt == 2:
                log.info("%s: the model's answers: %r", name, reply.text[:2000])
                twice = f"the model's answer was unusable twice ({err})"
                said = note.SUMMARY_DOUBTS["unusable twice"].format(err.zh)
                return note.PLACEHOLDER, note.UNTAGGED, SummaryDoubt(said, twice), False
            try:
                if reply.truncated:  # cut at the token limit: the same question, with room for the whole answer
                    session.status(f"{name}: the answer was cut at the token limit; asking again with more room")
                    reply = ask(messages, at_least=2 * max(reply.budget, settings.max_tokens))
                else:
                    session.status(f"{name}: asking again: {err}")
                    reply = ask(summarize.reask_messages(messages, reply.text, str(err)))
            except ContextTooLong:
                said = note.SUMMARY_DOUBTS["no room to ask again"].format(err.zh)
                why = SummaryDoubt(said, f"{err}; no room to ask again")
                return note.PLACEHOLDER, note.UNTAGGED, why, False
            continue
        given = "\n".join(m["content"] for m in messages if m["role"] == "user")
        unsupported = claims.unsupported(answer.summary, given)
        if unsupported:
            said = note.SUMMARY_DOUBTS["unsupported claims"].format(claims.named_zh(unsupported))
            doubt = SummaryDoubt(said, claims.review_detail(unsupported))
            return answer.summary, answer.tag, doubt, answer.new_tag
        return answer.summary, answer.tag, None, answer.new_tag
    raise AssertionError("unreachable")
