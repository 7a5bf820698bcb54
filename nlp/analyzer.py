"""The Analyzer: one object per org chart that turns a message into an Analysis."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import jieba

CATEGORIES: tuple[str, ...] = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
)
OTHER = "其他"
UNCLASSIFIED = "未分类"

_SMALL_TALK = {"你好", "您好", "谢谢", "在吗", "在不在", "测试", "hello", "hi", "嗯", "好的", "ok"}


@dataclass(frozen=True)
class Place:
    """A courtyard as the analyzer knows it: canonical name, aliases, optional coordinates."""

    name: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Analysis:
    """What the analyzer understood of one message."""

    tokens: tuple[str, ...]
    category: str
    confidence: float
    urgent: bool
    urgent_reason: str | None
    hotline: str | None
    courtyard: str | None

    @property
    def is_small_talk(self) -> bool:
        return self.category == OTHER


class Analyzer:
    """Segments with its own jieba tokenizer and locates courtyards by name or alias."""

    def __init__(self, places: Sequence[Place] = (), extra_words: Sequence[str] = ()) -> None:
        self._places = tuple(places)
        self._names: dict[str, str] = {}
        for place in self._places:
            for name in (place.name, *place.aliases):
                self._names[name] = place.name
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        for word in (*self._names, *extra_words):
            self._tokenizer.add_word(word, freq=100_000)

    def tokens(self, text: str) -> tuple[str, ...]:
        with self._lock:  # jieba's lazy initialisation is not thread-safe
            return tuple(t for t in self._tokenizer.lcut(text) if t.strip())

    def locate(self, text: str) -> str | None:
        """The courtyard named in the text; the longest matching name or alias wins."""
        best: tuple[int, str] | None = None
        for name, canonical in self._names.items():
            if name and name in text and (best is None or len(name) > best[0]):
                best = (len(name), canonical)
        return best[1] if best else None

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

    def is_duplicate(self, new_text: str, old_text: str) -> bool:
        """Whether two complaints are about the same thing (exact text only, for now)."""
        return new_text.strip() == old_text.strip()

    def analyze(self, text: str) -> Analysis:
        cleaned = text.strip()
        small_talk = cleaned.lower().strip("!！。.?？~ ") in _SMALL_TALK
        return Analysis(
            tokens=self.tokens(cleaned),
            category=OTHER if small_talk or not cleaned else UNCLASSIFIED,
            confidence=0.0,
            urgent=False,
            urgent_reason=None,
            hotline=None,
            courtyard=self.locate(cleaned),
        )


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
