"""Chat commands: how a command is declared, parsed (numbers the phone way) and found in the registry.

Each module that owns commands declares them as `ChatCommand`s next to the functions that carry them
out (`resident.COMMANDS`, `cadre.COMMANDS`, `binding.COMMANDS`); `handlers.conversation` puts them in
one `Registry`, walks it in a documented order, and generates the 帮助 texts from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlmodel import Session

from handlers import texts

if TYPE_CHECKING:
    from handlers.context import Context
    from storage.models import Cadre, Resident

_TRAILING_PUNCTUATION = "。.！!？?~～ "
_SEPARATORS = "\\s，,：:。.；;、"
_CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL = r"\d{1,9}|[零〇一二两三四五六七八九十百千万]{1,9}"
# One ticket number at the start of a command's tail: 12, 编号12, #12, 12号, 十二; it must end at a
# separator or the end, so that "进展 12 3栋灯修好了" reads as 12 and a note.
_ONE_NUMBER = re.compile(rf"^(?:编号|#|No\.?)?\s*({_NUMERAL})(?:号)?(?=$|[{_SEPARATORS}和])", re.I)
_NEXT_NUMBER = re.compile(rf"^[{_SEPARATORS}]*(?:和|及|与)?[{_SEPARATORS}]*(?=(?:编号|#)?\s*(?:{_NUMERAL}))")


class Audience(StrEnum):
    """Who may use a command."""

    ANYONE = "anyone"
    RESIDENT = "resident"
    CADRE = "cadre"


class Numbers(StrEnum):
    """What a command takes after its word."""

    NONE = "none"  # 任务, 代录 说明
    ONE = "one"  # 详情 12
    SEVERAL = "several"  # 受理 17、18: each is handled, and the answer says how each went
    TWO = "two"  # 合并 12 15
    OPTIONAL = "optional"  # 查询 or 查询 12


@dataclass(frozen=True)
class Command:
    """A parsed command: its word, the ticket numbers read after it, and the rest (the note)."""

    word: str
    numbers: tuple[int, ...]
    rest: str

    @property
    def number(self) -> int | None:
        return self.numbers[0] if self.numbers else None

    @property
    def tail(self) -> str:
        """Everything after the word, numbers included (for commands without a number)."""
        return " ".join([*(str(n) for n in self.numbers), self.rest]).strip()


@dataclass(frozen=True)
class Call:
    """One command being carried out for one person."""

    session: Session
    ctx: Context
    person: Resident
    cadre: Cadre | None
    command: Command
    now: datetime


@dataclass(frozen=True)
class ChatCommand:
    """A command as its owning module declares it."""

    words: tuple[str, ...]
    audience: Audience
    numbers: Numbers
    run: Callable[[Call], str]
    help: str  # one line of the 帮助 text
    note: str | None = None  # what must follow the number(s), e.g. "办理结果"; None: nothing needed
    example: str = ""  # shown when the number or the note is missing
    max_tail: int | None = None  # a longer tail means this was not the command but free text

    def parse(self, text: str) -> Command | None:
        """The command if text starts with one of this command's words, else None."""
        cleaned = normalise(text)
        for word in sorted(self.words, key=len, reverse=True):
            if cleaned.startswith(word):
                tail = cleaned[len(word) :].strip(" \t\n，,：:")
                if self.max_tail is not None and len(tail) > self.max_tail:
                    return None
                limit = 0 if self.numbers == Numbers.NONE else None
                if self.numbers == Numbers.ONE and self.note:
                    limit = 1  # "进展 12 3栋灯修好了": one number, then the note
                numbers, rest = read_numbers(tail, limit=limit)
                return Command(word, numbers, rest)
        return None


@dataclass(frozen=True)
class Match:
    """A declared command and what was parsed of it."""

    declared: ChatCommand
    command: Command


