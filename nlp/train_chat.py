"""Training the chat model: `python -m nlp.train_chat [--cv-only]` (needs the `train` extra).

Reads the colloquial training corpus (data/colloquial/train.csv, columns
text,label,urgent,intent,hotline,building,source), cross-validates the heads and the settings that
combine them with the formal model and the rules, prints the out-of-fold figures, then fits on
everything and writes nlp/data/chat.npz. Never reads a held-out set or the formal test.csv.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from nlp.analyzer import LABELS, combine
from nlp.chat import CHAT_ARTEFACT, HEADS
from nlp.features import dense_features, rule_view
from nlp.intent import INTENTS
from nlp.model import shared_model
from nlp.text import char_ngrams, normalize
from nlp.urgency import HOTLINES

ROOT = Path(__file__).resolve().parents[1]
COLLOQUIAL = ROOT / "data" / "colloquial" / "train.csv"
SEED = 20261201
CHAR_RANGE = (1, 3)
MIN_DF = 2
C = {"category": 32.0, "intent": 32.0, "urgent": 32.0, "hotline": 32.0}  # 2, 8, 16, 32 compared: 32 best
DENSE_SCALE = 1.0
BLEND_GRID = (0.0, 0.3, 0.5, 0.7, 0.85, 1.0)
HALF_LENGTH_GRID = (50.0, 100.0, 200.0, 400.0)
URGENT_GRID = tuple(np.round(np.arange(0.05, 0.91, 0.025), 3))
RULE_URGENT_GRID = (0.0, 0.02, 0.05, 0.1, 0.2)
URGENT_RECALL = 0.95  # the target


@dataclass(frozen=True)
class Rows:
    """Normalised colloquial messages with their labels and dense features."""

    texts: list[str]
    label: np.ndarray
    intent: np.ndarray
    urgent: np.ndarray
    hotline: np.ndarray
    dense: np.ndarray

    def subset(self, index: np.ndarray) -> Rows:
        return Rows([self.texts[i] for i in index], self.label[index], self.intent[index], self.urgent[index],
                    self.hotline[index], self.dense[index])


def read(path: Path = COLLOQUIAL) -> Rows:
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    texts = [normalize(r["text"]) for r in records]
    dense = np.array([dense_features(t, *rule_view(t)) for t in texts], dtype=np.float32)
    return Rows(texts, np.array([r["label"] for r in records]), np.array([r["intent"] for r in records]),
                np.array([r["urgent"] for r in records]), np.array([r["hotline"] or "-" for r in records]), dense)


def _targets(rows: Rows) -> dict[str, tuple[np.ndarray, np.ndarray, tuple[str, ...]]]:
    """Per head: which rows train it, their targets, and the head's classes."""
    every = np.arange(len(rows.texts))
    urgent_rows = np.flatnonzero(rows.urgent == "1")
    return {
        "category": (every, rows.label, LABELS),
        "intent": (every, rows.intent, INTENTS),
        "urgent": (every, rows.urgent, ("0", "1")),
        "hotline": (urgent_rows, rows.hotline[urgent_rows], HOTLINES),
    }


@dataclass
class Fitted:
    vectorizer: TfidfVectorizer
    heads: dict[str, tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]]  # classes, W (V,K), D (d,K), b

    def probabilities(self, rows: Rows) -> dict[str, np.ndarray]:
        x = self.vectorizer.transform(rows.texts)
        out = {}
        for name, (_, weights, dense, intercept) in self.heads.items():
            scores = np.asarray(x @ weights) + rows.dense @ dense + intercept
            scores -= scores.max(axis=1, keepdims=True)
            e = np.exp(scores)
            out[name] = e / e.sum(axis=1, keepdims=True)
        return out


def fit(rows: Rows) -> Fitted:
    vectorizer = TfidfVectorizer(analyzer=lambda s: char_ngrams(s, *CHAR_RANGE), sublinear_tf=True, min_df=MIN_DF,
                                 dtype=np.float32)
    x = vectorizer.fit_transform(rows.texts)
    features = sp.hstack([x, sp.csr_matrix(rows.dense * DENSE_SCALE)]).tocsr()
    heads = {}
    vocabulary = x.shape[1]
    for name, (index, target, classes) in _targets(rows).items():
        model = LogisticRegression(C=C[name], max_iter=3000)
        model.fit(features[index], target)
        coef = np.zeros((len(classes), features.shape[1]), dtype=np.float32)
        intercept = np.full(len(classes), -30.0, dtype=np.float32)  # a class never seen in training
        seen = list(model.classes_)
        if len(seen) == 2 and model.coef_.shape[0] == 1:  # binary: sklearn keeps one row for the second class
            rows_coef = np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
            rows_intercept = np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        else:
            rows_coef, rows_intercept = model.coef_, model.intercept_
        for k, c in enumerate(seen):
            coef[classes.index(c)] = rows_coef[k]
            intercept[classes.index(c)] = rows_intercept[k]
        heads[name] = (classes, coef[:, :vocabulary].T.copy(), coef[:, vocabulary:].T * DENSE_SCALE, intercept)
    return Fitted(vectorizer, heads)


