"""NLP benchmark: formal test vs an in-run baseline, colloquial sets, latency, cold start, size.

Run from the repository root: `python bench/nlp.py [--runs 7] [--repeats 7] [--set DIR …]`
(needs the `train` extra for the TF-IDF + LinearSVC baseline it trains on train.csv in the same run).

Colloquial sets. Each set is a folder holding `heldout.csv` and the org chart its messages are
about, `org.yaml` (DESIGN.md §4 format), so courtyards are located against that set's own town:

    data/colloquial/heldout/<set>/heldout.csv   columns text,label,urgent,intent,hotline,courtyard,building
    data/colloquial/heldout/<set>/org.yaml

`label` is one of the 8 labels, `urgent` 0/1, `intent` one of the five intents, `hotline` one of
119 120 110 122 95598 燃气 供水 or empty, `courtyard` the canonical name from org.yaml or empty,
`building` the building number in Arabic digits or empty (compared with Analysis.building_number).
Every folder under data/colloquial/heldout/ is measured, then the old dev set
(bench/data/colloquial_dev.csv, columns text,label,urgent,courtyard, with
bench/data/colloquial_dev_org.yaml) and the format fixture bench/data/fixture/; `--set DIR` measures
only the folders given. A column a set lacks is left out of its figures. The held-out sets are
written apart from development and nothing is tuned on them: report them once per change.
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
from dataclasses import dataclass
from pathlib import Path

import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
# Run as `python bench/nlp.py`, this file's folder leads sys.path and its name shadows the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from courtyard.places import places_from_file  # noqa: E402
from nlp import OTHER, Analysis, Analyzer  # noqa: E402
from nlp.analyzer import LABELS  # noqa: E402
from nlp.chat import CHAT_ARTEFACT  # noqa: E402
from nlp.dictionary import COUNTS, WORDS  # noqa: E402
from nlp.evaluate import evaluate, read_examples  # noqa: E402
from nlp.model import ARTEFACT  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "messages"
HELDOUT = ROOT / "data" / "colloquial" / "heldout"
DEV = (ROOT / "bench" / "data" / "colloquial_dev.csv", ROOT / "bench" / "data" / "colloquial_dev_org.yaml")
FIXTURE = ROOT / "bench" / "data" / "fixture"
JIEBA_ONLY = [sys.executable, "-c", "import jieba; jieba.lcut('x')"]
CLASSIFY_FALLBACK = [sys.executable, "-c", "from courtyard.nlp_commands import run_classify; "
                     "from nlp import Place; run_classify(['x'], [])"]


@dataclass(frozen=True)
class Scored:
    """One set's figures; None where the set has no such column."""

    name: str
    rows: int
    accuracy: float
    macro_f1: float
    urgent_recall: float | None
    urgent_precision: float | None
    urgent_counts: tuple[int, int, int] | None  # caught, gold urgent, flagged
    hotline: float | None
    other_recall: float | None
    intent: float | None
    courtyard: float | None
    building: float | None


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def baseline(train: list[dict[str, str]], test: list[dict[str, str]]) -> tuple[float, float]:
    """TF-IDF over jieba words + LinearSVC, default settings, trained on train.csv only."""
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False)
    model = LinearSVC().fit(vectorizer.fit_transform([r["text"] for r in train]), [r["label"] for r in train])
    predicted = model.predict(vectorizer.transform([r["text"] for r in test]))
    gold = [r["label"] for r in test]
    return accuracy_score(gold, predicted), f1_score(gold, predicted, average="macro")


