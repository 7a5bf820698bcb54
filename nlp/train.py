"""Training the shipped classifier: `python -m nlp.train [--compare]` (needs the `train` extra).

Trains on messages/train.csv and train_extra_tokenized.csv of the shared corpus plus the
hand-written colloquial sentences in nlp/data/colloquial_train.csv, and writes nlp/data/model.npz.
test.csv is never read here.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC

from nlp.lexicon import CATEGORIES
from nlp.model import ARTEFACT, keyword_hits
from nlp.segment import Segmenter
from nlp.text import model_grams, normalize, word_ngrams

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
    learner: str  # "svm", "logreg", "sgd" (modified Huber), "nbsvm" or "cnb"
    c: float  # C of the SVM / logistic regression, alpha of SGD and complement NB
    extra: bool
    min_df: int = 2
    subject: int = 0  # > 0: marked n-grams of the first `subject` characters join the character n-grams
    subject_range: tuple[int, int] = (1, 2)
    max_features: int = 0  # > 0: keep the most useful character features and train again on those
    balanced: bool = False  # class-balanced weights

    @property
    def features(self) -> tuple[object, ...]:
        return (
            self.char_range,
            self.words,
            self.extra,
            self.min_df,
            self.subject,
            self.subject_range,
            self.max_features,
        )


@dataclass(frozen=True)
class Ensemble:
    """The average of members' temperature-scaled log-probabilities (compared, not shipped)."""

    name: str
    members: tuple[Config, ...]


_CHAR12 = Config("char 1-2 + LinearSVC C=2", (1, 2), False, "svm", 2.0, True)
_WORD = Config("word 1-2 + LinearSVC C=2", None, True, "svm", 2.0, True)
_SUBJECT = Config("char 1-2 + subject 1-2 + LinearSVC C=2", (1, 2), False, "svm", 2.0, True, subject=20)
_SUBJECT_30K = Config(
    "char 1-2 + subject 1-2, best 30k + LinearSVC C=2", (1, 2), False, "svm", 2.0, True, subject=20, max_features=30_000
)
# Every candidate is trained with train_extra_tokenized.csv in its training folds.
CANDIDATES: tuple[Config | Ensemble, ...] = (
    _WORD,
    Config("char 1-2 + LinearSVC C=1", (1, 2), False, "svm", 1.0, True),
    _CHAR12,
    Config("char 1-2 + LinearSVC C=4", (1, 2), False, "svm", 4.0, True),
    Config("char 1-2 + LinearSVC C=2 balanced", (1, 2), False, "svm", 2.0, True, balanced=True),
    Config("char 1-3 + LinearSVC C=2", (1, 3), False, "svm", 2.0, True),
    Config("char 1-4 (min_df 3) + LinearSVC C=2", (1, 4), False, "svm", 2.0, True, 3),
    Config("char 1-2 + SGD modified Huber a=3e-5", (1, 2), False, "sgd", 3e-5, True),
    Config("char 1-2 + complement NB a=0.3", (1, 2), False, "cnb", 0.3, True),
    Config("char 1-2 + NBSVM C=1", (1, 2), False, "nbsvm", 1.0, True),
    _SUBJECT,
    Config("char 1-2 + subject 1-3 + LinearSVC C=2", (1, 2), False, "svm", 2.0, True, subject=20, subject_range=(1, 3)),
    Config("char 1-2 + subject(30) 1-2 + LinearSVC C=2", (1, 2), False, "svm", 2.0, True, subject=30),
    Config(
        "char 1-2 + subject 1-2, best 60k + LinearSVC C=2",
        (1, 2),
        False,
        "svm",
        2.0,
        True,
        subject=20,
        max_features=60_000,
    ),
    _SUBJECT_30K,
    Ensemble("avg prob: char 1-2 SVM + word 1-2 SVM", (_CHAR12, _WORD)),
)
# Shipped: the subject n-grams in the same feature space as the whole text's, cut to the 30k most useful
# features. Five-fold cross-validation on train.csv (two fold seeds) put the subject n-grams about
# 0.005 macro-F1 above plain char 1-2, and the cut loses nothing measurable while it makes the artefact
# and its load (the cold start of `courtyard classify`) several times smaller.
CHOSEN = _SUBJECT_30K


@dataclass(frozen=True)
class Docs:
    """Training documents: normalised text for character n-grams, tokens for word n-grams."""

    texts: list[str]
    tokens: list[list[str]]
    labels: np.ndarray

    def subset(self, index: Sequence[int] | np.ndarray) -> Docs:
        return Docs([self.texts[i] for i in index], [self.tokens[i] for i in index], self.labels[index])

    def __add__(self, other: Docs) -> Docs:
        return Docs(self.texts + other.texts, self.tokens + other.tokens, np.concatenate([self.labels, other.labels]))


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
    """A trained pipeline: vectorizers and one linear model, coef (classes × features) in CATEGORIES order."""

    config: Config
    char: TfidfVectorizer | None
    word: TfidfVectorizer | None
    coef: np.ndarray
    intercept: np.ndarray

    def features(self, docs: Docs) -> sp.csr_matrix:
        return _combine(self.char, self.word, docs, fit=False)

    def decision(self, docs: Docs) -> np.ndarray:
        decision: np.ndarray = np.asarray(self.features(docs) @ self.coef.T) + self.intercept
        return decision


