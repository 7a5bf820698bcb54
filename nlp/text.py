"""Text normalisation and n-gram features shared by training and inference."""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

import opencc

# OpenCC's Traditional → Simplified conversion (phrases and characters; the data ships in the wheel).
_CONVERTER = opencc.OpenCC("t2s")
# Whitespace is dropped (the corpus has none) except between two Latin letters or digits, so
# `street light` stays two words and `3 栋` becomes `3栋`.
_SPACE = re.compile(r"\s+")
_KEPT_SPACE = re.compile(r"(?<=[0-9a-z])\s+(?=[0-9a-z])")
_GAP = "\x00"
# Control and format characters (C0/C1 controls but whitespace, zero-width spaces and joiners, bidi
# marks, BOM) are dropped, as are unpaired surrogates.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalize(text: str) -> str:
    """The form every part of nlp reads: valid Unicode, NFKC (full-width → half-width), Traditional
    → Simplified, lower case, control characters gone, whitespace dropped except between Latin words.

    Never raises: lone surrogates are dropped and any string gives a string.
    """
    text = text.encode("utf-8", "ignore").decode("utf-8")
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if not text.isascii():
        text = _CONVERTER.convert(text)
    text = _KEPT_SPACE.sub(_GAP, text.lower())
    return _SPACE.sub("", text).replace(_GAP, " ")


def has_cjk(text: str) -> bool:
    """Whether the text contains at least one Chinese character."""
    return _CJK.search(text) is not None


def char_ngrams(text: str, low: int = 1, high: int = 3) -> list[str]:
    """All character n-grams of the (already normalised) text, low ≤ n ≤ high."""
    grams: list[str] = []
    for n in range(low, high + 1):
        if n == 1:
            grams.extend(text)
        elif n == 2:  # the common case, and the one a message's latency feels
            grams.extend(map(operator.add, text, text[1:]))
        else:
            grams.extend([text[i : i + n] for i in range(len(text) - n + 1)])
    return grams


SUBJECT_MARK = "\x01"  # prefixes n-grams of the opening characters, so they are features of their own


def model_grams(
    text: str, char_range: tuple[int, int], subject_chars: int, subject_range: tuple[int, int]
) -> list[str]:
    """The classifier's features: character n-grams of the whole text, and marked n-grams of its
    first `subject_chars` characters, where a board message's subject and a chat message's gist are.
    """
    grams = char_ngrams(text, *char_range)
    if subject_chars:
        grams.extend(map(SUBJECT_MARK.__add__, char_ngrams(text[:subject_chars], *subject_range)))
    return grams


def word_ngrams(tokens: Iterable[str]) -> list[str]:
    """Word unigrams and bigrams (joined by a space) of a token sequence."""
    words = [t for t in tokens if t.strip()]
    return words + [f"{a} {b}" for a, b in pairwise(words)]