def out_of_fold(rows: Rows, folds: int = 5) -> dict[str, np.ndarray]:
    """Every head's out-of-fold probabilities (stratified on label × urgent)."""
    strata = np.array([f"{a}{b}" for a, b in zip(rows.label, rows.urgent, strict=True)])
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    out: dict[str, np.ndarray] = {}
    for fit_index, held_index in splitter.split(rows.texts, strata):
        probabilities = fit(rows.subset(fit_index)).probabilities(rows.subset(held_index))
        for name, p in probabilities.items():
            out.setdefault(name, np.zeros((len(rows.texts), p.shape[1]), dtype=np.float32))[held_index] = p
    return out


def choose_settings(rows: Rows, oof: dict[str, np.ndarray], report: Callable[[str], None] = print) -> dict[str, float]:
    """Blend weight, its half length, and the urgency threshold, by out-of-fold accuracy."""
    formal = np.array([shared_model().probabilities(t) for t in rows.texts], dtype=np.float32)
    lengths = np.array([len(t) for t in rows.texts], dtype=np.float32)
    intents = np.array(INTENTS)[oof["intent"].argmax(axis=1)]
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for blend in BLEND_GRID:
        for half in HALF_LENGTH_GRID:
            predicted = [combine(c, f, float(n), str(i), False, blend, half)[0]
                         for c, f, n, i in zip(oof["category"], formal, lengths, intents, strict=True)]
            accuracy = float(np.mean(np.array(predicted) == rows.label))
            if accuracy > best[0]:
                best = (accuracy, blend, half)
    report(f"category: out-of-fold accuracy {best[0]:.4f} at blend {best[1]}, half length {best[2]:.0f} "
           f"(chat head alone {np.mean(np.array(LABELS)[oof['category'].argmax(axis=1)] == rows.label):.4f})")
    gold = rows.urgent == "1"
    rule = rows.dense[:, 0] > 0  # FEATURE_NAMES[0]: the situation rules saw a danger now
    probability = oof["urgent"][:, 1]
    candidates = []
    for low in RULE_URGENT_GRID:
        for threshold in URGENT_GRID:
            flagged = (probability >= threshold) | (rule & (probability >= low))
            recall = float((flagged & gold).sum() / max(gold.sum(), 1))
            precision = float((flagged & gold).sum() / max(flagged.sum(), 1))
            candidates.append((recall >= URGENT_RECALL, precision if recall >= URGENT_RECALL else recall,
                               float(threshold), float(low), recall, precision))
    # A missed emergency is the worst error: the most precise setting that keeps recall at URGENT_RECALL
    # (or, if none does, the one with the best recall).
    _, _, threshold, low, recall, precision = max(candidates)
    report(f"urgent: model threshold {threshold:.3f}, with a rule {low:.3f}: out-of-fold recall {recall:.4f}, "
           f"precision {precision:.4f}")
    return {"blend": best[1], "half_length": best[2], "urgent_threshold": threshold, "urgent_rule_threshold": low}


def save(fitted: Fitted, settings: dict[str, float], out: Path) -> None:
    terms = sorted(fitted.vectorizer.vocabulary_, key=fitted.vectorizer.vocabulary_.__getitem__)
    arrays: dict[str, Any] = {
        "vocabulary": np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
        "idf": fitted.vectorizer.idf_.astype(np.float16),
        "char_range": np.array(CHAR_RANGE, dtype=np.int8),
        "setting_names": np.array(list(settings)),
        "setting_values": np.array(list(settings.values()), dtype=np.float32),
    }
    for name in HEADS:
        classes, weights, dense, intercept = fitted.heads[name]
        arrays[f"{name}_classes"] = np.array(classes)
        arrays[f"{name}_weights"] = weights.astype(np.float16)
        arrays[f"{name}_dense"] = dense.astype(np.float32)
        arrays[f"{name}_intercept"] = intercept.astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.train_chat", description=__doc__)
    parser.add_argument("--data", type=Path, default=COLLOQUIAL)
    parser.add_argument("--out", type=Path, default=CHAT_ARTEFACT)
    parser.add_argument("--cv-only", action="store_true", help="print the cross-validated figures, write nothing")
    args = parser.parse_args(argv)
    rows = read(args.data)
    oof = out_of_fold(rows)
    for name, (index, target, classes) in _targets(rows).items():
        predicted = np.array(classes)[oof[name][index].argmax(axis=1)]
        print(f"{name}: out-of-fold accuracy {np.mean(predicted == target):.4f} ({len(index)} rows)")
    settings = choose_settings(rows, oof)
    if args.cv_only:
        return 0
    save(fit(rows), settings, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
