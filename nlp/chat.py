"""The chat model: heads for category, intent, urgency and hotline learnt from colloquial messages.

One character n-gram TF-IDF space (fitted on the colloquial training corpus) feeds several linear
heads; each head also reads a few dense features from the hand-written situation and intent rules
(nlp.features), so the rules are evidence the model weighs rather than the last word.
Evaluated with numpy only; written by `python -m nlp.train`.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nlp.text import char_ngrams

CHAT_ARTEFACT = Path(__file__).parent / "data" / "chat.npz"
HEADS: tuple[str, ...] = ("category", "intent", "urgent", "hotline")


@dataclass(frozen=True)
class Head:
    """One linear classifier over the shared n-gram space plus the dense features."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (V, K) float32
    dense: np.ndarray  # (D, K) float32
    intercept: np.ndarray  # (K,) float32


def _softmax(classes: Sequence[str], scores: Sequence[float]) -> dict[str, float]:
    top = max(scores)
    exp = [math.exp(s - top) for s in scores]
    total = sum(exp)
    return {c: e / total for c, e in zip(classes, exp, strict=True)}


@dataclass(frozen=True)
class ChatModel:
    """Character n-grams (`char_range`) of a normalised message, TF-IDF weighted, and the heads."""

    vocabulary: dict[str | None, int]
    idf: np.ndarray
    char_range: tuple[int, int]
    heads: dict[str, Head]
    settings: dict[str, float]  # thresholds and blend weights chosen by cross-validation

    def __post_init__(self) -> None:
        # Every head's weights side by side: one gather and one product per message, not one per head.
        heads = [self.heads[name] for name in HEADS]
        stacked = np.hstack([h.weights for h in heads])
        object.__setattr__(self, "_weights", stacked)
        object.__setattr__(self, "_dense", np.vstack([h.dense.T for h in heads]).T.copy())
        object.__setattr__(self, "_intercept", np.concatenate([h.intercept for h in heads]))
        bounds, start = [], 0
        for name, head in zip(HEADS, heads, strict=True):
            bounds.append((start, start + len(head.classes)))
            # Each head's weights become a view of the stacked matrix: the model is held once, not twice.
            self.heads[name] = replace(head, weights=stacked[:, start : start + len(head.classes)])
            start += len(head.classes)
        object.__setattr__(self, "_bounds", tuple(bounds))

    @classmethod
    def load(cls, path: Path = CHAT_ARTEFACT) -> ChatModel:
        """Read the artefact written by `python -m nlp.train`."""
        with np.load(path, allow_pickle=False) as data:
            terms = bytes(data["vocabulary"]).decode("utf-8").split("\n")
            heads = {}
            for name in HEADS:
                heads[name] = Head(
                    classes=tuple(str(c) for c in data[f"{name}_classes"]),
                    weights=data[f"{name}_weights"].astype(np.float32),
                    dense=data[f"{name}_dense"].astype(np.float32),
                    intercept=data[f"{name}_intercept"].astype(np.float32),
                )
            names = [str(n) for n in data["setting_names"]]
            settings = dict(zip(names, (float(v) for v in data["setting_values"]), strict=True))
            low, high = (int(x) for x in data["char_range"])
            return cls({t: i for i, t in enumerate(terms)}, data["idf"].astype(np.float32), (low, high), heads,
                       settings)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and l2-normalised sublinear TF-IDF values of the text's known n-grams."""
        counts = Counter(map(self.vocabulary.get, char_ngrams(text, *self.char_range)))
        counts.pop(None, None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[index]
        values /= np.sqrt(values @ values)
        return index, values

    def predict(self, text: str, dense: Sequence[float]) -> dict[str, dict[str, float]]:
        """Every head's class probabilities for one normalised text and its dense features."""
        index, values = self.vector(text)
        scores = np.asarray(dense, dtype=np.float32) @ self._dense + self._intercept  # type: ignore[attr-defined]
        if index.size:
            scores += values @ self._weights[index]  # type: ignore[attr-defined]
        flat = scores.tolist()
        return {name: _softmax(self.heads[name].classes, flat[low:high])
                for name, (low, high) in zip(HEADS, self._bounds, strict=True)}  # type: ignore[attr-defined]


_lock = threading.Lock()
_shared: ChatModel | None = None


def shared_chat_model() -> ChatModel:
    """The shipped chat model, loaded once per process and read-only afterwards."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = ChatModel.load()
        return _shared