def _combine(char: TfidfVectorizer | None, word: TfidfVectorizer | None, docs: Docs, *, fit: bool) -> sp.csr_matrix:
    blocks = []
    if char is not None:
        blocks.append(char.fit_transform(docs.texts) if fit else char.transform(docs.texts))
    if word is not None:
        blocks.append(word.fit_transform(docs.tokens) if fit else word.transform(docs.tokens))
    return blocks[0] if len(blocks) == 1 else l2_normalize(sp.hstack(blocks).tocsr())


def _char_vectorizer(config: Config, vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
    assert config.char_range is not None
    char_range, subject, subject_range = config.char_range, config.subject, config.subject_range
    return TfidfVectorizer(
        analyzer=lambda s: model_grams(s, char_range, subject, subject_range),
        sublinear_tf=True,
        min_df=config.min_df,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


def vectorize(config: Config, docs: Docs) -> tuple[Fitted, sp.csr_matrix]:
    """Fit the config's vectorizers on docs; a Fitted without weights yet, and the docs' features.

    With `max_features`, a first model ranks the character features by how much they can move a
    score (largest weight × idf) and the vectorizer is fitted again on the best ones only, so the
    features are computed exactly as the running program computes them from the smaller vocabulary.
    """
    char = _char_vectorizer(config) if config.char_range is not None else None
    word = (
        TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True, min_df=config.min_df, dtype=np.float32)
        if config.words
        else None
    )
    features = _combine(char, word, docs, fit=True)
    if config.max_features and char is not None and char.idf_.size > config.max_features:
        if word is not None:
            raise ValueError(f"{config.name}: max_features applies to character n-grams alone")
        coef, _ = learn(config, features, docs.labels)
        importance = np.abs(coef).max(axis=0) * char.idf_
        keep = np.sort(np.argsort(-importance, kind="stable")[: config.max_features])
        char = _char_vectorizer(config, vocabulary=list(char.get_feature_names_out()[keep]))
        features = _combine(char, None, docs, fit=True)
    empty = np.zeros(0, dtype=np.float32)
    return Fitted(config, char, word, empty, empty), features


def learn(config: Config, features: sp.csr_matrix, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear weights (classes × features) and intercepts, in CATEGORIES order."""
    weight = "balanced" if config.balanced else None
    if config.learner == "nbsvm":
        # One-vs-rest SVMs on features scaled by the log-count ratio of each class (Wang & Manning 2012);
        # the scaling folds into the weights, so the result is again one linear model.
        present = (features > 0).astype(np.float32)
        coef = np.zeros((len(CATEGORIES), features.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(CATEGORIES), dtype=np.float32)
        for k, category in enumerate(CATEGORIES):
            inside = labels == category
            p = 1.0 + np.asarray(present[inside].sum(axis=0)).ravel()
            q = 1.0 + np.asarray(present[~inside].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
            svm = LinearSVC(C=config.c, random_state=SEED).fit(features @ sp.diags(ratio), inside.astype(int))
            coef[k] = svm.coef_[0] * ratio
            intercept[k] = svm.intercept_[0]
        return coef, intercept
    model: LinearSVC | LogisticRegression | SGDClassifier | ComplementNB
    if config.learner == "svm":
        model = LinearSVC(C=config.c, class_weight=weight, random_state=SEED)
    elif config.learner == "logreg":
        model = LogisticRegression(C=config.c, class_weight=weight, max_iter=1000)
    elif config.learner == "sgd":
        model = SGDClassifier(
            loss="modified_huber", alpha=config.c, class_weight=weight, max_iter=50, tol=None, random_state=SEED
        )
    elif config.learner == "cnb":
        model = ComplementNB(alpha=config.c)
    else:
        raise ValueError(f"unknown learner {config.learner!r}")
    model.fit(features, labels)
    order = [list(model.classes_).index(c) for c in CATEGORIES]
    if isinstance(model, ComplementNB):  # joint log-likelihood X · log θᵀ
        return np.asarray(model.feature_log_prob_)[order], np.zeros(len(CATEGORIES))
    return np.asarray(model.coef_)[order], np.asarray(model.intercept_)[order]


def fit(config: Config, docs: Docs) -> Fitted:
    fitted, features = vectorize(config, docs)
    fitted.coef, fitted.intercept = learn(config, features, docs.labels)
    return fitted


def _folds(train: Docs, folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    return list(splitter.split(train.texts, train.labels))


def cross_val_decisions(
    config: Config,
    train: Docs,
    extra: Docs | None,
    cache: dict[tuple[object, int], tuple[Fitted, sp.csr_matrix, sp.csr_matrix]] | None = None,
) -> np.ndarray:
    """Out-of-fold decision values on train.csv; extra rows only ever join the training folds."""
    cache = {} if cache is None else cache
    out = np.zeros((len(train.labels), len(CATEGORIES)), dtype=np.float32)
    for number, (fit_index, held_index) in enumerate(_folds(train)):
        part = train.subset(fit_index)
        if extra is not None and config.extra:
            part = part + extra
        key = (config.features, number)
        if key not in cache:
            for stale in [k for k in cache if k[0] != config.features]:
                del cache[stale]  # one feature space at a time: char 1-4 matrices are large
            fitted, features = vectorize(config, part)
            cache[key] = (fitted, features, fitted.features(train.subset(held_index)))
        _, features, held = cache[key]
        coef, intercept = learn(config, features, part.labels)
        out[held_index] = np.asarray(held @ coef.T) + intercept
    return out


def _average(member_decisions: Sequence[np.ndarray], labels: np.ndarray) -> np.ndarray:
    """An ensemble's decisions: its members' log-probabilities, each at its own out-of-fold temperature."""
    logs = [np.log(softmax(d / fit_temperature(d, labels)) + 1e-12) for d in member_decisions]
    return np.asarray(np.mean(logs, axis=0), dtype=np.float32)


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
    """Five-fold cross-validation on train.csv of every candidate (extra rows in the training folds)."""
    print(f"{'model':52s} {'accuracy':>9s} {'macro-F1':>9s}")
    cache: dict[tuple[object, int], tuple[Fitted, sp.csr_matrix, sp.csr_matrix]] = {}
    done: dict[Config | Ensemble, np.ndarray] = {}

    def decisions_of(candidate: Config | Ensemble) -> np.ndarray:
        if candidate not in done:
            if isinstance(candidate, Ensemble):
                done[candidate] = _average([decisions_of(m) for m in candidate.members], train.labels)
            else:
                done[candidate] = cross_val_decisions(candidate, train, extra, cache)
        return done[candidate]

    for candidate in CANDIDATES:
        decisions = decisions_of(candidate)
        predicted = np.array(CATEGORIES)[decisions.argmax(axis=1)]
        print(
            f"{candidate.name:52s} {accuracy_score(train.labels, predicted):9.4f} "
            f"{macro_f1(train.labels, decisions):9.4f}",
            flush=True,
        )


def train(candidate: Config, train_docs: Docs, extra: Docs, colloquial: Docs, out: Path) -> None:
    """Calibrate on out-of-fold decisions, pick the keyword bonus, fit on everything, save."""
    decisions = cross_val_decisions(candidate, train_docs, extra)
    temperature = fit_temperature(decisions, train_docs.labels)
    probabilities = softmax(decisions / temperature)
    confidence = probabilities.max(axis=1)
    low = confidence < TRIAGE_THRESHOLD
    correct = np.array(CATEGORIES)[decisions.argmax(axis=1)] == train_docs.labels
    print(
        f"{candidate.name}: out-of-fold macro-F1 {macro_f1(train_docs.labels, decisions):.4f}, "
        f"temperature {temperature:.3f}, ECE {expected_calibration_error(probabilities, train_docs.labels):.3f}"
    )
    print(
        f"triage threshold {TRIAGE_THRESHOLD}: {low.mean():.1%} of messages below it "
        f"(accuracy there {correct[low].mean():.2f}, above it {correct[~low].mean():.2f})"
    )

    # Keyword prior: chosen on the colloquial training sentences with a corpus-only model,
    # as large as helps them while the formal corpus loses at most BONUS_MAX_F1_LOSS.
    with_extra = train_docs + extra if candidate.extra else train_docs
    corpus_only = fit(candidate, with_extra)
    colloquial_decisions = corpus_only.decision(colloquial)
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

    final = fit(candidate, with_extra + colloquial)
    save(final, out, temperature=temperature, bonus=bonus)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB), keyword bonus {bonus}")


def save(fitted: Fitted, out: Path, *, temperature: float, bonus: float) -> None:
    """The artefact nlp.model reads: character n-gram vocabulary, idf and weights (features × classes).

    Stored uncompressed: loading it is part of every cold start, and zlib would cost more time than
    the file's size is worth.
    """
    config = fitted.config
    if fitted.char is None or config.char_range is None or fitted.word is not None:
        raise ValueError("the runtime model reads character n-grams only")
    terms = sorted(fitted.char.vocabulary_, key=fitted.char.vocabulary_.__getitem__)
    arrays: dict[str, Any] = {
        "classes": np.array(CATEGORIES),
        "intercept": fitted.intercept.astype(np.float32),
        "temperature": np.float32(temperature),
        "keyword_bonus": np.float32(bonus),
        "triage_threshold": np.float32(TRIAGE_THRESHOLD),
        "char_range": np.array(config.char_range, dtype=np.int8),
        "subject_chars": np.int32(config.subject),
        "subject_range": np.array(config.subject_range, dtype=np.int8),
        "char_vocabulary": np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
        "char_idf": fitted.char.idf_.astype(np.float16),
        "char_weights": fitted.coef.T.astype(np.float16),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)


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
