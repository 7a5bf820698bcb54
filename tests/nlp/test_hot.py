"""Hot issues: the same thing at the same place groups across people and days; other places do not join."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nlp.hot import Message, find_places, group
from nlp.segment import Segmenter

COURTYARD = str(Path(sys.executable).parent / "courtyard")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "hot" / "messages.csv"
DAY = datetime(2019, 8, 1, 9, 0, tzinfo=UTC)


def message(n: int, subject: str, person: str | None = None, days: int = 0) -> Message:
    return Message(id=str(n), subject=subject, person=person or f"u{n}", at=DAY + timedelta(days=days))


def test_the_same_complaint_from_several_people_is_one_hot_issue() -> None:
    messages = [
        message(1, "A5区魅力之城小区临街门面油烟直排扰民", days=0),
        message(2, "A5区魅力之城小区底层餐馆油烟扰民", days=3),
        message(3, "A5区魅力之城小区一楼夜宵摊油烟扰民", days=9),
        message(4, "润芳园小区临街门面油烟直排扰民", days=2),  # the same thing at another place
        message(5, "A2区丽发新城附近修建搅拌站，噪音扰民", days=1),
        message(6, "丽发新城小区旁边的搅拌站噪音太大了", days=4),
        message(7, "暮云街道丽发新城搅拌站灰尘噪音污染", person="u6", days=6),  # u6 again: one person
        message(8, "咨询公积金贷款额度怎么算"),
    ]
    issues = group(messages, segmenter=Segmenter())
    assert [sorted(issue.ids) for issue in issues] == [["1", "2", "3"], ["5", "6", "7"]]
    first, second = issues
    assert (first.count, first.people, first.place) == (3, 3, "魅力之城")
    assert (second.count, second.people, second.place) == (3, 2, "丽发新城")  # most people first
    assert first.first == DAY and first.last == DAY + timedelta(days=9)


def test_on_a_short_ledger_one_courtyard_s_different_problems_stay_apart() -> None:
    """A ledger's tickets all name their courtyard: sharing it is not enough, the problem must be alike too."""

    def at_courtyard(n: int, text: str, courtyard: str = "银杏院") -> Message:
        return Message(id=str(n), subject=text, person=f"u{n}", at=DAY + timedelta(days=n), place=courtyard)

    messages = [
        at_courtyard(1, "银杏院2单元下水道堵了"),
        at_courtyard(2, "银杏院门口路面塌了个坑"),
        at_courtyard(3, "银杏院3栋路灯坏了"),
        at_courtyard(4, "银杏院3栋水管坏了"),
        at_courtyard(5, "银杏院3栋路灯晚上不亮"),
        at_courtyard(6, "银杏院5栋路灯坏了好几天了"),
        at_courtyard(7, "银杏院下水道又堵了，污水冒到路上"),
    ]
    issues = group(messages, segmenter=Segmenter())
    assert sorted(sorted(issue.ids) for issue in issues) == [["1", "7"], ["3", "5", "6"]]


def test_places_are_names_not_generic_words() -> None:
    assert find_places("A5区劳动东路魅力之城小区临街门面油烟扰民") == ["劳动东路", "魅力之城"]
    assert find_places("请问我们小区附近的路什么时候修") == []


def run_hot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    return subprocess.run([COURTYARD, "hot", *args], env=env, capture_output=True, text=True, timeout=300)


def test_courtyard_hot_reads_a_csv_with_text_or_subject_and_detail(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "id,text\n1,桂花苑3栋门口的路灯坏了\n2,桂花苑3栋门口路灯不亮\n3,银杏院垃圾没人收\n", encoding="utf-8"
    )
    result = run_hot("--csv", str(plain))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 1 and lines[0]["ids"] == [1, 2] and lines[0]["count"] == 2 and lines[0]["place"] == "桂花苑"
    assert {"title", "count", "ids", "place"} <= set(lines[0])
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("number,words\n1,x\n", encoding="utf-8")
    refused = run_hot("--csv", str(wrong))
    assert refused.returncode == 2 and "需要 id 列" in refused.stderr and not refused.stdout


@pytest.mark.skipif(not CORPUS.exists(), reason="the public corpus lives in ../shared/data")
def test_the_public_corpus_top_issues_are_the_known_ones() -> None:
    """附件3 (4 326 messages): its best-known hot issues, each checked by its own key words."""
    result = run_hot("--csv", str(CORPUS), "--top", "5")
    assert result.returncode == 0, result.stderr
    top = [json.loads(line) for line in result.stdout.splitlines()]
    rows = {r["id"]: r for r in _corpus()}

    def share(issue: dict[str, object], words: tuple[str, ...]) -> float:
        ids = issue["ids"]
        assert isinstance(ids, list)
        texts = [rows[str(i)]["subject"] + rows[str(i)]["detail"] for i in ids]
        return sum(any(w in t for w in words) for t in texts) / len(texts)

    # The five known issues: 伊景园滨河苑 parking spaces sold with flats, the mixing plant by 丽发新城, the
    # shops under 魅力之城 (smoke and noise), the 58车贷 fraud case, students sent to work by 经济学院.
    for words in [("伊景园", "滨河苑"), ("丽发新城",), ("魅力之城",), ("58车",), ("经济学院",)]:
        best = max(top, key=lambda issue: share(issue, words))
        assert best["count"] >= 9 and share(best, words) >= 0.75, (words, best["title"], share(best, words))


def _corpus() -> list[dict[str, str]]:
    import csv

    with CORPUS.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))
