"""The trainer and the shipped runtime compute the same scores: what `python -m nlp.train` fits is
what `nlp.model.Model` answers, subject n-grams and the feature cut included."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from nlp.model import Model
from nlp.segment import Segmenter
from nlp.text import normalize
from nlp.train import CHOSEN, COLLOQUIAL_TRAIN, Docs, fit, load_raw, save

TEXTS = ("桂花院子3栋那个化粪池又堵起了臭得很", "学校门口天天堵车", "", "x", "😀😀 abc 123", "医院挂号排队排到中午")


@pytest.fixture(scope="module")
def sentences() -> Docs:
    return load_raw(COLLOQUIAL_TRAIN, Segmenter())


def test_runtime_model_scores_like_the_trainer(sentences: Docs, tmp_path: Path) -> None:
    config = dataclasses.replace(CHOSEN, max_features=400)  # small enough that the cut really drops features
    fitted = fit(config, sentences)
    assert fitted.char is not None and len(fitted.char.vocabulary_) == 400
    out = tmp_path / "model.npz"
    save(fitted, out, temperature=0.5, bonus=0.0)
    model = Model.load(out)
    texts = [normalize(t) for t in TEXTS]
    expected = fitted.decision(Docs(texts, [[] for _ in texts], np.array(["其他"] * len(texts))))
    for text, row in zip(texts, expected, strict=True):
        assert np.allclose(model.decision(text), row, atol=5e-3), text  # weights ship as float16


def test_the_cut_keeps_the_most_useful_features(sentences: Docs) -> None:
    whole = fit(dataclasses.replace(CHOSEN, max_features=0), sentences)
    cut = fit(dataclasses.replace(CHOSEN, max_features=200), sentences)
    assert whole.char is not None and cut.char is not None
    importance = np.abs(whole.coef).max(axis=0) * whole.char.idf_
    names = whole.char.get_feature_names_out()
    best = {names[i] for i in np.argsort(-importance, kind="stable")[:200]}
    assert set(cut.char.vocabulary_) == best
