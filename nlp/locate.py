"""Finding the courtyard a message is about: by name or alias in the text, or by coordinates."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from nlp.romanize import RomanNames, readings
from nlp.text import has_cjk, normalize

# Last characters of Chinese residential place names. A fuzzy match must keep this suffix, so
# an ordinary word that happens to share two characters with a name is not taken for it.
_PLACE_SUFFIXES = frozenset("苑院园区里坊居村庭湾巷街楼城府邸舍屯寨组社庄堡坝院子")
# Generic endings of a residential name. A one-character typo must fall in the part before them,
# so 东风社区 (the community) or 银杏园 is not taken for 东风小区 or 银杏院.
_PLACE_TYPES = sorted(
    ("小区", "社区", "花园", "家园", "新村", "院子", "大院", "宿舍", "公寓", "新苑", "新城", "山庄", "苑", "院",
     "园", "区", "里", "居", "村", "庭", "湾", "城", "府", "邸", "舍", "寨", "庄", "坝"), key=len, reverse=True)
# Right after a short name (one with no place ending: 东风, 老粮站), these make it another place
# named after the same word: 东风路, 东风小学, 东风社区.
_OTHER_PLACE = re.compile(
    r"路|街|大道|巷|桥|小学|中学|大学|学校|幼儿园|医院|卫生院|诊所|社区|村|镇|乡|公园|广场|市场|超市|车站|站|"
    r"厂|公司|酒店|宾馆|饭店|派出所|加油站|银行|商场|景区"
)
_LATIN_WORD = re.compile(r"[a-z]{2}")
_BUILDING_NUMBER = r"(?:\d{1,3}|[一二两三四五六七八九十]{1,3})(?:栋|幢|号楼|单元)"
_FUZZY_WINDOW = 300  # names come early in a message; bounds the work on a 20 000-character text


@dataclass(frozen=True)
class Place:
    """A courtyard as the analyzer knows it: canonical name, aliases, optional coordinates."""

    name: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


class Gazetteer:
    """The courtyards of one org chart, looked up by name, alias or position."""

    def __init__(self, places: Sequence[Place]) -> None:
        self._places = tuple(places)
        self._canonical: dict[str, str] = {}
        for place in self._places:
            for name in (place.name, *place.aliases):
                key = normalize(name)  # matched in either script, as the text is
                if key:
                    self._canonical.setdefault(key, place.name)
        self._roman: RomanNames | None = None  # built when the first Latin text comes (pypinyin loads then)
        self._roman_lock = threading.Lock()
        self._by_suffix: dict[str, list[str]] = {}
        # Distinctive parts of two or more characters (桂花 of 桂花苑), for "桂花3栋"; one that two
        # courtyards share names neither.
        owners: dict[str, set[str]] = {}
        for name, owner in self._canonical.items():
            part = _split(name)[0]
            if len(part) >= 2 and part != name and has_cjk(part):
                owners.setdefault(part, set()).add(owner)
        self._parts = {part: next(iter(places)) for part, places in owners.items()
                       if len(places) == 1 and part not in self._canonical}
        self._parts_pattern = (re.compile("(" + "|".join(map(re.escape, sorted(self._parts, key=len, reverse=True)))
                                          + rf")(?=的?{_BUILDING_NUMBER})") if self._parts else None)
        for name in self._canonical:
            if len(name) >= 3 and name[-1] in _PLACE_SUFFIXES:
                self._by_suffix.setdefault(name[-1], []).append(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name and alias, normalised like the text they are found in."""
        return tuple(self._canonical)

    def locate(self, text: str) -> str | None:
        """Canonical name of the courtyard named in the (normalised) text; longest match wins.

        Without an exact match, a name of three or more characters with one character wrong
        (not its place suffix) is accepted, unless the misspelt span is itself a known name.
        """
        best = max((n for n in self._canonical if n in text and self._named(n, text)), key=len, default=None)
        if best is not None:
            return self._canonical[best]
        if self._parts_pattern is not None:
            part = self._parts_pattern.search(text)
            if part is not None:
                return self._parts[part[1]]
        if _LATIN_WORD.search(text):
            found = self._romanized().find(text)
            if found is not None:
                return found
        return self._fuzzy(text[:_FUZZY_WINDOW]) or self._misheard_ending(text[:_FUZZY_WINDOW])

    def _misheard_ending(self, text: str) -> str | None:
        """The place whose name (3+ characters) is in the text with its last character replaced by
        one that sounds the same and is no place ending itself (小去 for 小区, 宿社 for 宿舍, 花圆 for
        花园: what a pinyin keyboard offers); None when none or several places fit."""
        found: set[str] = set()
        for name, place in self._canonical.items():
            if len(name) < 3 or not has_cjk(name[-1]):
                continue
            start = text.find(name[:-1])
            while start >= 0:
                typed = text[start + len(name) - 1 : start + len(name)]
                if (typed and typed != name[-1] and has_cjk(typed) and typed not in _PLACE_TYPES
                        and set(readings(typed)[0]) & set(readings(name[-1])[0])):
                    found.add(place)
                start = text.find(name[:-1], start + 1)
        return found.pop() if len(found) == 1 else None

    def _romanized(self) -> RomanNames:
        """Every Chinese name and alias as residents write it in pinyin or English (built once)."""
        with self._roman_lock:
            if self._roman is None:
                self._roman = RomanNames([(*_split(name), place) for name, place in self._canonical.items()])
            return self._roman

    @staticmethod
    def _named(name: str, text: str) -> bool:
        """Whether the name occurs in the text as itself, not as the start of another place's name
        (a short name right before 路, 小学, 社区 …)."""
        if name[-1] in _PLACE_SUFFIXES:
            return True
        return any(_OTHER_PLACE.match(text, m.end()) is None for m in re.finditer(re.escape(name), text))

    def _fuzzy(self, text: str) -> str | None:
        """The place whose name of 3+ characters is in the text with one character of its distinctive
        part wrong; None when no name, or more than one place, fits equally well."""
        found: dict[str, int] = {}
        for end, char in enumerate(text, start=1):
            for name in self._by_suffix.get(char, ()):
                start = end - len(name)
                if start < 0:
                    continue
                window = text[start:end]
                wrong = [i for i, (a, b) in enumerate(zip(window, name, strict=True)) if a != b]
                if (len(wrong) == 1 and wrong[0] < _distinctive(name) and has_cjk(window[wrong[0]])
                        and window not in self._canonical):
                    place = self._canonical[name]
                    found[place] = max(found.get(place, 0), len(name))
        if not found:
            return None
        longest = max(found.values())
        places = [place for place, length in found.items() if length == longest]
        return places[0] if len(places) == 1 else None

    def nearest(self, lat: float, lon: float, max_km: float = 1.0) -> str | None:
        """The courtyard with coordinates nearest to a point, if within max_km."""
        best: tuple[float, str] | None = None
        for place in self._places:
            if place.lat is None or place.lon is None:
                continue
            km = _haversine_km(lat, lon, place.lat, place.lon)
            if km <= max_km and (best is None or km < best[0]):
                best = (km, place.name)
        return best[1] if best else None


def _split(name: str) -> tuple[str, str]:
    """A name's distinctive part and its generic ending (桂花苑 → 桂花, 苑; 桂花苑二期 → itself, "")."""
    ending = next((t for t in _PLACE_TYPES if name.endswith(t) and len(name) > len(t)), "")
    return name[: len(name) - len(ending)], ending


def _distinctive(name: str) -> int:
    """How many leading characters of a place name are its own rather than a generic ending."""
    ending = next((t for t in _PLACE_TYPES if name.endswith(t) and len(name) > len(t) + 1), name[-1])
    return len(name) - len(ending)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
