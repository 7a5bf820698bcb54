"""The Analyzer: one object per org chart that turns a message into an Analysis."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nlp.building import building_number, find_building
from nlp.duplicate import same_problem, signature
from nlp.intent import COMPLAINT, INTENTS, QUESTION, SMALLTALK, detect_intent
from nlp.lexicon import CATEGORIES, SMALL_TALK
from nlp.locate import Gazetteer, Place
from nlp.model import mentions_keyword, shared_model
from nlp.segment import Segmenter
from nlp.text import has_cjk, normalize
from nlp.urgency import detect

OTHER = "其他"

__all__ = ["CATEGORIES", "INTENTS", "OTHER", "Analysis", "Analyzer", "Place"]

_SMALL_TALK = re.compile("|".join(sorted(map(re.escape, SMALL_TALK), key=len, reverse=True)))
_NOT_CJK = re.compile(r"[^\u3400-\u9fff]")
# Words that make even a short message sound like a complaint rather than chat.
_COMPLAINT = re.compile(
    r"坏|堵|臭|吵|脏|乱|漏|垮|烂|破|裂|淹|没人|不|没|莫得|太|差|贵|难|慢|投诉|反映|举报|问题|麻烦"
    r"|危险|怎么办|咋办|咋个|管|修|收费|要求|希望|建议|能不能|可不可以|帮忙|救|快|骗|欠|涨"
)
_SHORT = 8  # a residue this short without a complaint word or a keyword is chat ...
_CHAT_CONFIDENCE = 0.9  # ... unless the model is this sure (it is rarely unsure about a short text)


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
    needs_triage: bool = False  # a ticket whose category a person should check
    intent: str = COMPLAINT  # one of INTENTS
    building: str | None = None  # normalised building/unit/door: 3栋, 3栋2单元, 5栋2单元301, 2单元

    @property
    def building_number(self) -> str | None:
        """The building's number in Arabic digits, for telling two reports apart; None if not named."""
        return building_number(self.building)

    @property
    def is_small_talk(self) -> bool:
        """Not a new problem to file: small talk, a prelude, a progress question, or a question
        with no department's topic. An urgent message never is."""
        if self.urgent:
            return False
        return self.intent not in (COMPLAINT, QUESTION) or self.category == OTHER


class Analyzer:
    """Segments, classifies, locates and flags one message; cheap to build, safe across threads.

    The jieba dictionary and the model are loaded once per process and shared read-only by every
    Analyzer; an Analyzer only adds its org chart's names.
    """

    def __init__(self, places: Sequence[Place] = (), extra_words: Sequence[str] = ()) -> None:
        self._places = Gazetteer(places)
        self._segmenter = Segmenter((*self._places.names, *extra_words))

    def tokens(self, text: str) -> tuple[str, ...]:
        """The words of a message, org-chart names kept whole."""
        return tuple(self._segmenter.cut(normalize(text)))

    def locate(self, text: str) -> str | None:
        """The courtyard named in the text (name, alias, alias + 栋/单元/号; longest wins)."""
        return self._places.locate(normalize(text))

    def nearest(self, lat: float, lon: float, max_km: float = 1.0) -> str | None:
        """The courtyard with coordinates nearest to a point, if within max_km."""
        return self._places.nearest(lat, lon, max_km)

    def is_duplicate(self, new_text: str, old_text: str) -> bool:
        """Whether two complaints (of the same courtyard) are about the same problem.

        Conservative: same category, no different building numbers, the same thing named
        (路灯, 化粪池 …) and similar wording; otherwise False.
        """
        new, old = normalize(new_text), normalize(old_text)
        if new == old:
            return bool(new) and self._category(new) != OTHER
        new_category, old_category = self._category(new), self._category(old)
        if OTHER in (new_category, old_category):
            return False
        return same_problem(signature(new, new_category), signature(old, old_category))

    def analyze(self, text: str) -> Analysis:
        """Everything about one message; never raises on odd input."""
        cleaned = normalize(text)
        tokens = tuple(self._segmenter.cut(cleaned))
        urgency = detect(cleaned)
        intent = detect_intent(cleaned, urgent=urgency is not None)
        if intent in (COMPLAINT, QUESTION):
            category, confidence = self._classify(cleaned, urgent=urgency is not None)
        else:
            category, confidence = OTHER, 1.0
        if category == OTHER and intent == COMPLAINT:
            intent = SMALLTALK
        return Analysis(
            tokens=tokens,
            category=category,
            confidence=confidence,
            urgent=urgency is not None,
            urgent_reason=urgency.reason if urgency else None,
            hotline=urgency.hotline if urgency else None,
            courtyard=self._places.locate(cleaned),
            needs_triage=category != OTHER and confidence < shared_model().triage_threshold,
            intent=intent,
            building=find_building(cleaned),
        )

    def _category(self, cleaned: str) -> str:
        return self._classify(cleaned, urgent=detect(cleaned) is not None)[0]

    def _classify(self, cleaned: str, urgent: bool) -> tuple[str, float]:
        residue = _NOT_CJK.sub("", _SMALL_TALK.sub("", cleaned))
        if not urgent and (not has_cjk(cleaned) or not residue):
            return OTHER, 1.0
        model = shared_model()
        probabilities = model.probabilities(cleaned)
        confidence = max(probabilities)
        best = probabilities.index(confidence)
        chat_like = (
            not urgent
            and len(residue) <= _SHORT
            and _COMPLAINT.search(residue) is None
            and not mentions_keyword(cleaned)
        )
        if chat_like and confidence < _CHAT_CONFIDENCE:
            return OTHER, 1.0 - confidence
        return model.classes[best], confidence
