"""The Analyzer: one object per org chart that turns a message into an Analysis."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from math import inf

from nlp.building import building_number, find_building
from nlp.chat import shared_chat_model
from nlp.duplicate import problem_key, same_problem, signature
from nlp.features import RuleView, dense_features, rule_view
from nlp.intent import COMPLAINT, INTENTS, PRELUDE, PROGRESS, QUESTION, SMALLTALK, still_broken, thanks_but_still
from nlp.lexicon import CATEGORIES
from nlp.locate import Gazetteer, Place
from nlp.model import shared_model
from nlp.segment import Segmenter
from nlp.text import gloss, normalize, unglossed
from nlp.urgency import HOTLINE_TEXT, HOTLINES, Urgency

OTHER = "其他"
LABELS: tuple[str, ...] = (*CATEGORIES, OTHER)

__all__ = ["CATEGORIES", "INTENTS", "LABELS", "OTHER", "Analysis", "Analyzer", "Place", "combine", "settle"]

# Longer than this, a message is judged for urgency sentence by sentence (a letter, not a chat line).
SENTENCE_JUDGED = 120
_SENTENCE = re.compile(r"[^。！？；.!?;\n]+[。！？；.!?;\n]*")
# Why a message is urgent when the model, not a rule, saw the danger.
_REASONS = {
    "119": "疑似火情、有人被困或落水", "120": "有人受伤、急病或中毒", "110": "有人身安全危险或有人走失",
    "122": "交通事故", "95598": "电线断落或漏电", "燃气": "疑似燃气泄漏", "供水": "水管爆裂或水淹进屋",
}
_NOT_A_PROBLEM = (SMALLTALK, PROGRESS, PRELUDE)
_WORDS = re.compile(r"[\u3400-\u9fffa-z]")  # a Chinese character or a Latin letter (the text is lower-cased)
_UNITS = re.compile(r"[\u3400-\u9fff]|[a-z]+|[0-9]+")


def reading_length(cleaned: str) -> int:
    """How long a message reads: its Chinese characters, Latin words and numbers (without the gloss)."""
    return len(_UNITS.findall(unglossed(cleaned)))


def combine(chat: Sequence[float], formal: Sequence[float] | None, length: float, intent: str, urgent: bool,
            blend: float, half_length: float) -> tuple[str, float]:
    """The category and its confidence from the chat head (LABELS order) and the formal model
    (CATEGORIES order; None: not asked, the chat head alone decides): the chat head weighs `blend`
    on a short message, half that at `half_length` characters. Small talk, progress questions and
    preludes are 其他; an urgent message never is."""
    if intent in _NOT_A_PROBLEM and not urgent:
        return OTHER, 1.0
    weight = 1.0 if formal is None else blend / (1.0 + length / half_length)
    formal_labels = (*(formal if formal is not None else [0.0] * len(CATEGORIES)), 0.0)
    mixed = [weight * c + (1.0 - weight) * f for c, f in zip(chat, formal_labels, strict=True)]
    if urgent:
        mixed[-1] = 0.0
    total = sum(mixed) or 1.0
    best = max(range(len(mixed)), key=mixed.__getitem__)
    return LABELS[best], mixed[best] / total


def settle(cleaned: str, intents: Mapping[str, float], chat: Sequence[float], formal: Sequence[float] | None,
           urgent: bool, settings: Mapping[str, float]) -> tuple[str, str, float]:
    """Intent, category and confidence from the intent head, the category heads and urgency. Small talk,
    progress and preludes are read only in chat-length messages (under `chat_intent_below` characters
    and Latin words): a longer one is a letter, which is a complaint or a question."""
    intent = COMPLAINT if urgent else max(intents, key=intents.__getitem__)
    if intent == COMPLAINT and not urgent and intents[COMPLAINT] < settings.get("complaint_bar", 0.0):
        # An unsure complaint that the head also reads as small talk, progress …: the runner-up decides.
        intent = max((i for i in intents if i != COMPLAINT), key=intents.__getitem__)
    if intent in _NOT_A_PROBLEM and not urgent and reading_length(cleaned) >= settings.get("chat_intent_below", inf):
        # A letter is no chat line: its thanks, greeting or chasing words come with a problem to file.
        intent = max((COMPLAINT, QUESTION), key=intents.__getitem__)
    if (intent == SMALLTALK and thanks_but_still(cleaned)) or (intent == QUESTION and still_broken(cleaned)):
        intent = COMPLAINT  # "谢谢 但是水还是没来", "灯还是不亮": a problem still there asks for a fix
    category, confidence = combine(chat, formal, len(cleaned), intent, urgent, settings["blend"],
                                   settings["half_length"])
    if category == OTHER and intent == COMPLAINT:
        # The intent head reads a complaint: it is filed under its likeliest department (and goes to
        # triage when that is unsure), never dropped as chat.
        category, confidence = combine(chat, formal, len(cleaned), intent, True, settings["blend"],
                                       settings["half_length"])
    elif category != OTHER and intent in _NOT_A_PROBLEM:
        category, confidence = OTHER, 1.0
    return intent, category, confidence


@dataclass(frozen=True)
class Analysis:
    """What the analyzer understood of one message."""

    category: str
    confidence: float
    urgent: bool
    urgent_reason: str | None
    hotline: str | None  # for an urgent message, one of HOTLINES: 119 120 110 122 95598 燃气 供水
    courtyard: str | None
    needs_triage: bool = False  # a ticket whose category a person should check
    intent: str = COMPLAINT  # one of INTENTS
    building: str | None = None  # normalised building/unit/door: 3栋, 3栋2单元, 5栋2单元301, 2单元
    hotline_text: str | None = None  # what the reply tells the resident to call, e.g. 燃气公司抢修电话（或119）
    cut: Callable[[], tuple[str, ...]] = field(default=tuple, repr=False, compare=False)

    @cached_property
    def tokens(self) -> tuple[str, ...]:
        """The words of the message, org-chart names kept whole; cut when first asked for, since
        understanding a message does not need them."""
        return self.cut()

    def as_dict(self) -> dict[str, object]:
        """The analysis as plain data (what `courtyard classify` prints), tokens first."""
        return {"tokens": list(self.tokens), **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "cut"}}

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

    def __init__(self, places: Sequence[Place] = (), extra_words: Sequence[str] = (),
                 hotline_text: Mapping[str, str] | None = None) -> None:
        """`hotline_text` overrides what a reply says to call per hotline code (e.g. the local gas
        company's number for 燃气); codes it leaves out keep HOTLINE_TEXT's wording."""
        unknown = set(hotline_text or {}) - set(HOTLINES)
        if unknown:
            raise ValueError(f"unknown hotline codes {sorted(unknown)}; known: {', '.join(HOTLINES)}")
        self._hotline_text = {**HOTLINE_TEXT, **(hotline_text or {})}
        self._places = Gazetteer(places)
        self._segmenter = Segmenter((*self._places.names, *map(normalize, extra_words)))
        # Duplicate checks compare one new message with several earlier ones, again and again.
        self._category_of = lru_cache(maxsize=4096)(self._category)

    def tokens(self, text: str) -> tuple[str, ...]:
        """The words of a message, org-chart names kept whole."""
        return tuple(self._segmenter.cut(normalize(text)))

    def locate(self, text: str) -> str | None:
        """The courtyard named in the text (name, alias, alias + 栋/单元/号; longest wins)."""
        return self._places.locate(normalize(text))

    def nearest(self, lat: float, lon: float, max_km: float = 1.0) -> str | None:
        """The courtyard with coordinates nearest to a point, if within max_km."""
        return self._places.nearest(lat, lon, max_km)

    def is_duplicate(self, new_text: str, old_text: str, *, old_category: str | None = None) -> bool:
        """Whether two complaints (of the same courtyard) are about the same problem.

        Conservative: same category, no different building numbers, the same thing named
        (路灯, 化粪池 …) and similar wording; otherwise False. old_category: the category of
        old_text as classified before (a ticket's stored duplicate_key), so it is not classified again.
        """
        new, old = normalize(new_text), normalize(old_text)
        if new == old:
            return bool(new) and self._category_of(new) != OTHER
        new_category = self._category_of(new)
        old_category = old_category if old_category is not None else self._category_of(old)
        if OTHER in (new_category, old_category):
            return False
        return same_problem(signature(new, new_category), signature(old, old_category))

    def duplicate_key(self, text: str) -> str:
        """What two texts must share for is_duplicate to hold between them; "" when the text can be
        nobody's duplicate. Stored beside a ticket, it finds the candidates by an index."""
        return problem_key(normalize(text), self._category_of, OTHER)

    def analyze(self, text: str) -> Analysis:
        """Everything about one message; never raises on odd input."""
        cleaned = normalize(text)
        urgency, intent, category, confidence = self._understand(gloss(cleaned))
        return Analysis(
            category=category,
            confidence=confidence,
            urgent=urgency is not None,
            urgent_reason=urgency.reason if urgency else None,
            hotline=urgency.hotline if urgency else None,
            hotline_text=self._hotline_text[urgency.hotline] if urgency else None,
            courtyard=self._places.locate(cleaned),
            needs_triage=category != OTHER and confidence < shared_model().triage_threshold,
            intent=intent,
            building=find_building(cleaned),
            cut=lambda: tuple(self._segmenter.cut(cleaned)),
        )

    def _category(self, cleaned: str) -> str:
        return self._understand(gloss(cleaned))[2]

    def _understand(self, cleaned: str) -> tuple[Urgency | None, str, str, float]:
        """Urgency, intent, category and confidence of a normalised, glossed message."""
        if _WORDS.search(cleaned) is None:  # digits, emoji, punctuation only: nothing a department could act on
            return None, SMALLTALK, OTHER, 1.0
        chat = shared_chat_model()
        view = rule_view(cleaned)
        heads = chat.predict(cleaned, dense_features(cleaned, view))
        urgency = self._urgency(cleaned, heads, view)
        chat_category = [heads["category"][label] for label in LABELS]
        formal = shared_model().probabilities(cleaned) if len(cleaned) >= chat.settings["chat_alone_below"] else None
        intent, category, confidence = settle(cleaned, heads["intent"], chat_category, formal, urgency is not None,
                                              chat.settings)
        return urgency, intent, category, confidence

    def _urgency(self, cleaned: str, heads: dict[str, dict[str, float]], view: RuleView,
                 by_sentence: bool = True) -> Urgency | None:
        """Danger now: the chat model's verdict on the message, or for a long one on each sentence
        that describes a danger, with the rules' situation as evidence."""
        chat = shared_chat_model()
        threshold = chat.settings["urgent_threshold"]
        if by_sentence and len(cleaned) > SENTENCE_JUDGED:
            for sentence in _SENTENCE.findall(cleaned):
                sentence_view = rule_view(sentence)
                if sentence_view.danger_mentioned:
                    sentence_heads = chat.predict(sentence, dense_features(sentence, sentence_view))
                    found = self._urgency(sentence, sentence_heads, sentence_view, by_sentence=False)
                    if found:
                        return found
            return None
        rule = view.urgency
        if rule is not None:  # the rules saw a danger now: the model has a lower bar to clear
            threshold = min(threshold, chat.settings["urgent_rule_threshold"])
        elif view.danger_mentioned:  # a danger told as past, feared, repeated or standing: a higher one
            threshold = max(threshold, chat.settings.get("urgent_unreal_threshold", threshold))
        if heads["urgent"]["1"] < threshold:
            return None
        hotline = max(heads["hotline"], key=heads["hotline"].__getitem__)
        if rule is not None and rule.hotline == hotline:
            return rule
        return Urgency(_REASONS[hotline], hotline)
