"""What a summary states that the paper's material does not: numbers, and names of datasets and methods. Pure.

The model writes the summary from the title, abstract, introduction and Figure 1's caption (`material_of`); a
claim it could not have read there is flagged for the person, never silently kept. A false alarm costs the person
a look, so a claim counts as supported whenever the material says it in another common form.

Numbers are written with digits (after NFKC: `１２３`, `％`):
- a claim is a number as written: `1,000` (ASCII comma, groups of three), `95.30`, `12.5%`, `3-5` (each end),
  `1.5x`, `7B` (K, M, B, T), `120万` (万, 亿, 百万, 千万, 万亿), `1e-5`; signs are left out;
- it is supported when the material has the same value anywhere, even inside a name (`ResNet-50` has 50), in any
  of those spellings (`7 billion`, `7,000,000,000`), a percentage also as a fraction (`95.3%` and `0.953`) and
  a fraction also as a percentage;
- or when it rounds a number of the material to its own last digit (`95%` from `95.3%`, `1.2M` from `1,234,567`),
  except a whole number below 10 without `%` or a scale: a count (`3个数据集`, `3倍`) must be exact;
- or when it is a whole number up to 20 the material spells in English (`three`, `third`, `twice`) or in Chinese
  numerals (`三`).

Names are runs of Latin letters and digits, joined by `-`, `_`, `.` or `'` (`ResNet-50`, `SQuAD`, `v2.0`, one claim
a word: `Gemini Pro` is two); a lone letter (`x`, `N`) is a variable, not a name. A name is supported when:
- the material has the same letters and digits in a row, whatever the case and whatever separates them
  (`ResNet50`, `ResNet-50`, `resnet 50`), with an English plural added or taken off (`LLMs` and `LLM`), a
  version with or without its `v` (`v2.0` and `2.0`);
- or it is an acronym (letters, at least two capitals, no fewer capitals than lower-case letters; a plural `s`
  aside) spelled by consecutive words of one phrase of the material: each capital is the initial of a word,
  each lower-case letter a later letter of the same word or the initial of the next (`ViT` from Vision
  Transformer, `MoE` from mixture of experts), a 2 or a 4 the word to/two or for/four (`T2I` from
  text-to-image); function words may be skipped (`RLHF` from reinforcement learning from human feedback), but
  the phrase does not begin or end with one (`FSD` is not "for small datasets").
  Short acronyms can be spelled by chance in a long text: the rule trades those misses for no false alarms.

Not claims: URLs, markdown image and link targets, HTML tags, list numbering (`1.`, `(2)`, `③`) and citation marks
(`[12]`). The title needs no rule of its own: it is part of the material.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property
from itertools import accumulate

from notegen.summarize import Inputs

SHOWN = 5  # claims a review line names; the rest are counted

_SCALES = {
    "k": Decimal("1E3"),
    "m": Decimal("1E6"),
    "b": Decimal("1E9"),
    "t": Decimal("1E12"),
    "thousand": Decimal("1E3"),
    "million": Decimal("1E6"),
    "billion": Decimal("1E9"),
    "trillion": Decimal("1E12"),
    "万": Decimal("1E4"),
    "亿": Decimal("1E8"),
    "百万": Decimal("1E6"),
    "千万": Decimal("1E7"),
    "万亿": Decimal("1E12"),
}
# Whole numbers up to 20 as English writes them: the words for 0, 1, 2 ...
_SPELLED = (
    "zero",
    "one first single once",
    "two second twice double dual pair",
    "three third thrice triple",
    "four fourth",
    "five fifth",
    "six sixth",
    "seven seventh",
    "eight eighth",
    "nine ninth",
    "ten tenth",
    "eleven eleventh",
    "twelve twelfth",
    "thirteen thirteenth",
    "fourteen fourteenth",
    "fifteen fifteenth",
    "sixteen sixteenth",
    "seventeen seventeenth",
    "eighteen eighteenth",
    "nineteen nineteenth",
    "twenty twentieth",
)
_NUMBER_WORDS = {word: number for number, words in enumerate(_SPELLED) for word in words.split()}
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ACRONYM = re.compile("[A-Za-z][A-Za-z24]*")
_SAID_AS = {"2": frozenset({"to", "two"}), "4": frozenset({"for", "four"})}  # digits an acronym spells words with
_FUNCTION_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "via", "with"}
)

# What is not a claim; CIRCLED before NFKC, which turns ③ into 3.
_CIRCLED = re.compile("[\u2460-\u24ff\u2776-\u2793]")
_NOISE = re.compile(
    r"!\[[^\]\n]*\]\([^)\s]*\)"  # a markdown image
    r"|(?<=\])\([^)\s]*\)"  # a markdown link's target (its text stays)
    r"|(?<![A-Za-z0-9])(?:https?://|www\.)[!-~]+"  # a URL, up to the first space or non-ASCII character
    r"|</?[A-Za-z][^<>\n]*>"  # an HTML tag
    r"|^[ \t]*(?:[-*+][ \t]+)?[0-9]{1,2}[.)、](?![0-9])"  # list numbering
    r"|[(][0-9]{1,2}[)]|(?<![^\s:;,，、。])[0-9]{1,2}[)]"  # (2) or 2) in a list
    r"|\[[0-9]+(?:[-,–][0-9]+)*\]",  # a citation mark
    re.MULTILINE,
)
# A word of the summary, and what may follow a number: a percent sign or a Chinese scale.
_WORD = re.compile(
    r"(?P<word>[A-Za-z0-9]+(?:(?:[-_.']|(?<=[0-9]),(?=[0-9]{3}(?![0-9]))|(?<=[0-9])[~–](?=[0-9]))[A-Za-z0-9]+)*)"
    r"(?:(?P<percent> ?%)|(?P<zh>万亿|百万|千万|万|亿))?"
)
_ENDPOINT = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
_RANGE = re.compile(rf"{_ENDPOINT}(?:[-~–]{_ENDPOINT})*")
_SUFFIXED = re.compile(r"([0-9]+(?:\.[0-9]+)?)(?:[xX]|(?P<scale>[kKMBT])|[eE](?P<power>[-+]?[0-9]{1,3}))")
# Every number of the material, wherever it stands (lower-cased text).
_NUMBER = re.compile(
    r"(?P<digits>[0-9]+(?:,[0-9]{3}(?![0-9]))*(?:\.[0-9]+)?)(?:e(?P<power>[-+]?[0-9]{1,3}))?"
    r"(?: ?(?P<percent>%)| ?(?P<scale>[kmbt](?![a-z])|thousand|million|billion|trillion)|(?P<zh>万亿|百万|千万|万|亿))?"
)
_CHINESE_NUMERAL = re.compile("[零〇一二两三四五六七八九十]+")
# A name's letters and digits, the way both sides are compared: `v2.0` is v, 2.0.
_PIECE = re.compile(r"[a-z]+|[0-9]+(?:\.[0-9]+)*")
# The material's words for acronyms; anything but space, `-` and `/` between two words ends a phrase.
_BETWEEN_PHRASES = re.compile(r"[^a-z\s/-]+")
_BETWEEN_WORDS = re.compile(r"[\s/-]+")


def material_of(inputs: Inputs) -> str:
    """What the model was given to read, as one text: what its summary may state."""
    return "\n\n".join((inputs.title, inputs.abstract, inputs.introduction, inputs.caption))


def unsupported(summary: str, material: str) -> list[str]:
    """The claims of `summary` the material does not support, in order of appearance, each once."""
    known = _Material(material)
    found: list[str] = []
    for claim in _claims(summary):
        if claim.text not in found and not known.supports(claim):
            found.append(claim.text)
    return found


def named_zh(claims: Sequence[str]) -> str:
    """The claims as the review line names them, to the person: at most SHOWN, and how many in all."""
    return _listed(claims, "、", " 等 {total} 处")


def review_detail(claims: Sequence[str]) -> str:
    """The same in English, for stderr."""
    listed = _listed(claims, ", ", " and {more} more")
    return f"the summary states what the paper's abstract, introduction and caption do not: {listed}"


def _listed(claims: Sequence[str], separator: str, rest: str) -> str:
    if not claims:
        raise ValueError("no claims to name")
    shown = separator.join(claims[:SHOWN])
    if len(claims) <= SHOWN:
        return shown
    return shown + rest.format(total=len(claims), more=len(claims) - SHOWN)


@dataclass(frozen=True)
class _Value:
    forms: tuple[Decimal, ...]  # what it may mean: 95.3% is 95.3 or 0.953
    rounds: bool  # a number of the material rounded to its last digit supports it


@dataclass(frozen=True)
class _Claim:
    text: str  # as the summary writes it (after NFKC), what the person is shown
    name: str | None = None  # the word, for a name
    values: tuple[_Value, ...] = ()  # for a number: each end of a range


def _normal(text: str) -> str:
    """NFKC, which makes full-width digits, letters and ％ ASCII, except on the full-width comma: it separates
    items in Chinese and must not become a thousands separator."""
    return "，".join(unicodedata.normalize("NFKC", part) for part in text.split("，"))


def _claims(summary: str) -> Iterator[_Claim]:
    text = _NOISE.sub(" ", _normal(_CIRCLED.sub(" ", summary)))
    for match in _WORD.finditer(text):
        word, percent, zh = match["word"], match["percent"] or "", match["zh"] or ""
        scale = _SCALES[zh] if zh else None
        if _RANGE.fullmatch(word):
            *ends, last = re.split(r"[-~–]", word)
            # 3-5万 is 3万 to 5万, which the material may write as 3-5万 too
            values = [_value(e, bool(percent), scale, bare=True) for e in ends] + [_value(last, bool(percent), scale)]
            yield _Claim(word + percent + zh, values=tuple(values))
        elif number := _SUFFIXED.fullmatch(word):
            scale = _SCALES[number["scale"].lower()] if number["scale"] else None
            value = _value(number[1], bool(percent), scale, int(number["power"] or 0))
            yield _Claim(word + percent, values=(value,))
        elif len(word) > 1:  # a lone letter (x, N, k) is a variable, not a dataset or a method
            yield _Claim(word, name=word)


def _value(digits: str, percent: bool, scale: Decimal | None, power: int = 0, bare: bool = False) -> _Value:
    """What a number of the summary may mean; `bare`: or without its scale."""
    value = Decimal(digits.replace(",", "")).scaleb(power)
    forms = [value * scale] if scale is not None else []
    if scale is None or bare:
        forms.append(value)
    if percent:
        forms += [form.scaleb(-2) for form in forms]
    # A whole number below 10 is a count; anything written with more care may be a rounded measurement.
    rounds = percent or scale is not None or "." in digits or value >= 10
    return _Value(tuple(forms), rounds)


class _Material:
    """The material's normalised forms, computed once per check."""

    def __init__(self, text: str) -> None:
        self.text = _normal(text).lower()
        pieces = _PIECE.findall(self.text)
        self.pieces = frozenset(pieces)
        self.joined = "".join(pieces)
        self.cuts = frozenset(accumulate(map(len, pieces), initial=0))  # where a piece begins or ends in `joined`
        self.values = _numbers(self.text, self.pieces)
        self._rounded: dict[int, frozenset[Decimal]] = {}

    def supports(self, claim: _Claim) -> bool:
        if claim.name is not None:
            return self._names(claim.name)
        return all(self._has(value) for value in claim.values)

    def _has(self, value: _Value) -> bool:
        if any(form in self.values for form in value.forms):
            return True
        return value.rounds and any(form in self._rounded_to(_exponent(form)) for form in value.forms)

    def _rounded_to(self, exponent: int) -> frozenset[Decimal]:
        """The material's more precise numbers rounded to 10**exponent, half up or half to even."""
        if exponent not in self._rounded:
            quantum = Decimal(1).scaleb(exponent)
            rounded = set()
            for number in self.values:
                if _exponent(number) < exponent:
                    for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN):
                        with suppress(InvalidOperation):  # more digits than Decimal's precision holds
                            rounded.add(number.quantize(quantum, rounding=mode))
            self._rounded[exponent] = frozenset(rounded)
        return self._rounded[exponent]

    def _names(self, word: str) -> bool:
        key = "".join(_PIECE.findall(word.lower()))
        if re.fullmatch(r"v[0-9.]+", key):  # a version: v2.0 is 2.0
            return self._in_a_row(key) or self._in_a_row(key[1:])
        if any(self._in_a_row(form) for form in _inflections(key)):
            return True
        acronym = _acronym(word)
        return acronym is not None and self._spells(acronym)

    def _in_a_row(self, key: str) -> bool:
        """Whether `key` is one or more whole pieces of the material in a row."""
        if key in self.pieces:
            return True
        if len(key) == 1:  # one letter or digit is one piece or none
            return False
        at = self.joined.find(key)
        while at >= 0:
            if at in self.cuts and at + len(key) in self.cuts:
                return True
            at = self.joined.find(key, at + 1)
        return False

    @cached_property
    def _phrases(self) -> tuple[list[str], str]:
        """The material's words, with "|" where a phrase ends, and the first letter of each."""
        words = _BETWEEN_WORDS.split(_BETWEEN_PHRASES.sub(" | ", self.text))
        return words, "".join([word[:1] or " " for word in words])

    def _spells(self, acronym: str) -> bool:
        words, initials = self._phrases

        def spelled(i: int, j: int, at: int) -> bool:
            """Whether acronym[i:] continues a spelling whose last letter was words[j][at]."""
            if i == len(acronym):
                return words[j] not in _FUNCTION_WORDS
            letter = acronym[i].lower()
            said = _SAID_AS.get(letter)  # T2I: text-to-image
            if acronym[i].islower():
                inner = words[j].find(letter, at + 1)
                while inner >= 0:
                    if spelled(i + 1, j, inner):
                        return True
                    inner = words[j].find(letter, inner + 1)
            for k in range(j + 1, len(words)):
                if (words[k] in said if said else initials[k] == letter) and spelled(i + 1, k, 0):
                    return True
                if words[k] not in _FUNCTION_WORDS:  # a barrier is no function word either
                    break
            return False

        first = acronym[0].lower()
        j = initials.find(first)
        while j >= 0:
            if words[j] not in _FUNCTION_WORDS and spelled(1, j, 0):
                return True
            j = initials.find(first, j + 1)
        return False


