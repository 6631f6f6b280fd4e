"""The summary's prompt and the model's answer: templates filled and checked, answers parsed and validated. Pure.

Prompts are files (`prompts/system.md`, `prompts/paper.md`) with `$name` placeholders; a workspace's own copies
win over the defaults shipped with notegen.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from notegen import textfile
from notegen.answer_json import read_object
from notegen.errors import AnswerError, UsageError
from notegen.note import TAG, TAG_MAX

PROMPT_FILES = {
    "system.md": frozenset({"opening", "tags", "examples", "length"}),
    "paper.md": frozenset({"title", "abstract", "introduction", "caption"}),
}
OPTIONAL = frozenset({"length"})  # prompts written before it existed still load


@dataclass(frozen=True)
class Length:
    """How long a summary should be: what the prompt asks for, and what the check accepts."""

    ask: tuple[int, int]  # Chinese characters the prompt asks for
    least: int  # fewer Chinese characters than this is not a summary
    most: int  # more characters in all than this is not a summary either


# Without enough of the person's own summaries: accepts every paragraph of the reference note (45 to 212 Chinese
# characters) and asks for the middle of that.
DEFAULT_LENGTH = Length((100, 300), 40, 2000)


@dataclass(frozen=True)
class Measured:
    """What length_from needs of one summary."""

    chars: int  # Chinese characters
    least: int  # Chinese characters of its shortest paragraph that has any (0: none has)
    length: int  # characters in all


def measure(summary: str) -> Measured:
    paragraphs = [cjk_share(p)[0] for p in re.split(r"\n\s*\n", summary)]
    return Measured(cjk_share(summary)[0], min((c for c in paragraphs if c), default=0), len(summary))


def length_from(summaries: Sequence[Measured]) -> Length:
    """The length in the person's own voice, from their own summaries (hand-written or hand-edited), when there
    are at least three: ask for the middle half of their lengths, accept down to four fifths of their shortest
    paragraph (never stricter than the default) and up to twice their longest summary."""
    counts = sorted(s.chars for s in summaries)
    if len(counts) < 3:
        return DEFAULT_LENGTH
    paragraphs = [s.least for s in summaries if s.least]
    low, high = counts[len(counts) // 4], counts[(3 * len(counts)) // 4]
    low, high = max(20, round(low, -1)), max(round(high, -1), round(low, -1) + 50)
    least = min(DEFAULT_LENGTH.least, int(0.8 * min(paragraphs, default=DEFAULT_LENGTH.least)))
    most = max(DEFAULT_LENGTH.most, 2 * max(s.length for s in summaries))
    return Length((low, high), max(10, least), most)


SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "tag": {"type": "string"}},
    "required": ["summary", "tag"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Prompts:
    system: string.Template
    paper: string.Template
    text: str  # both files as read, part of the answer cache's key


@dataclass(frozen=True)
class Inputs:
    title: str
    abstract: str
    introduction: str
    caption: str


@dataclass(frozen=True)
class Answer:
    summary: str
    tag: str
    new_tag: bool  # not in the vault's vocabulary: flagged for review
    repaired: bool = False  # read out of broken JSON (answer_json.Found.repaired)


def default_prompts_dir() -> Path:
    return Path(str(resources.files("notegen") / "prompts"))


def load_prompts(workspace_dir: Path) -> Prompts:
    """The workspace's prompt files where present, else notegen's; placeholders checked against the allowed."""
    templates: dict[str, string.Template] = {}
    texts: list[str] = []
    for name, allowed in PROMPT_FILES.items():
        path = workspace_dir / name
        if not path.is_file():
            path = default_prompts_dir() / name
        text = textfile.read_text(path)[0]  # as the person's editor saved it
        check_template(text, allowed, str(path))
        templates[name] = string.Template(text)
        texts.append(text)
    return Prompts(templates["system.md"], templates["paper.md"], "\n\0".join(texts))


def check_template(text: str, allowed: frozenset[str], where: str) -> None:
    template = string.Template(text)
    if not template.is_valid():
        raise UsageError("a '$' that is not a placeholder", subject=where, hint="write $$ for a literal dollar sign")
    used = set(template.get_identifiers())
    unknown = sorted(used - allowed)
    missing = sorted(allowed - OPTIONAL - used)
    if unknown or missing:
        problem = "; ".join(
            p
            for p in (
                f"unknown placeholder {', '.join('$' + n for n in unknown)}" if unknown else "",
                f"missing {', '.join('$' + n for n in missing)}" if missing else "",
            )
            if p
        )
        raise UsageError(problem, subject=where, hint=f"allowed: {', '.join('$' + n for n in sorted(allowed))}")


def build_messages(
    prompts: Prompts,
    inputs: Inputs,
    tags: list[str],
    opening: str,
    examples: Sequence[str] = (),
    length: Length = DEFAULT_LENGTH,
) -> list[dict[str, str]]:
    vocabulary = ", ".join(tags) if tags else "（还没有标签：请新建一个）"
    shown = "\n\n".join(f"例{i}：\n{text}" for i, text in enumerate(examples, start=1)) or "（暂无）"
    asked = f"{length.ask[0]} 到 {length.ask[1]}"
    system = prompts.system.substitute(opening=opening, tags=vocabulary, examples=shown, length=asked)
    paper = prompts.paper.substitute(
        title=inputs.title,
        abstract=inputs.abstract or "（无）",
        introduction=inputs.introduction or "（未能从 PDF 中提取引言）",
        caption=inputs.caption or "（无）",
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": paper}]


def estimate_tokens(text: str) -> int:
    """A cautious token count without the model's tokenizer: a token per CJK character, one per 3 others."""
    cjk, _ = cjk_share(text)
    return cjk + (len(text) - cjk + 2) // 3


