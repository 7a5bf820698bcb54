"""jieba's default dictionary, shipped compactly: a MARISA trie of its words and an array of their counts.

jieba keeps its dictionary as a Python dict of every word and every prefix of a word (~500 000 str
keys, ~70 MB in each process) and rebuilds it, or unmarshals a cache it writes to the temp folder,
at first use (~1 s). The trie holds the same words in ~1.3 MB, is memory-mapped read-only from the
package at start (nothing is built or written at run time), and answers jieba's questions exactly as
its dict would: CompactTokenizer cuts every text into the same words as `jieba.Tokenizer()`.
Built from jieba's own dict.txt by `python -m nlp.dictionary` (jieba is pinned, so the files only
change with it); tests/nlp/test_dictionary.py checks the shipped files against dict.txt.
"""

from __future__ import annotations

import os
import sys
from array import array
from math import log
from pathlib import Path

import jieba
import marisa_trie

DATA = Path(__file__).parent / "data"
WORDS = DATA / "jieba_words.marisa"  # the words with a count > 0
COUNTS = DATA / "jieba_words.counts"  # uint32 little-endian by the trie's key id, then TRAILER
TRAILER = 12  # bytes: jieba's total count (uint64) and the longest word's length (uint32), little-endian


class Frequencies:
    """jieba's FREQ mapping (word → count, a prefix of a word → 0, else absent) over the trie.

    Words added at run time (Tokenizer.add_word writes FREQ[word] and FREQ[prefix] = 0) go to a small
    dict that is read first, exactly as they would have gone into jieba's dict.
    """

    def __init__(self, words: marisa_trie.Trie, counts: array[int]) -> None:
        self.words = words
        self.counts = counts
        self.added: dict[str, int] = {}
        self._added_prefixes: set[str] = set()  # every prefix of an added word: where ends() keeps walking
        self.longest_added = 0

    def get(self, key: str, default: int | None = None) -> int | None:
        if key in self.added:
            return self.added[key]
        found: int | None = self.words.get(key)
        if found is not None:
            return self.counts[found]
        if next(self.words.iterkeys(key), None) is not None:
            return 0  # a prefix of a word: jieba's dict holds it with a count of 0
        return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.added or next(self.words.iterkeys(key), None) is not None)

    def __getitem__(self, key: str) -> int:
        found = self.get(key)
        if found is None and key not in self:
            raise KeyError(key)
        return found or 0

    def __setitem__(self, key: str, count: int) -> None:
        self.added[key] = count
        self._added_prefixes.update(key[: i + 1] for i in range(len(key)))
        self.longest_added = max(self.longest_added, len(key))

    def ends(self, sentence: str, start: int, limit: int) -> list[int]:
        """Where the words beginning at `start` end (inclusive indices), as jieba's get_DAG finds them."""
        added = self.added
        # every word in the trie has a count > 0; prefixes() is one C call, not a Python generator
        ends = [start + len(word) - 1 for word in self.words.prefixes(sentence[start:limit]) if word not in added]
        if added:
            end, fragment = start, sentence[start]
            while end < limit and fragment in self._added_prefixes:
                if added.get(fragment):
                    ends.append(end)
                end += 1
                fragment = sentence[start : end + 1]
            ends = sorted(set(ends))
        return ends


class CompactTokenizer(jieba.Tokenizer):  # type: ignore[misc]
    """A jieba Tokenizer whose default dictionary is the shipped trie: same cuts, a fraction of the memory."""

    def __init__(self) -> None:
        super().__init__()
        self.initialized: bool = False
        self.longest = 0

    def initialize(self, dictionary: str | None = None) -> None:
        if dictionary is not None:
            raise ValueError("CompactTokenizer only reads jieba's default dictionary")
        with self.lock:
            if self.initialized:
                return
            self.FREQ, self.total, self.longest = load()
            self.initialized = True

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        self.check_initialized()
        size = len(sentence)
        longest, ends = max(self.longest, self.FREQ.longest_added), self.FREQ.ends
        return {k: ends(sentence, k, min(size, k + longest)) or [k] for k in range(size)}

    def calc(self, sentence: str, DAG: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:
        size = len(sentence)
        route[size] = (0, 0)
        logtotal = log(self.total)
        added, key_of, counts = self.FREQ.added, self.FREQ.words.get, self.FREQ.counts
        for idx in range(size - 1, -1, -1):
            best: tuple[float, int] | None = None
            for x in DAG[idx]:  # jieba's max over log(count or 1) - log(total) + the rest's, inlined
                word = sentence[idx : x + 1]
                if word in added:
                    count = added[word]
                else:
                    key = key_of(word)
                    count = 0 if key is None else counts[key]
                candidate = (log(count or 1) - logtotal + route[x + 1][0], x)
                if best is None or candidate > best:
                    best = candidate
            assert best is not None
            route[idx] = best


def load() -> tuple[Frequencies, int, int]:
    """The shipped dictionary: its FREQ mapping, jieba's total count, and the longest word's length."""
    words = marisa_trie.Trie()
    words.mmap(str(WORDS))  # read-only pages of the package file, shared by every process
    raw = COUNTS.read_bytes()
    counts = array("I")
    counts.frombytes(raw[:-TRAILER])
    if sys.byteorder != "little":
        counts.byteswap()
    if len(counts) != len(words):
        raise ValueError(f"{COUNTS} holds {len(counts)} counts for {len(words)} words: run python -m nlp.dictionary")
    total, longest = int.from_bytes(raw[-TRAILER:-4], "little"), int.from_bytes(raw[-4:], "little")
    return Frequencies(words, counts), total, longest


def build(out: Path = DATA) -> None:
    """Write the trie and the counts from jieba's dict.txt, through jieba's own reader."""
    frequencies, total = jieba.Tokenizer.gen_pfdict(jieba.Tokenizer().get_dict_file())
    words = marisa_trie.Trie(word for word, count in frequencies.items() if count)
    counts = array("I", [0]) * len(words)
    for word, key in words.iteritems():
        counts[key] = frequencies[word]
    if sys.byteorder != "little":
        counts.byteswap()
    words.save(str(out / WORDS.name))
    longest = max(map(len, words.iterkeys()))
    (out / COUNTS.name).write_bytes(counts.tobytes() + total.to_bytes(8, "little") + longest.to_bytes(4, "little"))


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    print(f"wrote {WORDS.name} and {COUNTS.name} in {sys.argv[1] if len(sys.argv) > 1 else os.path.relpath(DATA)}")
