"""The shipped classifier: character n-gram TF-IDF and a linear model, evaluated with numpy only."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.lexicon import CATEGORIES, KEYWORDS
from nlp.text import model_grams

ARTEFACT = Path(__file__).parent / "data" / "model.npz"
KEYWORD_HALF_LENGTH = 40  # at this many characters the keyword prior counts half


_KEYWORD = re.compile("|".join(sorted({re.escape(w) for ws in KEYWORDS.values() for w in ws}, key=len, reverse=True)))
_KEYWORD_CLASSES: dict[str, list[int]] = {
    word: [i for i, category in enumerate(CATEGORIES) if word in KEYWORDS[category]]
    for words in KEYWORDS.values()
    for word in words
}


def keyword_hits(text: str) -> list[float]:
    """Distinct lexicon words found, per class in CATEGORIES order, damped by length.

    Decisive in a chat message, faint in a long letter.
    """
    hits = [0.0] * len(CATEGORIES)
    for word in set(_KEYWORD.findall(text)):
        for index in _KEYWORD_CLASSES[word]:
            hits[index] += 1.0
    damping = 1.0 / (1.0 + len(text) / KEYWORD_HALF_LENGTH)
    return [hit * damping for hit in hits]


def mentions_keyword(text: str) -> bool:
    """Whether any lexicon word occurs in the text."""
    return _KEYWORD.search(text) is not None


@dataclass(frozen=True)
class _Block:
    """A TF-IDF feature space and the linear weights over it."""

    vocabulary: dict[str | None, int]
    idf: np.ndarray  # (V,) float32
    weights: np.ndarray  # (V, K) float32

    def scores(self, grams: Sequence[str]) -> np.ndarray:
        """Weights · l2-normalised sublinear TF-IDF vector of the n-grams (zeros if none known)."""
        counts = Counter(map(self.vocabulary.get, grams))
        counts.pop(None, None)
        if not counts:
            return np.zeros(self.weights.shape[1], dtype=np.float32)
        index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[index]
        values /= np.sqrt(values @ values)
        scores: np.ndarray = values @ self.weights[index]
        return scores


@dataclass(frozen=True)
class Model:
    """Linear classifier over character n-grams, with a keyword prior and a temperature."""

    classes: tuple[str, ...]
    char_block: _Block
    char_range: tuple[int, int]
    subject_chars: int
    subject_range: tuple[int, int]
    intercept: np.ndarray
    temperature: float
    keyword_bonus: float
    triage_threshold: float

    @classmethod
    def load(cls, path: Path = ARTEFACT) -> Model:
        """Read the artefact written by `python -m nlp.train`."""
        with np.load(path, allow_pickle=False) as data:

            def block(prefix: str) -> _Block:
                terms = bytes(data[f"{prefix}_vocabulary"]).decode("utf-8").split("\n")
                return _Block(
                    vocabulary={term: i for i, term in enumerate(terms)},
                    idf=data[f"{prefix}_idf"].astype(np.float32),
                    weights=data[f"{prefix}_weights"].astype(np.float32),
                )

            low, high = (int(x) for x in data["char_range"])
            subject_low, subject_high = (int(x) for x in data["subject_range"])
            classes = tuple(str(c) for c in data["classes"])
            if classes != CATEGORIES:
                raise ValueError(f"{path} was trained for classes {classes}, expected {CATEGORIES}")
            return cls(
                classes=classes,
                char_block=block("char"),
                char_range=(low, high),
                subject_chars=int(data["subject_chars"]),
                subject_range=(subject_low, subject_high),
                intercept=data["intercept"].astype(np.float32),
                temperature=float(data["temperature"]),
                keyword_bonus=float(data["keyword_bonus"]),
                triage_threshold=float(data["triage_threshold"]),
            )

    def decision(self, text: str) -> np.ndarray:
        """Raw linear scores per class, exactly as the trainer's model computes them."""
        grams = model_grams(text, self.char_range, self.subject_chars, self.subject_range)
        scores: np.ndarray = self.char_block.scores(grams) + self.intercept
        return scores

    def probabilities(self, text: str) -> tuple[float, ...]:
        """Calibrated class probabilities of a normalised text (temperature-scaled softmax)."""
        # Seven numbers: plain floats are faster than numpy's per-call overhead here.
        logits = [
            (score + self.keyword_bonus * hit) / self.temperature
            for score, hit in zip(self.decision(text).tolist(), keyword_hits(text), strict=True)
        ]
        top = max(logits)
        exp = [math.exp(logit - top) for logit in logits]
        total = sum(exp)
        return tuple(e / total for e in exp)


_lock = threading.Lock()
_shared: Model | None = None


def shared_model() -> Model:
    """The shipped model, loaded once per process and read-only afterwards."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = Model.load()
        return _shared
