"""Dense features the chat model reads beside character n-grams: what the rules saw in a message."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nlp.intent import INTENTS, detect_intent, solved_report, still_unsolved
from nlp.lexicon import CATEGORIES
from nlp.model import keyword_hits
from nlp.text import unglossed
from nlp.urgency import HOTLINES, MARKERS, Urgency, scan

_LATIN = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUESTION = re.compile(r"[?？]|吗|么|不$|没$|没得$|哪|啥|咋|怎|如何|多少|几")

FEATURE_NAMES: tuple[str, ...] = (
    "urgent_rule", *(f"hotline_rule_{h}" for h in HOTLINES), "danger_mentioned",
    *(f"marker_{m}" for m in MARKERS), *(f"intent_rule_{i}" for i in INTENTS),
    *(f"keyword_{c}" for c in CATEGORIES), "question_mark", "log_length", "short", "latin_share", "no_cjk",
    "solved_report", "still_unsolved",
)


@dataclass(frozen=True)
class RuleView:
    """What the hand-written rules make of a normalised text."""

    urgency: Urgency | None  # a danger happening now
    intent: str
    danger_mentioned: bool  # a danger described at all, whatever its tense or mood


def rule_view(text: str) -> RuleView:
    """The rules' verdicts on a normalised text."""
    urgency, mentioned = scan(unglossed(text))
    return RuleView(urgency, detect_intent(text, urgent=urgency is not None), mentioned)


def dense_features(text: str, view: RuleView) -> list[float]:
    """The dense feature vector (FEATURE_NAMES order) of a normalised text, given the rules' view."""
    urgency, intent_rule = view.urgency, view.intent
    length = len(text)
    cjk = len(_CJK.findall(text[:2000]))
    latin = len(_LATIN.findall(text[:2000]))
    return [
        float(urgency is not None),
        *(float(urgency is not None and urgency.hotline == h) for h in HOTLINES),
        float(view.danger_mentioned),
        *(float(pattern.search(text) is not None) for pattern in MARKERS.values()),
        *(float(intent_rule == i) for i in INTENTS),
        *keyword_hits(text),
        float(_QUESTION.search(text[-40:]) is not None),
        math.log1p(length) / 5.0,
        float(length <= 12),
        latin / max(cjk + latin, 1),
        float(cjk == 0),
        float(solved_report(text[:200])),
        float(still_unsolved(text[:200])),
    ]