def fit_introduction(
    prompts: Prompts,
    inputs: Inputs,
    tags: list[str],
    opening: str,
    examples: Sequence[str],
    budget: int,
    length: Length = DEFAULT_LENGTH,
) -> Inputs:
    """`inputs` with the introduction cut (at a sentence end) so the whole prompt stays within `budget`
    tokens; the title, abstract and caption are always kept whole."""
    messages = build_messages(prompts, inputs, tags, opening, examples, length)
    excess = sum(estimate_tokens(m["content"]) for m in messages) - budget
    if excess <= 0 or not inputs.introduction:
        return inputs
    intro = inputs.introduction
    keep = max(0, len(intro) - excess * 3 - 16)  # 3 characters per token at least: cut generously
    cut = intro.rfind(". ", 0, keep)
    return replace(inputs, introduction=intro[: cut + 1] if cut > keep // 2 else intro[:keep])


def reask_messages(messages: list[dict[str, str]], answer: str, error: str) -> list[dict[str, str]]:
    """The conversation once more, quoting what was wrong with the answer."""
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": f"这个回答不能用：{error}。请按要求重新回答，只输出 JSON 对象。",
        },
    ]


def cjk_share(text: str) -> tuple[int, float]:
    """How many CJK characters `text` has, and their share of all letters (CJK and Latin)."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return cjk, (cjk / (cjk + latin) if cjk + latin else 0.0)


_CJK = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")  # the unified ideographs and extension A
_LATIN = re.compile("[A-Za-z]")


def parse_answer(
    text: str, vocabulary: list[str], opening: str, abstract: str = "", length: Length = DEFAULT_LENGTH
) -> Answer:
    """The model's JSON answer as an Answer, or AnswerError saying what is wrong with it."""
    found = read_object(text)  # AnswerError (NoJson) when there is no JSON object in it
    value = found.value
    fields = {str(k).strip().lower(): v for k, v in value.items()}  # "Summary", "TAG": models capitalise keys
    summary, tag = fields.get("summary"), fields.get("tag")
    if isinstance(summary, list) and summary and all(isinstance(p, str) for p in summary):
        summary = "\n\n".join(summary)  # the paragraphs as a list: one to three, as the prompt allows
    if not isinstance(summary, str) or not summary.strip():
        raise AnswerError('the JSON has no "summary" string', "回答里没有 summary")
    if not isinstance(tag, str) or not tag.strip():
        raise AnswerError('the JSON has no "tag" string', "回答里没有 tag")
    summary = "\n\n".join(p.strip() for p in re.split(r"\n\s*\n", summary.strip()) if p.strip())
    tag = tag.strip().lstrip("#")
    if not TAG.fullmatch(tag):
        shown = tag if len(tag) <= TAG_MAX else tag[:TAG_MAX] + "…"
        raise AnswerError(
            f"the tag {shown!r} must be one word of letters, digits, '_' or '-', starting with a letter, "
            f"at most {TAG_MAX} characters",
            f"标签 {shown!r} 不合规：应是一个以字母开头、只含字母数字下划线或连字符的词，最长 {TAG_MAX} 个字符",
        )
    count, share = cjk_share(summary)
    if share < 0.5 or count < length.least:
        raise AnswerError(
            f"the summary must be written in Chinese (it has {count} Chinese characters)",
            f"摘要应当用中文写（只有 {count} 个汉字）",
        )
    if len(summary) > length.most:
        raise AnswerError(
            f"the summary is {len(summary)} characters long; keep it under {length.ask[1]} Chinese characters",
            f"摘要太长（{len(summary)} 个字符）",
        )
    if not summary.startswith(opening):
        raise AnswerError(f"the summary must begin with “{opening}”", f"摘要没有以“{opening}”开头")
    if abstract and _copies(summary, abstract):
        raise AnswerError(
            "the summary copies the abstract; write the problem statement in your own words",
            "摘要照搬了论文的摘要",
        )
    known = {t.lower(): t for t in vocabulary}
    if tag.lower() in known:
        return Answer(summary, known[tag.lower()], new_tag=False, repaired=found.repaired)
    return Answer(summary, tag, new_tag=bool(vocabulary), repaired=found.repaired)


def _copies(summary: str, abstract: str) -> bool:
    """A long verbatim run of the abstract in the summary: the abstract passed off as the summary."""
    words = abstract.split()
    return any(" ".join(words[i : i + 12]) in summary for i in range(0, max(0, len(words) - 11), 6))