def _share(hits: Sequence[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def score(name: str, rows: list[dict[str, str]], analyses: list[Analysis]) -> Scored:
    """The figures of one colloquial set."""
    pairs = list(zip(rows, analyses, strict=True))
    gold = [r["label"] for r in rows]
    predicted = [a.category for a in analyses]
    columns = set(rows[0]) if rows else set()
    urgent_recall = urgent_precision = hotline = None
    urgent_counts = None
    if "urgent" in columns:
        caught = [a.urgent for r, a in pairs if r["urgent"] == "1"]
        flagged = [r["urgent"] == "1" for r, a in pairs if a.urgent]
        urgent_recall, urgent_precision = _share(caught), _share(flagged)
        urgent_counts = (sum(caught), len(caught), len(flagged))
        if "hotline" in columns:
            hotline = _share([a.hotline == r["hotline"] for r, a in pairs if r["urgent"] == "1" and a.urgent])
    building = None
    if "building" in columns:
        building = _share([(a.building_number or "") == r["building"].strip() for r, a in pairs])
    return Scored(
        name=name,
        rows=len(rows),
        accuracy=accuracy_score(gold, predicted),
        macro_f1=f1_score(gold, predicted, average="macro", labels=[c for c in LABELS if c in gold]),
        urgent_recall=urgent_recall,
        urgent_precision=urgent_precision,
        urgent_counts=urgent_counts,
        hotline=hotline,
        other_recall=_share([a.category == OTHER for r, a in pairs if r["label"] == OTHER]),
        intent=_share([a.intent == r["intent"] for r, a in pairs]) if "intent" in columns else None,
        courtyard=_share([(a.courtyard or "") == r["courtyard"].strip() for r, a in pairs])
        if "courtyard" in columns else None,
        building=building,
    )


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def report(scored: Scored) -> str:
    counts = scored.urgent_counts
    urgent = (f"urgent recall {_figure(scored.urgent_recall)} ({counts[0]}/{counts[1]}) precision "
              f"{_figure(scored.urgent_precision)} ({counts[2]} flagged)" if counts else "urgent n/a")
    return (f"{scored.name} ({scored.rows}): accuracy {scored.accuracy:.4f}, macro-F1 {scored.macro_f1:.4f}, "
            f"{urgent}, hotline {_figure(scored.hotline)}, 其他 recall {_figure(scored.other_recall)}, "
            f"intent {_figure(scored.intent)}, courtyard {_figure(scored.courtyard)}, "
            f"building {_figure(scored.building)}")


def colloquial_sets(chosen: Sequence[Path]) -> list[tuple[str, Path, Path]]:
    """(name, csv, org chart) of every set to measure."""
    if chosen:
        return [(d.name, d / "heldout.csv", d / "org.yaml") for d in chosen]
    sets = [(f"heldout/{d.name}", d / "heldout.csv", d / "org.yaml")
            for d in sorted(HELDOUT.iterdir() if HELDOUT.is_dir() else []) if (d / "heldout.csv").is_file()]
    return [*sets, ("dev (old, written with the rules)", *DEV),
            ("fixture (format check)", FIXTURE / "heldout.csv", FIXTURE / "org.yaml")]


def misses(rows: list[dict[str, str]], analyses: list[Analysis]) -> list[str]:
    """One line per message whose category, urgency, intent or courtyard differs from the set's."""
    lines = []
    for row, analysis in zip(rows, analyses, strict=True):
        expected, got = [], []
        for column, value in (("label", analysis.category), ("urgent", str(int(analysis.urgent))),
                              ("intent", analysis.intent), ("courtyard", analysis.courtyard or "")):
            if column in row and row[column] != value:
                expected.append(f"{column}={row[column] or '-'}")
                got.append(value or "-")
        if expected:
            lines.append(f"  miss: {row['text']!r}: expected {', '.join(expected)}; got {', '.join(got)}")
    return lines


def per_message_seconds(functions: Sequence[Callable[[str], object]], texts: Sequence[str],
                        repeats: int) -> list[float]:
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="cold-start runs per command (median)")
    parser.add_argument("--repeats", type=int, default=7, help="latency passes (best)")
    parser.add_argument("--set", type=Path, action="append", default=[], dest="sets",
                        help="a folder with heldout.csv and org.yaml (repeatable); default: all")
    parser.add_argument("--skip-formal", action="store_true", help="leave out the formal test and its baseline")
    parser.add_argument("--misses", metavar="SET", default=None,
                        help="also list the misses (text, expected, got) of the held-out set of this folder name")
    args = parser.parse_args()

    if not args.skip_formal:
        test_examples = read_examples(CORPUS / "test.csv")
        report_formal = evaluate(Analyzer(), test_examples)
        print(f"test.csv ({report_formal.total}): shipped accuracy {report_formal.accuracy:.4f}, "
              f"macro-F1 {report_formal.macro_f1:.4f}")
        base_accuracy, base_f1 = baseline(read(CORPUS / "train.csv"), read(CORPUS / "test.csv"))
        print(f"test.csv: baseline TF-IDF(jieba words) + LinearSVC accuracy {base_accuracy:.4f}, "
              f"macro-F1 {base_f1:.4f}")
        print(f"  shipped - baseline macro-F1: {report_formal.macro_f1 - base_f1:+.4f} "
              f"(guard: >= 0.915 and >= +0.02)")

    chat_texts: list[str] = []
    for name, path, org in colloquial_sets(args.sets):
        analyzer = Analyzer(places_from_file(org))
        rows = read(path)
        analyses = [analyzer.analyze(r["text"]) for r in rows]
        print(report(score(name, rows, analyses)), flush=True)
        if args.misses is not None and path.parent.name == args.misses and path.parent.parent == HELDOUT:
            print("\n".join(misses(rows, analyses)), flush=True)
        chat_texts += [r["text"] for r in rows]

    analyzer = Analyzer()
    jieba.lcut(chat_texts[0])  # load the global dictionary before timing
    ours, bare = per_message_seconds((analyzer.analyze, jieba.lcut), chat_texts, args.repeats)
    print(f"latency on {len(chat_texts)} chat messages: analyze {ours * 1e3:.3f} ms/msg, "
          f"bare jieba.lcut {bare * 1e3:.3f} ms/msg, ratio {ours / bare:.2f} (target <= 3)")

    script = shutil.which("courtyard")
    registered = script is not None and subprocess.run(
        [script, "classify", "x"], capture_output=True, cwd=ROOT).returncode == 0
    classify = [script, "classify", "x"] if script and registered else CLASSIFY_FALLBACK
    jieba_only, ours_cold = median_seconds((JIEBA_ONLY, classify), args.runs)
    label = "courtyard classify x" if registered else "run_classify(['x']) via python -c"
    print(f"cold start (median of {args.runs}): {label} {ours_cold:.3f} s, jieba-only {jieba_only:.3f} s, "
          f"ratio {ours_cold / jieba_only:.2f} (target <= 1.5)")
    shipped = (ARTEFACT, CHAT_ARTEFACT, WORDS, COUNTS)
    size = sum(path.stat().st_size for path in shipped)
    print(f"artefacts {' + '.join(str(path.relative_to(ROOT)) for path in shipped)}: {size / 1e6:.2f} MB "
          "(target <= 10; the last two are jieba's dictionary, shipped compactly)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
