"""Dense features the chat model reads beside character n-grams: what the rules saw in a message."""

from __future__ import annotations

import math
import re

from nlp.intent import INTENTS, detect_intent
from nlp.lexicon import CATEGORIES
from nlp.model import keyword_hits
from nlp.urgency import HOTLINES, MARKERS, Urgency, detect, mentions_danger

_LATIN = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUESTION = re.compile(r"[?？]|吗|么|不$|没$|没得$|哪|啥|咋|怎|如何|多少|几")

FEATURE_NAMES: tuple[str, ...] = (
    "urgent_rule", *(f"hotline_rule_{h}" for h in HOTLINES), "danger_mentioned",
    *(f"marker_{m}" for m in MARKERS), *(f"intent_rule_{i}" for i in INTENTS),
    *(f"keyword_{c}" for c in CATEGORIES), "question_mark", "log_length", "short", "latin_share", "no_cjk",
)


def dense_features(text: str, urgency: Urgency | None, intent_rule: str) -> list[float]:
    """The dense feature vector (FEATURE_NAMES order) of a normalised text, given the rules' verdicts."""
    length = len(text)
    cjk = len(_CJK.findall(text[:2000]))
    latin = len(_LATIN.findall(text[:2000]))
    return [
        float(urgency is not None),
        *(float(urgency is not None and urgency.hotline == h) for h in HOTLINES),
        float(mentions_danger(text)),
        *(float(pattern.search(text) is not None) for pattern in MARKERS.values()),
        *(float(intent_rule == i) for i in INTENTS),
        *keyword_hits(text),
        float(_QUESTION.search(text[-40:]) is not None),
        math.log1p(length) / 5.0,
        float(length <= 12),
        latin / max(cjk + latin, 1),
        float(cjk == 0),
    ]


def rule_view(text: str) -> tuple[Urgency | None, str]:
    """The rules' verdicts on a normalised text: the situation happening now, and the intent."""
    urgency = detect(text)
    return urgency, detect_intent(text, urgent=urgency is not None)
