"""The regex prefilter only skips rules that cannot match, so the analyzer answers exactly as when
every rule is run: checked on every row of the colloquial training corpus."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from nlp import Analyzer, urgency
from nlp import intent as intent_rules
from nlp.prefilter import Guarded, Prefilter, need
from nlp.text import gloss, normalize, unglossed

TRAIN = Path(__file__).resolve().parents[2] / "data" / "colloquial" / "train.csv"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    with TRAIN.open(encoding="utf-8", newline="") as handle:
        rows = [row["text"] for row in csv.DictReader(handle)]
    assert len(rows) > 1500
    return rows


def _full_output(analyzer: Analyzer, text: str) -> tuple[object, ...]:
    a = analyzer.analyze(text)
    return (a.category, a.confidence, a.urgent, a.urgent_reason, a.hotline, a.intent, a.courtyard, a.building,
            a.needs_triage, a.tokens)


def test_needs_are_read_from_the_parse_tree() -> None:
    found = need(re.compile(r"(?:电梯|扶梯)[^，]{0,6}(?:困|关)(?:了)?人"))
    # one alternative: one of each set, the most telling (longest strings, then fewest) first
    assert found is not None and found.clauses() == [[frozenset({"电梯", "扶梯"}), frozenset({"人"}),
                                                      frozenset({"困", "关"})]]
    assert need(re.compile(r"a?|b")) is None  # matches the empty string: nothing is needed
    assert need(re.compile(r"(?i)abc")) is None  # case folded: literal strings would not hold
    assert need(re.compile(r"(?<!被)[^x]{1,3}")) is None


def test_a_pattern_without_its_strings_is_ruled_out_and_one_with_them_is_kept() -> None:
    patterns = [re.compile(r"着火|起火"), re.compile(r"电梯.{0,4}困人"), re.compile(r"\d+")]
    prefilter = Prefilter(patterns)
    assert prefilter.possible("楼下起火了") == [0, 2]
    assert prefilter.possible("电梯坏了") == [2]  # 电梯 without 困人: no match possible
    assert prefilter.possible("电梯里困人了") == [1, 2]
    assert Guarded(patterns[1]).search("电梯坏了") is None
    match = Guarded(patterns[1]).search("电梯里又困人了")
    assert match is not None and match.group() == "电梯里又困人"


def test_every_match_of_every_rule_is_among_the_possible(texts: list[str]) -> None:
    situations = [s.pattern for s in urgency._SITUATIONS]
    guarded = [intent_rules._PROGRESS_GUARDED, intent_rules._QUESTION_GUARDED]
    missed = []
    for text in texts:
        cleaned = gloss(normalize(text))
        for part in (unglossed(cleaned), *re.split(r"[。！？；.!?;\n]+", unglossed(cleaned))):
            possible = set(urgency._POSSIBLE.possible(part))
            missed += [(text, i) for i, p in enumerate(situations) if i not in possible and p.search(part)]
        missed += [(text, g.pattern.pattern[:20]) for g in guarded
                   if g.search(cleaned) is None and g.pattern.search(cleaned) is not None]
    assert missed == []


def test_the_analyzer_answers_as_with_every_rule_run(analyzer: Analyzer, texts: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [_full_output(analyzer, text) for text in texts]
    monkeypatch.setattr(Prefilter, "possible", lambda self, text: list(range(self._count)))
    every_rule = [_full_output(analyzer, text) for text in texts]
    assert sum(output[2] for output in fast) > 100  # the corpus holds emergencies: the rules were exercised
    differing = [(text, f, e) for text, f, e in zip(texts, fast, every_rule, strict=True) if f != e]
    assert differing == []
