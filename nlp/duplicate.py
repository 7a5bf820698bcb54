"""Whether two complaints are about the same problem: conservative, cheap, explainable."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from nlp.lexicon import KEYWORDS

# Different words residents use for the same state, folded before comparing.
_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("不亮", "坏"),
    ("熄了", "坏"),
    ("黑起", "坏"),
    ("烂了", "坏"),
    ("坏掉", "坏"),
    ("莫得", "没有"),
    ("堵起", "堵"),
    ("堵死", "堵"),
    ("堵住", "堵"),
    ("屋头", "家"),
    ("屋里", "家"),
    ("臭得很", "臭"),
    ("吵得很", "吵"),
    ("大门口", "门口"),
    ("院坝", "院子"),
    ("娃儿", "孩子"),
)
# Characters that carry no content in a complaint; dropped before building bigrams.
_FILLER = re.compile(r"[的了是在我们你他她它这那个就都也还又很得嘛哦呢吧啊呀咋么喊说有人好几天\W\d]")
_BUILDING = re.compile(r"(\d+)(?:栋|幢|号楼|单元|楼)")
_OBJECTS: tuple[str, ...] = tuple(sorted({w for words in KEYWORDS.values() for w in words}))

SAME_TEXT_SIMILARITY = 0.6  # bigram cosine above which two texts are one problem
SAME_OBJECT_SIMILARITY = 0.3  # lower bar when both name the same thing (路灯, 化粪池 …)


@dataclass(frozen=True)
class Signature:
    """What duplicate detection compares: category, things named, building numbers, bigrams."""

    category: str
    objects: frozenset[str]
    buildings: frozenset[str]
    bigrams: Counter[str]


def signature(text: str, category: str) -> Signature:
    """The comparable parts of one normalised message."""
    folded = text
    for word, canonical in _SYNONYMS:
        folded = folded.replace(word, canonical)
    objects = frozenset(w for w in _OBJECTS if w in text)
    content = _FILLER.sub("", folded)
    bigrams = Counter(content[i : i + 2] for i in range(len(content) - 1))
    return Signature(category, objects, frozenset(_BUILDING.findall(text)), bigrams)


def problem_key(text: str, category_of: Callable[[str], str], other: str) -> str:
    """The key two normalised texts share whenever same_problem can hold between them: the category
    (same_problem requires the same one, and never `other`); "" for a text nobody's duplicate can match."""
    if not text:
        return ""
    category = category_of(text)
    return "" if category == other else category


def cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two bag-of-bigram vectors."""
    dot = sum(count * b[gram] for gram, count in a.items() if gram in b)
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return dot / norm if norm else 0.0


def same_problem(new: Signature, old: Signature) -> bool:
    """Conservative: merging two different problems is worse than missing a duplicate."""
    if new.category != old.category or not new.bigrams or not old.bigrams:
        return False
    if new.buildings and old.buildings and not new.buildings & old.buildings:
        return False
    shared_object = any(a in b or b in a for a in new.objects for b in old.objects)
    if new.objects and old.objects and not shared_object:
        return False
    similarity = cosine(new.bigrams, old.bigrams)
    if shared_object:
        return similarity >= SAME_OBJECT_SIMILARITY
    return similarity >= SAME_TEXT_SIMILARITY
