"""Courtyard names as residents type them in Latin script: pinyin and English renderings.

Every Chinese name and alias of an org chart is read with pypinyin (an offline dictionary in its
wheel) into its distinctive part (桂花 → gui hua) and its generic ending (苑 → yuan). A message names
the courtyard when the distinctive part's syllables (spaces, tones and capitals optional) are
followed by a generic word — the name's own ending in pinyin or characters, a residential ending
(xiaoqu, yuan, huayuan …) or an English one (garden, community, estate, compound …) — or by a
building number (`guihua 3 dong`, `guihua building 3`). A distinctive part of three or more
syllables is a name on its own. Only whole words count, and a match that fits two courtyards
equally is no match.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# English generic words and the Chinese endings they render; `building` and `block` name a building
# inside any courtyard, so they fit every ending.
ANY_ENDING = "*"
ENGLISH_ENDINGS: dict[str, frozenset[str]] = {
    "garden": frozenset({"苑", "园", "花园", "家园"}),
    "gardens": frozenset({"苑", "园", "花园", "家园"}),
    "community": frozenset({"小区", "社区", "新村"}),
    "estate": frozenset({"小区", "花园", "家园", "山庄"}),
    "compound": frozenset({"院", "院子", "大院"}),
    "yard": frozenset({"院", "院子", "大院"}),
    "courtyard": frozenset({"院", "院子", "大院"}),
    "court": frozenset({"苑", "院", "庭"}),
    "residence": frozenset({"居", "府", "邸", "公寓", "苑"}),
    "apartments": frozenset({"公寓"}),
    "village": frozenset({"村", "新村", "庄", "寨", "屯"}),
    "dorm": frozenset({"宿舍"}),
    "dormitory": frozenset({"宿舍"}),
    "building": frozenset({ANY_ENDING}),
    "block": frozenset({ANY_ENDING}),
}
# Endings residents put after any courtyard's name whatever its own ending (桂花苑 is also
# "guihua xiaoqu"). Others (社区, 村, 里 …) name another kind of place unless they are the name's own.
RESIDENTIAL_ENDINGS = ("小区", "苑", "园", "院", "院子", "大院", "花园", "家园")
_MIN_SYLLABLES_ALONE = 3  # a distinctive part this long is a name without any ending
_LIMIT = 2000  # names come early in a message; bounds the work on a 20 000-character text
_SEPARATOR = r"[ '’\-]?"
_LATIN_RUN = re.compile(r"[a-z]{2,}")
# A building number right after a bare name: `3 dong`, `3栋`, `3号楼`, `building 3`, `bldg 3`, `block 3`.
_BUILDING_AFTER = re.compile(
    r"[ '\-]*(?:\d{1,3} ?(?:dong|hao ?lou|栋|幢|号楼|号|#)(?![a-z])|(?:building|bldg|block|blk)\.? ?(?:no\.? ?)?\d)"
)
_CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8",
                   "九": "9"}
_CJK = re.compile(r"[\u3400-\u9fff]")

_lock = threading.Lock()


def fold(text: str) -> str:
    """Lower case without diacritics (guì huā → gui hua); a normalised text is already lower case."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def readings(chinese: str) -> list[tuple[str, ...]]:
    """Per character of a name, its toneless pinyin readings (every reading of a character with
    several; ü also as u and v, a numeral also as its digit); other characters stand for themselves."""
    with _lock:
        # Character readings only: the phrase table costs 40 MB and a second of import, and a
        # place name's characters read alone cover its phrase reading through heteronyms.
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
        from pypinyin import Style, pinyin
    result: list[tuple[str, ...]] = []
    for char in chinese:
        if _CJK.match(char):
            found = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
            options = {fold(r) for r in found if r.isalpha()}
            options |= {o.replace("v", "u") for o in options if "v" in o}
            if char in _CHINESE_DIGITS:
                options.add(_CHINESE_DIGITS[char])
            if options:
                result.append(tuple(sorted(options, key=lambda o: (-len(o), o))))
        elif char.isalnum():
            result.append((char.lower(),))
    return result


