"""The `courtyard classify` and `courtyard eval` commands: thin wrappers around nlp."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from tqdm import tqdm

from nlp import Analyzer, Place
from nlp.evaluate import EvalError, Example, evaluate, format_report, read_examples

PROGRESS_FROM = 200  # rows; smaller files finish before a bar would help


def run_classify(texts: Sequence[str], places: Sequence[Place]) -> None:
    """Print one JSON object per text: tokens, category, confidence, urgency, hotline, courtyard, intent, building."""
    analyzer = Analyzer(places)
    for text in texts:
        analysis = analyzer.analyze(text)
        printed = {**analysis.as_dict(), "confidence": round(analysis.confidence, 4)}
        print(json.dumps(printed, ensure_ascii=False), flush=True)


def run_eval(path: Path) -> int:
    """Score the classifier on a CSV with columns text,label; returns the exit code."""
    try:
        examples = read_examples(path)
    except EvalError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2

    def progress(rows: Iterable[Example]) -> Iterable[Example]:
        bar: Iterable[Example] = tqdm(
            rows,
            total=len(examples),
            desc="classifying",
            unit="msg",
            file=sys.stderr,
            disable=len(examples) < PROGRESS_FROM,
        )
        return bar

    report = evaluate(Analyzer(), examples, progress)
    print("\n".join(format_report(report)))
    return 0
