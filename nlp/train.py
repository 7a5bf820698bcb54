"""Training the shipped classifier: `python -m nlp.train [--compare]` (needs the `train` extra).

Trains on messages/train.csv and train_extra_tokenized.csv of the shared corpus plus the
hand-written colloquial sentences in nlp/data/colloquial_train.csv, and writes nlp/data/model.npz.
test.csv is never read here.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC

from nlp.lexicon import CATEGORIES
from nlp.model import ARTEFACT, keyword_hits
from nlp.segment import Segmenter
from nlp.text import char_ngrams, normalize, word_ngrams

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "messages"
COLLOQUIAL_TRAIN = Path(__file__).parent / "data" / "colloquial_train.csv"
SEED = 20201124
TRIAGE_THRESHOLD = 0.5  # calibrated: below it the predicted class is more likely wrong than right
BONUS_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
BONUS_MAX_F1_LOSS = 0.003  # the keyword prior may not cost the formal corpus more than this


@dataclass(frozen=True)
class Config:
    """One candidate model: which n-grams, which linear learner, which training data."""

    name: str
    char_range: tuple[int, int] | None
    words: bool
    learner: str  # "svm" or "logreg"
    c: float
    extra: bool
    min_df: int = 2


CANDIDATES: tuple[Config, ...] = (
    Config("word 1-2 + LinearSVC", None, True, "svm", 1.0, False),
    Config("char 1-2 + LinearSVC", (1, 2), False, "svm", 1.0, False),
    Config("char 1-3 + LinearSVC", (1, 3), False, "svm", 1.0, False),
    Config("char 1-2 + LinearSVC, +extra", (1, 2), False, "svm", 1.0, True),
    Config("char 1-2 + LinearSVC C=2, +extra", (1, 2), False, "svm", 2.0, True),
    Config("char 1-2 + word 1-2 + LinearSVC C=2, +extra", (1, 2), True, "svm", 2.0, True),
    Config("char 1-2 + LogisticRegression C=30, +extra", (1, 2), False, "logreg", 30.0, True),
    Config("char 1-3 + LinearSVC C=2 (min_df 3), +extra", (1, 3), False, "svm", 2.0, True, 3),
)
# The best cross-validated candidate (see `--compare`); word n-grams added nothing, so the shipped
# model needs no segmentation to classify and its artefact holds character n-grams only.
CHOSEN = Config("char 1-2 + LinearSVC C=2, +extra", (1, 2), False, "svm", 2.0, True)


@dataclass(frozen=True)
class Docs:
    """Training documents: normalised text for character n-grams, tokens for word n-grams."""

    texts: list[str]
    tokens: list[list[str]]
    labels: np.ndarray

    def subset(self, index: Sequence[int] | np.ndarray) -> Docs:
        return Docs([self.texts[i] for i in index], [self.tokens[i] for i in index], self.labels[index])

    def __add__(self, other: Docs) -> Docs:
        return Docs(self.texts + other.texts, self.tokens + other.tokens,
                    np.concatenate([self.labels, other.labels]))


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_raw(path: Path, segmenter: Segmenter, only: Sequence[str] = CATEGORIES) -> Docs:
    """Raw-text rows (train.csv, colloquial_train.csv), segmented like the running program does."""
    rows = [r for r in read_rows(path) if r["label"] in only]
    texts = [normalize(r["text"]) for r in rows]
    return Docs(texts, [segmenter.cut(t) for t in texts], np.array([r["label"] for r in rows]))


def load_extra(path: Path) -> Docs:
    """train_extra_tokenized.csv: already segmented, stop-words removed; texts are joined tokens."""
    rows = read_rows(path)
    tokens = [[normalize(token) for token in r["text"].split()] for r in rows]
    return Docs(["".join(t) for t in tokens], tokens, np.array([r["label"] for r in rows]))


@dataclass
class Fitted:
    """A trained pipeline: vectorizers and the linear model, as sklearn objects."""

    config: Config
    char: TfidfVectorizer | None
    word: TfidfVectorizer | None
    model: LinearSVC | LogisticRegression

    def features(self, docs: Docs) -> sp.csr_matrix:
        blocks = []
        if self.char is not None:
            blocks.append(self.char.transform(docs.texts))
        if self.word is not None:
            blocks.append(self.word.transform(docs.tokens))
        return _combine(blocks)

    def decision(self, docs: Docs) -> np.ndarray:
        decision: np.ndarray = np.asarray(self.model.decision_function(self.features(docs)))
        return decision


def _combine(blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
    return blocks[0] if len(blocks) == 1 else l2_normalize(sp.hstack(blocks).tocsr())


def _vectorizer(analyzer: Callable[[Any], list[str]], min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float32)


def fit(config: Config, docs: Docs) -> Fitted:
    char = word = None
    blocks = []
    if config.char_range is not None:
        low, high = config.char_range
        char = _vectorizer(lambda s: char_ngrams(s, low, high), config.min_df)
        blocks.append(char.fit_transform(docs.texts))
    if config.words:
        word = _vectorizer(word_ngrams, config.min_df)
        blocks.append(word.fit_transform(docs.tokens))
    if config.learner == "svm":
        model: LinearSVC | LogisticRegression = LinearSVC(C=config.c, random_state=SEED)
    else:
        model = LogisticRegression(C=config.c, max_iter=1000)
    model.fit(_combine(blocks), docs.labels)
    return Fitted(config, char, word, model)


def cross_val_decisions(config: Config, train: Docs, extra: Docs | None,
                        folds: int = 5) -> np.ndarray:
    """Out-of-fold decision values on train.csv; extra rows only ever join the training folds."""
    out = np.zeros((len(train.labels), len(CATEGORIES)), dtype=np.float32)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for fit_index, held_index in splitter.split(train.texts, train.labels):
        part = train.subset(fit_index)
        fitted = fit(config, part + extra if extra is not None and config.extra else part)
        out[held_index] = _ordered(fitted, fitted.decision(train.subset(held_index)))
    return out


def _ordered(fitted: Fitted, decision: np.ndarray) -> np.ndarray:
    order = [list(fitted.model.classes_).index(c) for c in CATEGORIES]
    return np.asarray(decision[:, order])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    probabilities: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return probabilities


def fit_temperature(decisions: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of out-of-fold decisions."""
    target = np.array([CATEGORIES.index(y) for y in labels])
    grid = np.exp(np.linspace(np.log(0.02), np.log(5.0), 400))
    nll = [-np.log(softmax(decisions / t)[np.arange(len(target)), target] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def keyword_matrix(texts: Sequence[str]) -> np.ndarray:
    return np.array([keyword_hits(t) for t in texts], dtype=np.float32)


def macro_f1(labels: np.ndarray, decisions: np.ndarray) -> float:
    predicted = np.array(CATEGORIES)[decisions.argmax(axis=1)]
    return float(f1_score(labels, predicted, average="macro"))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    confidence = probabilities.max(axis=1)
    correct = np.array(CATEGORIES)[probabilities.argmax(axis=1)] == labels
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return error


def compare(train: Docs, extra: Docs) -> None:
    """Five-fold cross-validation on train.csv of every candidate."""
    print(f"{'model':45s} {'accuracy':>9s} {'macro-F1':>9s}")
    for config in CANDIDATES:
        decisions = cross_val_decisions(config, train, extra)
        predicted = np.array(CATEGORIES)[decisions.argmax(axis=1)]
        print(f"{config.name:45s} {accuracy_score(train.labels, predicted):9.4f} "
              f"{macro_f1(train.labels, decisions):9.4f}", flush=True)


def train(config: Config, train_docs: Docs, extra: Docs, colloquial: Docs, out: Path) -> None:
    """Calibrate on out-of-fold decisions, pick the keyword bonus, fit on everything, save."""
    decisions = cross_val_decisions(config, train_docs, extra)
    temperature = fit_temperature(decisions, train_docs.labels)
    probabilities = softmax(decisions / temperature)
    confidence = probabilities.max(axis=1)
    low = confidence < TRIAGE_THRESHOLD
    correct = np.array(CATEGORIES)[decisions.argmax(axis=1)] == train_docs.labels
    print(f"out-of-fold macro-F1 {macro_f1(train_docs.labels, decisions):.4f}, "
          f"temperature {temperature:.3f}, ECE {expected_calibration_error(probabilities, train_docs.labels):.3f}")
    print(f"triage threshold {TRIAGE_THRESHOLD}: {low.mean():.1%} of messages below it "
          f"(accuracy there {correct[low].mean():.2f}, above it {correct[~low].mean():.2f})")

    # Keyword prior: chosen on the colloquial training sentences with a corpus-only model,
    # as large as helps them while the formal corpus loses at most BONUS_MAX_F1_LOSS.
    corpus_only = fit(config, train_docs + extra if config.extra else train_docs)
    colloquial_decisions = _ordered(corpus_only, corpus_only.decision(colloquial))
    oof_keywords = keyword_matrix(train_docs.texts)
    colloquial_keywords = keyword_matrix(colloquial.texts)
    base_f1 = macro_f1(train_docs.labels, decisions)
    best = (-1.0, 0.0)
    for bonus in BONUS_GRID:
        if macro_f1(train_docs.labels, decisions + bonus * oof_keywords) < base_f1 - BONUS_MAX_F1_LOSS:
            continue
        predicted = np.array(CATEGORIES)[(colloquial_decisions + bonus * colloquial_keywords).argmax(axis=1)]
        accuracy = float((predicted == colloquial.labels).mean())
        print(f"keyword bonus {bonus}: colloquial-train accuracy {accuracy:.3f}")
        if accuracy > best[0]:
            best = (accuracy, bonus)
    bonus = best[1]

    final = fit(config, (train_docs + extra if config.extra else train_docs) + colloquial)
    save(final, out, temperature=temperature, bonus=bonus)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB), keyword bonus {bonus}")


def _vocabulary_arrays(prefix: str, vectorizer: TfidfVectorizer, weights: np.ndarray) -> dict[str, np.ndarray]:
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return {
        f"{prefix}_vocabulary": np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
        f"{prefix}_idf": vectorizer.idf_.astype(np.float16),
        f"{prefix}_weights": weights.astype(np.float16),
    }


def save(fitted: Fitted, out: Path, *, temperature: float, bonus: float) -> None:
    if fitted.char is None or fitted.word is not None:
        raise ValueError("the runtime model reads character n-grams only")
    order = [list(fitted.model.classes_).index(c) for c in CATEGORIES]
    coef = np.asarray(fitted.model.coef_)[order].T  # (features, classes)
    arrays: dict[str, Any] = {
        "classes": np.array(CATEGORIES),
        "intercept": np.asarray(fitted.model.intercept_)[order].astype(np.float32),
        "temperature": np.float32(temperature),
        "keyword_bonus": np.float32(bonus),
        "triage_threshold": np.float32(TRIAGE_THRESHOLD),
        "char_range": np.array(fitted.config.char_range, dtype=np.int8),
    }
    arrays |= _vocabulary_arrays("char", fitted.char, coef)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder with train.csv")
    parser.add_argument("--out", type=Path, default=ARTEFACT)
    parser.add_argument("--compare", action="store_true", help="cross-validate every candidate")
    args = parser.parse_args(argv)
    segmenter = Segmenter()
    train_docs = load_raw(args.corpus / "train.csv", segmenter)
    extra = load_extra(args.corpus / "train_extra_tokenized.csv")
    if args.compare:
        compare(train_docs, extra)
        return 0
    colloquial = load_raw(COLLOQUIAL_TRAIN, segmenter)
    train(CHOSEN, train_docs, extra, colloquial, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