def _numbers(text: str, words: frozenset[str]) -> frozenset[Decimal]:
    """Every value the (lower-cased) material states, in each form a claim may take; `words` are its words."""
    values: set[Decimal] = set()
    for digits, power, percent, scale, zh in _NUMBER.findall(text):
        value = Decimal(digits.replace(",", ""))
        values.add(value)
        if "," in digits:  # a list written without spaces (128,256) as well as a thousands separator
            values.update(Decimal(group) for group in digits.split(".")[0].split(","))
        if power:
            value = value.scaleb(int(power))
            values.add(value)
        if percent:
            values.add(value.scaleb(-2))
        if scale or zh:
            values.add(value * _SCALES[scale or zh])
    values.update(Decimal(_NUMBER_WORDS[word]) for word in words & _NUMBER_WORDS.keys())
    for numeral in _CHINESE_NUMERAL.findall(text):
        number = _chinese(numeral)
        if number is not None:
            values.add(Decimal(number))
    return frozenset(values)


def _chinese(numeral: str) -> int | None:
    """零 to 二十 as a number; anything longer is not read."""
    if numeral in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[numeral]
    tens, ten, ones = numeral.partition("十")
    if not ten or len(tens) > 1 or len(ones) > 1:
        return None
    high = _CHINESE_DIGITS.get(tens, 0 if not tens else -1)
    low = _CHINESE_DIGITS.get(ones, 0 if not ones else -1)
    if high < 0 or low < 0 or (tens and high == 0):
        return None
    number = 10 * (high or 1) + low
    return number if number <= 20 else None


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _inflections(key: str) -> Iterator[str]:
    """`key`, and with an English plural added or taken off."""
    yield key
    if not key[-1:].isalpha():
        return
    yield from (key + "s", key + "es")
    if key.endswith("s"):
        yield key[:-1]
    if key.endswith("es"):
        yield key[:-2]
    if key.endswith("ies"):
        yield key[:-3] + "y"
    if key.endswith("y"):
        yield key[:-1] + "ies"


def _acronym(word: str) -> str | None:
    """The letters of an acronym (`LLMs` is LLM), or None when `word` is not one."""
    letters = word[:-1] if len(word) > 2 and word.endswith("s") and word[-2].isupper() else word
    if not _ACRONYM.fullmatch(letters):
        return None
    capitals = sum(c.isupper() for c in letters)
    return letters if capitals >= 2 and 2 * capitals >= sum(c.isalpha() for c in letters) else None
