"""The numpy classifier agrees with a plain reference of the trainer's TF-IDF pipeline."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nlp.model import Model, shared_model
from nlp.text import model_grams, normalize

TEXTS = (
    "",
    "x",
    "路灯坏了",
    "桂花院子3栋那个化粪池又堵起了臭得很",
    "关于a市a3区某小区物业乱收费的问题尊敬的领导：您好！我们小区物业每月多收停车费。",
    "😀😀 abc 123 啊啊啊",
)


def _reference_decision(model: Model, text: str) -> np.ndarray:
    """Sublinear TF-IDF, l2-normalised, times the weights, plus the intercept (sklearn's way)."""
    block = model.char_block
    grams = model_grams(text, model.char_range, model.subject_chars, model.subject_range)
    counts = Counter(i for g in grams if (i := block.vocabulary.get(g)) is not None)
    values = {i: (1.0 + math.log(c)) * float(block.idf[i]) for i, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
    scores = model.intercept.astype(np.float64).copy()
    for i, v in values.items():
        scores += v / norm * block.weights[i]
    return scores


@pytest.mark.parametrize("text", TEXTS)
def test_decision_matches_the_reference(text: str) -> None:
    model = shared_model()
    cleaned = normalize(text)
    assert np.allclose(model.decision(cleaned), _reference_decision(model, cleaned), atol=1e-4)


def test_probabilities_are_a_distribution() -> None:
    model = shared_model()
    probabilities = model.probabilities(normalize("小区门口的路灯坏了好久了没人管"))
    assert len(probabilities) == len(model.classes) and all(0 < p < 1 for p in probabilities)
    assert abs(sum(probabilities) - 1.0) < 1e-6