def syllable_pattern(syllables: Sequence[tuple[str, ...]]) -> str:
    """A regular expression for the syllables in order, each with an optional tone digit, joined
    by nothing, a space, an apostrophe or a hyphen."""
    parts = [f"(?:{'|'.join(map(re.escape, options))})[1-5]?" for options in syllables]
    return _SEPARATOR.join(parts)


@dataclass(frozen=True)
class _Entry:
    place: str
    ending: str  # the name's own generic ending in characters ("" when it has none)
    distinctive: re.Pattern[str]
    syllables: int


@dataclass(frozen=True)
class _Match:
    place: str
    length: int
    own: bool  # the ending written is the name's own, or one of the English words for it


class RomanNames:
    """Finds a courtyard named in Latin script; built from the Chinese names of one org chart."""

    def __init__(self, names: Sequence[tuple[str, str, str]]) -> None:
        """`names`: (distinctive part, ending, canonical place) of every Chinese name and alias."""
        entries: list[_Entry] = []
        endings: set[str] = set(RESIDENTIAL_ENDINGS)
        for distinctive, ending, place in names:
            syllables = readings(distinctive)
            if not syllables or not any(_CJK.match(c) for c in distinctive):
                continue
            pattern = re.compile(r"(?<![a-z])" + syllable_pattern(syllables))
            entries.append(_Entry(place, ending, pattern, len(syllables)))
            if ending:
                endings.add(ending)
        self._entries = tuple(entries)
        # Each ending, in characters or in pinyin, and the Chinese endings it stands for.
        self._ending_of: list[tuple[re.Pattern[str], str]] = []
        for ending in sorted(endings, key=len, reverse=True):
            self._ending_of.append((re.compile(rf"{_SEPARATOR}(?:{syllable_pattern(readings(ending))}|"
                                               rf"{re.escape(ending)})(?![a-z])"), ending))
        words = "|".join(sorted(ENGLISH_ENDINGS, key=len, reverse=True))
        self._english = re.compile(rf"{_SEPARATOR}({words})(?![a-z])")

    def find(self, text: str) -> str | None:
        """The courtyard a normalised text names in Latin script, or None (also when two fit)."""
        view = fold(text[:_LIMIT])
        if not self._entries or _LATIN_RUN.search(view) is None:
            return None
        found: list[_Match] = []
        for entry in self._entries:
            for match in entry.distinctive.finditer(view):
                named = self._named(entry, view, match.start(), match.end())
                if named is not None:
                    found.append(named)
        if not found:
            return None
        longest = max(m.length for m in found)
        best = [m for m in found if m.length == longest]
        places = {m.place for m in best if m.own} or {m.place for m in best}
        return places.pop() if len(places) == 1 else None

    def _named(self, entry: _Entry, view: str, start: int, end: int) -> _Match | None:
        """The match at [start, end) when what follows makes it the courtyard's name."""
        for pattern, ending in self._ending_of:
            written = pattern.match(view, end)
            if written is None:
                continue
            own = ending == entry.ending or (bool(entry.ending) and _same_sound(ending, entry.ending))
            if own or ending in RESIDENTIAL_ENDINGS:
                return _Match(entry.place, written.end() - start, own)
        english = self._english.match(view, end)
        if english is not None and entry.syllables >= 2:  # "an estate" is not 安苑
            meant = ENGLISH_ENDINGS[english[1]]
            return _Match(entry.place, english.end() - start, entry.ending in meant or ANY_ENDING in meant)
        if end < len(view) and view[end].isalpha() and not _CJK.match(view[end]):
            return None  # the syllables are the start of a longer Latin word
        if entry.syllables >= _MIN_SYLLABLES_ALONE or _BUILDING_AFTER.match(view, end):
            return _Match(entry.place, end - start, False)
        return None


@lru_cache(maxsize=1024)
def _same_sound(a: str, b: str) -> bool:
    """Whether two endings can be read alike (苑 and 园 are both yuan)."""
    return bool(re.fullmatch(syllable_pattern(readings(a)), "".join(r[0] for r in readings(b))))
