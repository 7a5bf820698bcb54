"""Word segmentation: one shared jieba Tokenizer (over the shipped compact dictionary) plus per-org-chart words."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import jieba

from nlp.dictionary import CompactTokenizer
from nlp.lexicon import DOMAIN_WORDS

# jieba's HMM pass is quadratic in the length of a run of unknown characters (20 000 × "啊" takes
# seconds), so text reaches it in slices of this size; a word cut at a slice edge costs little.
_SLICE = 200

_lock = threading.Lock()
_shared: jieba.Tokenizer | None = None


def shared_tokenizer() -> jieba.Tokenizer:
    """nlp's own jieba Tokenizer with the domain lexicon, loaded once and read-only afterwards.

    It cuts as `jieba.Tokenizer()` with jieba's default dictionary does, but reads that dictionary from
    the package's trie (nlp.dictionary): no 70 MB dict, no cache built or written at first use.
    """
    global _shared
    with _lock:
        if _shared is None:
            tokenizer = CompactTokenizer()
            tokenizer.initialize()
            for word in DOMAIN_WORDS:
                tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False))
            _shared = tokenizer
        return _shared


class Segmenter:
    """Cuts text with the shared tokenizer, keeping this org chart's names as single tokens.

    Names are cut out before jieba sees the text, so they never change the shared dictionary and
    a new org chart costs one regular expression, not a dictionary load.
    """

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        words = sorted({w for w in user_words if w.strip()}, key=len, reverse=True)
        self._names = re.compile("|".join(map(re.escape, words))) if words else None

    def cut(self, text: str) -> list[str]:
        """Tokens of the text, whitespace tokens dropped."""
        tokenizer = shared_tokenizer()
        tokens: list[str] = []
        position = 0
        for match in self._names.finditer(text) if self._names else ():
            tokens.extend(_cut(tokenizer, text[position : match.start()]))
            tokens.append(match.group())
            position = match.end()
        tokens.extend(_cut(tokenizer, text[position:]))
        return [t for t in tokens if t.strip()]


def _cut(tokenizer: jieba.Tokenizer, text: str) -> list[str]:
    return [t for i in range(0, len(text), _SLICE) for t in tokenizer.lcut(text[i : i + _SLICE])]
