"""Print the table of pinyin-keyboard typos of danger words that nlp/urgency.py's _TYPOS holds.

A resident typing 着火 on a pinyin keyboard may pick a homophone (着伙): the second character of a
danger word replaced by a character with the same main reading (the first, kept, anchors the word, so
a typo's character cannot join the text before it: 这时火车 is no 失火). A variant is kept when the character is a
common simplified one (GB2312, count ≥ 500 in jieba's dictionary) and the variant is no word of
jieba's dictionary and occurs nowhere in the training corpora (colloquial and formal), so ordinary
text never holds it. Needs pypinyin (a dependency); run `python scripts/danger_typos.py`.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from pathlib import Path

import jieba
from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

from nlp.urgency import TYPO_WORDS

ROOT = Path(__file__).resolve().parents[1]
CORPORA = (ROOT / "data" / "colloquial" / "train.csv", ROOT.parent / "shared" / "data" / "messages" / "train.csv")


def _common(ch: str, counts: dict[str, int]) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return counts.get(ch, 0) >= 500


def main() -> None:
    counts: dict[str, int] = {}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, count, *_ = line.split()
            counts[word] = int(count)
    seen = ""
    for path in CORPORA:
        if path.exists():
            with path.open(encoding="utf-8", newline="") as f:
                seen += "\n".join(" ".join(row) for row in csv.reader(f))
    by_reading: dict[str, set[str]] = defaultdict(set)
    for code in pinyin_dict:
        ch = chr(code)
        if _common(ch, counts):
            by_reading[lazy_pinyin(ch)[0]].add(ch)
    for word in TYPO_WORDS:
        readings = lazy_pinyin(word)
        variants = [word[0] + h for h in sorted(by_reading[readings[1]]) if h != word[1]]
        kept = [v for v in variants if counts.get(v, 0) == 0 and v not in seen]
        print(f'    "{word}": "{" ".join(kept)}",')


if __name__ == "__main__":
    main()
