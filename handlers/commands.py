"""Parsing of chat commands: a command word, then perhaps a ticket number, then perhaps free text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(
    r"^(?:编号|#|No\.?)?\s*(\d{1,9})(?:号)?(?=$|[\s，,：:。.；;、])[\s，,：:。.；;、]*(.*)$", re.I | re.S
)
_TRAILING_PUNCTUATION = "。.！!？?~～ "


@dataclass(frozen=True)
class Command:
    """A parsed command. number is None when no readable number follows the word."""

    word: str
    number: int | None
    rest: str

    @property
    def tail(self) -> str:
        """Everything after the word, number included (for commands without a number)."""
        return f"{self.number} {self.rest}".strip() if self.number is not None else self.rest


# Full-width digits, letters and spaces (typed with a Chinese keyboard) read as plain ones; Chinese
# punctuation in a note is left as the person wrote it.
_PLAIN = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code - 0xFEE0).isalnum()} | {0x3000: 0x20}


def normalise(text: str) -> str:
    """Full-width digits, letters and spaces become plain; surrounding blanks and a final full stop go."""
    return text.translate(_PLAIN).strip().rstrip(_TRAILING_PUNCTUATION)


def parse(text: str, words: tuple[str, ...]) -> Command | None:
    """The command if text starts with one of words (longest first), else None."""
    cleaned = normalise(text)
    for word in sorted(words, key=len, reverse=True):
        if cleaned.startswith(word):
            tail = cleaned[len(word) :].strip(" \t\n，,：:")
            match = _NUMBER.match(tail)
            if match:
                return Command(word, int(match.group(1)), match.group(2).strip())
            return Command(word, None, tail)
    return None
