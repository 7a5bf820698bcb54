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
from dataclasses import dataclass
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

    def probabilities(self, index: np.ndarray, values: np.ndarray, dense: np.ndarray) -> dict[str, float]:
        """Softmax of the head's scores for one message's sparse n-gram vector and dense features."""
        scores = (values @ self.weights[index] if index.size else 0.0) + dense @ self.dense + self.intercept
        logits = scores.tolist()
        top = max(logits)
        exp = [math.exp(s - top) for s in logits]
        total = sum(exp)
        return {c: e / total for c, e in zip(self.classes, exp, strict=True)}


@dataclass(frozen=True)
class ChatModel:
    """Character n-grams (`char_range`) of a normalised message, TF-IDF weighted, and the heads."""

    vocabulary: dict[str | None, int]
    idf: np.ndarray
    char_range: tuple[int, int]
    heads: dict[str, Head]
    settings: dict[str, float]  # thresholds and blend weights chosen by cross-validation

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
        features = np.asarray(dense, dtype=np.float32)
        return {name: head.probabilities(index, values, features) for name, head in self.heads.items()}


_lock = threading.Lock()
_shared: ChatModel | None = None


def shared_chat_model() -> ChatModel:
    """The shipped chat model, loaded once per process and read-only afterwards."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = ChatModel.load()
        return _shared
