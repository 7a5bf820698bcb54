"""Normalisation: any script, any width, Latin word boundaries, and input that is not text at all."""

from __future__ import annotations

import pytest

from nlp import Analyzer
from nlp.text import normalize


def test_traditional_becomes_simplified() -> None:
    assert normalize("聞到煤氣味了 東風小區3棟") == "闻到煤气味了东风小区3栋"


def test_latin_words_keep_their_boundaries_and_chinese_loses_spaces() -> None:
    assert normalize("the  street light 桂花苑 3 栋") == "the street light桂花苑3栋"


def test_full_width_folds_to_half_width() -> None:
    assert normalize("ＷｉＦｉ坏了　３栋") == "wifi坏了3栋"


@pytest.mark.parametrize("text", ["a\ud800b", "a\x07b", "a\u200bb", "a\ufeffb"])
def test_lone_surrogates_and_invisible_characters_are_dropped(text: str) -> None:
    assert normalize(text) == "ab"


def test_courtyard_found_in_traditional_text_and_traditional_aliases() -> None:
    from nlp import Place

    analyzer = Analyzer((Place("东风院", ("东风小区",)), Place("銀杏苑", ("銀杏小區",))))
    assert analyzer.analyze("聞到煤氣味了 東風小區3棟").courtyard == "东风院"
    assert analyzer.analyze("银杏小区路灯坏了").courtyard == "銀杏苑"
    assert analyzer.analyze("聞到煤氣味了 東風小區3棟").building == "3栋"


def test_english_words_are_tokens(analyzer: Analyzer) -> None:
    tokens = analyzer.analyze("Hi, the street light near Guihua garden is broken, 桂花苑3栋门口 please fix asap").tokens
    assert "street" in tokens and "light" in tokens and "broken" in tokens
