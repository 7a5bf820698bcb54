"""NLP benchmark: accuracy on the test split and the colloquial dev set, latency, cold start, size.

Run from the repository root: `python bench/nlp.py [--runs 7]` (needs the `train` extra for the
TF-IDF + LinearSVC baseline it trains on train.csv in the same run).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
# Run as `python bench/nlp.py`, this file's folder leads sys.path and its name shadows the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from nlp import Analyzer, Place  # noqa: E402
from nlp.evaluate import evaluate, read_examples  # noqa: E402
from nlp.model import ARTEFACT  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "messages"
DEV = ROOT / "bench" / "data" / "colloquial_dev.csv"
# The courtyards the colloquial dev set names (the demo town of DESIGN.md §4 plus two more).
PLACES = (
    Place("桂花苑", ("桂花小区", "桂花院子")),
    Place("柳荫院", ("柳荫院子", "柳荫小区")),
    Place("幸福里", ("幸福院子",)),
)
JIEBA_ONLY = [sys.executable, "-c", "import jieba; jieba.lcut('x')"]
CLASSIFY_FALLBACK = [
    sys.executable,
    "-c",
    "from courtyard.nlp_commands import run_classify; from nlp import Place; run_classify(['x'], [])",
]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def baseline(train: list[dict[str, str]], test: list[dict[str, str]]) -> tuple[float, float]:
    """TF-IDF over jieba words + LinearSVC, default settings, trained on train.csv only."""
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False)
    model = LinearSVC().fit(vectorizer.fit_transform([r["text"] for r in train]), [r["label"] for r in train])
    predicted = model.predict(vectorizer.transform([r["text"] for r in test]))
    gold = [r["label"] for r in test]
    return accuracy_score(gold, predicted), f1_score(gold, predicted, average="macro")


def per_message_seconds(
    functions: Sequence[Callable[[str], object]], texts: Sequence[str], repeats: int
) -> list[float]:
    """Best-of-`repeats` mean time per message of each function; passes alternate between the
    functions, so a slow spell of a shared machine does not land on one of them only."""
    best = [float("inf")] * len(functions)
    for _ in range(repeats):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            for text in texts:
                function(text)
            best[index] = min(best[index], (time.perf_counter() - start) / len(texts))
    return best


def median_seconds(commands: Sequence[Sequence[str]], runs: int) -> list[float]:
    """Median wall time of each command, run in turns."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, spent in zip(commands, times, strict=True):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="cold-start runs per command (median)")
    parser.add_argument("--repeats", type=int, default=7, help="latency passes (best)")
    args = parser.parse_args()

    analyzer = Analyzer(PLACES)
    test_examples = read_examples(CORPUS / "test.csv")
    report = evaluate(analyzer, test_examples)
    print(f"test.csv ({report.total}): shipped model accuracy {report.accuracy:.4f}, macro-F1 {report.macro_f1:.4f}")
    base_accuracy, base_f1 = baseline(read(CORPUS / "train.csv"), read(CORPUS / "test.csv"))
    print(f"test.csv: baseline TF-IDF(jieba words) + LinearSVC accuracy {base_accuracy:.4f}, macro-F1 {base_f1:.4f}")
    print(f"  shipped - baseline macro-F1: {report.macro_f1 - base_f1:+.4f}")

    dev = read(DEV)
    analyses = [analyzer.analyze(r["text"]) for r in dev]
    correct = sum(a.category == r["label"] for a, r in zip(analyses, dev, strict=True))
    urgent = [a.urgent for a, r in zip(analyses, dev, strict=True) if r["urgent"] == "1"]
    flagged = [r["urgent"] == "1" for a, r in zip(analyses, dev, strict=True) if a.urgent]
    located = sum((a.courtyard or "") == r["courtyard"] for a, r in zip(analyses, dev, strict=True))
    small_talk = [a.is_small_talk for a, r in zip(analyses, dev, strict=True) if r["label"] == "其他"]
    print(
        f"colloquial dev ({len(dev)}): accuracy {correct / len(dev):.4f}, "
        f"urgent recall {sum(urgent) / len(urgent):.4f} ({sum(urgent)}/{len(urgent)}), "
        f"urgent precision {sum(flagged) / max(len(flagged), 1):.4f}, "
        f"small talk recognised {sum(small_talk)}/{len(small_talk)}, courtyard right {located}/{len(dev)}"
    )
    triage = sum(a.needs_triage for a in analyses)
    print(f"  needs_triage on dev: {triage}/{len(dev)}")

    for name, texts in (("test.csv", [e.text for e in test_examples]), ("colloquial dev", [r["text"] for r in dev])):
        jieba.lcut(texts[0])  # load the global dictionary before timing
        ours, bare = per_message_seconds((analyzer.analyze, jieba.lcut), texts, args.repeats)
        print(
            f"latency on {name}: analyze {ours * 1e3:.3f} ms/msg, bare jieba.lcut {bare * 1e3:.3f} ms/msg, "
            f"ratio {ours / bare:.2f}"
        )

    script = shutil.which("courtyard")
    registered = (
        script is not None and subprocess.run([script, "classify", "x"], capture_output=True, cwd=ROOT).returncode == 0
    )
    classify = [script, "classify", "x"] if script and registered else CLASSIFY_FALLBACK
    jieba_only, ours_cold = median_seconds((JIEBA_ONLY, classify), args.runs)
    label = "courtyard classify x" if registered else "run_classify(['x']) via python -c"
    print(
        f"cold start (median of {args.runs}): {label} {ours_cold:.3f} s, jieba-only {jieba_only:.3f} s, "
        f"ratio {ours_cold / jieba_only:.2f}"
    )
    print(f"artefact {ARTEFACT.relative_to(ROOT)}: {ARTEFACT.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
