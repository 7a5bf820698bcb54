"""The shipped compact dictionary: built from jieba's dict.txt, and cutting exactly as jieba's own Tokenizer."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import jieba
import pytest

from nlp.dictionary import COUNTS, WORDS, CompactTokenizer, build
from nlp.lexicon import DOMAIN_WORDS

CORPUS = Path(__file__).resolve().parents[2] / "data" / "colloquial" / "train.csv"
ODD = [
    "",
    "中华人民共和国万岁",
    "Hi, the street light near Guihua garden is broken, 桂花苑3栋门口 please fix asap",
    "聞到煤氣味了 東風小區3棟",
    "😀😀😀",
    "12345678901234567890",
    "啊" * 300,
    "路灯路灯路灯坏了坏了\t\n化粪池满了\x00\x07",
    "飞线充电电动车楼道里占道经营噪音扰民",
]


def with_domain_words(tokenizer: jieba.Tokenizer) -> jieba.Tokenizer:
    """What nlp.segment does to its tokenizer: the default dictionary plus the domain lexicon."""
    tokenizer.initialize()
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False))
    return tokenizer


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[jieba.Tokenizer, jieba.Tokenizer]:
    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.tmp_dir = str(tmp_path_factory.mktemp("jieba-cache"))  # jieba writes its cache; keep it out of /tmp
    return with_domain_words(reference), with_domain_words(CompactTokenizer())


def test_the_shipped_files_are_built_from_jiebas_dictionary(tmp_path: Path) -> None:
    build(tmp_path)
    assert (tmp_path / WORDS.name).read_bytes() == WORDS.read_bytes()
    assert (tmp_path / COUNTS.name).read_bytes() == COUNTS.read_bytes()


def test_it_knows_what_jiebas_dictionary_knows(pair: tuple[jieba.Tokenizer, jieba.Tokenizer]) -> None:
    reference, compact = pair
    assert compact.total == reference.total
    for key in ("中华", "中华人", "中华人民共和国", "化粪池", "路灯", "不存在的词语", "x", "桂"):
        assert compact.FREQ.get(key) == reference.FREQ.get(key), key
        assert compact.FREQ.get(key, 1) == reference.FREQ.get(key, 1), key
        assert (key in compact.FREQ) == (key in reference.FREQ), key


def test_it_cuts_every_message_as_jieba_does_in_every_mode(pair: tuple[jieba.Tokenizer, jieba.Tokenizer]) -> None:
    reference, compact = pair
    with CORPUS.open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)] + ODD
    assert len(texts) > 1000
    for text in texts:
        assert compact.lcut(text) == reference.lcut(text), text
        assert compact.lcut(text, HMM=False) == reference.lcut(text, HMM=False), text
        assert compact.lcut_for_search(text) == reference.lcut_for_search(text), text
        assert compact.lcut(text, cut_all=True) == reference.lcut(text, cut_all=True), text


def test_words_added_later_are_cut_whole(pair: tuple[jieba.Tokenizer, jieba.Tokenizer]) -> None:
    compact = with_domain_words(CompactTokenizer())
    text = "幸福里小区的喵喵酱路灯坏了"
    assert "喵喵酱" not in compact.lcut(text)
    compact.add_word("喵喵酱", freq=compact.suggest_freq("喵喵酱", tune=False))
    assert "喵喵酱" in compact.lcut(text)


def test_loading_writes_nothing(tmp_path: Path) -> None:
    tokenizer = CompactTokenizer()
    tokenizer.tmp_dir = str(tmp_path)
    tokenizer.lcut("路灯坏了")
    assert list(tmp_path.iterdir()) == []
