"""Scoring the classifier on a labelled CSV (columns text,label): metrics and a text report."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.analyzer import LABELS, Analyzer


class EvalError(ValueError):
    """A labelled CSV that cannot be scored; names the file and, when known, the row."""

    def __init__(self, path: Path, message: str, row: int | None = None) -> None:
        self.path, self.row = path, row
        where = f"{path} 第 {row} 行" if row is not None else str(path)
        super().__init__(f"{where}：{message}")


@dataclass(frozen=True)
class Example:
    """One labelled message and the CSV line it came from (the header is line 1)."""

    text: str
    label: str
    row: int


@dataclass(frozen=True)
class Report:
    """Per-class precision/recall/F1 and the confusion matrix over `labels` (gold rows × predicted)."""

    labels: tuple[str, ...]
    confusion: np.ndarray
    scored: tuple[str, ...]  # the gold classes present: macro-F1 averages over these

    @property
    def total(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / self.total) if self.total else 0.0

    def precision(self, label: str) -> float:
        i = self.labels.index(label)
        predicted = self.confusion[:, i].sum()
        return float(self.confusion[i, i] / predicted) if predicted else 0.0

    def recall(self, label: str) -> float:
        i = self.labels.index(label)
        gold = self.confusion[i].sum()
        return float(self.confusion[i, i] / gold) if gold else 0.0

    def f1(self, label: str) -> float:
        p, r = self.precision(label), self.recall(label)
        return 2 * p * r / (p + r) if p + r else 0.0

    def support(self, label: str) -> int:
        return int(self.confusion[self.labels.index(label)].sum())

    @property
    def macro_f1(self) -> float:
        return float(np.mean([self.f1(label) for label in self.scored])) if self.scored else 0.0


def read_examples(path: Path) -> list[Example]:
    """Rows of a CSV with at least the columns text and label; raises EvalError naming the row."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("text", "label") if c not in (reader.fieldnames or ())]
            if missing:
                raise EvalError(path, f"缺少列 {', '.join(missing)}（需要 text,label）", row=1)
            examples = []
            for record in reader:
                row = reader.line_num
                text, label = record.get("text"), record.get("label")
                if text is None or label is None:
                    raise EvalError(path, "列数不足，缺少 text 或 label 的值", row=row)
                if label.strip() not in LABELS:
                    raise EvalError(path, f"未知标签 “{label}”（应为 {'、'.join(LABELS)}）", row=row)
                examples.append(Example(text, label.strip(), row))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise EvalError(path, f"无法读取：{error}") from error
    if not examples:
        raise EvalError(path, "没有数据行")
    return examples


def evaluate(
    analyzer: Analyzer,
    examples: Sequence[Example],
    progress: Callable[[Iterable[Example]], Iterable[Example]] = iter,
) -> Report:
    """Classify every example; `progress` may wrap the iteration (e.g. a progress bar)."""
    confusion = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    for example in progress(examples):
        predicted = analyzer.analyze(example.text).category
        confusion[LABELS.index(example.label), LABELS.index(predicted)] += 1
    scored = tuple(label for label in LABELS if confusion[LABELS.index(label)].sum())
    return Report(LABELS, confusion, scored)


def format_report(report: Report) -> list[str]:
    """Human-readable lines; the last two are `accuracy: 0.xxxx` and `macro-F1: 0.xxxx`."""
    shown = [
        label
        for label in report.labels
        if report.support(label) or report.confusion[:, report.labels.index(label)].sum()
    ]
    width = max(len(label) for label in shown) * 2 + 2
    lines = [f"{'class':<{width}}precision  recall      F1  support"]
    for label in shown:
        name = label + " " * (width - 2 * len(label))
        lines.append(
            f"{name}{report.precision(label):9.4f} {report.recall(label):7.4f} "
            f"{report.f1(label):7.4f} {report.support(label):8d}"
        )
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    index = [report.labels.index(label) for label in shown]
    lines.append(" " * 8 + " ".join(f"{label[:2]:>4}" for label in shown))
    for label, i in zip(shown, index, strict=True):
        cells = " ".join(f"{report.confusion[i, j]:6d}" for j in index)
        lines.append(f"{label[:2]:>4}  {cells}")
    lines += ["", f"messages: {report.total}", f"accuracy: {report.accuracy:.4f}", f"macro-F1: {report.macro_f1:.4f}"]
    return lines