class Registry:
    """Every chat command, in the order the dispatcher tries them: declaration order, first match wins."""

    def __init__(self, *groups: Iterable[ChatCommand]) -> None:
        self.commands: tuple[ChatCommand, ...] = tuple(c for group in groups for c in group)

    def match(self, text: str, audiences: Iterable[Audience]) -> Match | None:
        allowed = set(audiences)
        for declared in self.commands:
            if declared.audience in allowed:
                command = declared.parse(text)
                if command is not None:
                    return Match(declared, command)
        return None

    def near_miss(self, text: str, audiences: Iterable[Audience]) -> str | None:
        """What a person probably meant when one character of a command word is mistyped ("受里 3" → "受理 3"):
        only for a short text that is a word (plus numbers), and only when exactly one command word fits."""
        typed = _NEAR_MISS.match(normalise(text))
        if typed is None:
            return None
        word, tail = typed.group("word"), typed.group("tail")
        allowed = set(audiences)
        takes = _NUMBERED if tail.strip() else (Numbers.OPTIONAL, Numbers.NONE)
        fits = {
            known
            for c in self.commands
            if c.audience in allowed and c.numbers in takes
            for known in c.words
            if len(known) == len(word) and sum(a != b for a, b in zip(known, word, strict=True)) == 1
        }
        return f"{fits.pop()}{tail}" if len(fits) == 1 else None

    def help_lines(self, audience: Audience) -> list[str]:
        return [c.help for c in self.commands if c.audience == audience and c.help]


def check(match: Match) -> str | None:
    """The hint when the command lacks its number(s) or its note; None when it can run."""
    declared, command = match.declared, match.command
    wanted = {Numbers.ONE: 1, Numbers.SEVERAL: 1, Numbers.TWO: 2}.get(declared.numbers, 0)
    if declared.numbers == Numbers.TWO and len(command.numbers) != 2:
        return texts.TWO_NUMBERS.format(command=declared.words[0], example=declared.example)
    if len(command.numbers) < wanted:
        return _hint(declared, missing="number")
    if declared.numbers in (Numbers.ONE, Numbers.OPTIONAL) and len(command.numbers) > 1:
        return _hint(declared, missing="one")
    if declared.note and not command.rest:
        return _hint(declared, missing="note")
    return None


def _hint(declared: ChatCommand, *, missing: str) -> str:
    word = declared.words[0]
    example = declared.example or f"{word} 12"
    if missing == "note":
        return texts.NEEDS_NOTE.format(what=declared.note, example=example)
    if missing == "one":
        return texts.ONE_NUMBER_ONLY.format(command=word, example=example)
    if declared.audience == Audience.CADRE:
        return texts.CADRE_BAD_NUMBER.format(command=word, example=example)
    return texts.BAD_NUMBER.format(command=word, example=example)


# Full-width digits, letters and spaces (typed with a Chinese keyboard) read as plain ones; Chinese
# punctuation in a note is left as the person wrote it.
_PLAIN = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code - 0xFEE0).isalnum()} | {0x3000: 0x20}


# A command word as typed (two or three Chinese characters), then nothing or numbers: "受里 3", "任物", "查寻3、4".
_NUMBERED = (Numbers.ONE, Numbers.SEVERAL, Numbers.TWO, Numbers.OPTIONAL)
_NEAR_MISS = re.compile(r"^(?P<word>[\u4e00-\u9fff]{2,3})(?P<tail>(\s*[0-9０-９、,，和 ]+)?)$")


def normalise(text: str) -> str:
    """Full-width digits, letters and spaces become plain; surrounding blanks and a final full stop go."""
    return text.translate(_PLAIN).strip().rstrip(_TRAILING_PUNCTUATION)


def chinese_number(text: str) -> int | None:
    """十七 → 17, 二十一 → 21, 一〇二 → 102, 17 → 17; None when text is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CHINESE_DIGITS and ch not in _CHINESE_UNITS for ch in text):
        return None
    if not any(ch in _CHINESE_UNITS for ch in text):  # read digit by digit: 一〇二
        return int("".join(str(_CHINESE_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[ch]
            continue
        unit = _CHINESE_UNITS[ch]
        if unit == 10000:
            total, section = (total + section + (digit or 0)) * unit, 0
        else:
            section += (1 if digit is None else digit) * unit
        digit = None
    return total + section + (digit or 0)


def read_numbers(tail: str, *, limit: int | None = None) -> tuple[tuple[int, ...], str]:
    """The ticket numbers at the start of tail (at most limit) and the rest of it."""
    numbers: list[int] = []
    rest = tail
    while limit is None or len(numbers) < limit:
        match = _ONE_NUMBER.match(rest)
        value = chinese_number(match.group(1)) if match else None
        if match is None or value is None or value <= 0:
            break
        numbers.append(value)
        rest = rest[match.end() :]
        between = _NEXT_NUMBER.match(rest)
        if between is None or not _ONE_NUMBER.match(rest[between.end() :]):
            break
        rest = rest[between.end() :]
    if not numbers:
        return (), tail.strip()
    return tuple(numbers), rest.strip(" \t\n，,：:。.；;、")
