"""Scoring a labelled CSV: metrics, the report's last lines, and errors that name the row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from courtyard.nlp_commands import run_classify, run_eval
from nlp import Analyzer, Place
from nlp.evaluate import EvalError, evaluate, format_report, read_examples


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "labelled.csv"
    path.write_text(content, encoding="utf-8")
    return path


def test_report_counts_and_ends_with_accuracy_and_macro_f1(analyzer: Analyzer, tmp_path: Path) -> None:
    path = write(tmp_path, "id,text,label\n1,老板拖欠工资不发,劳动和社会保障\n2,你好,其他\n3,你好,城乡建设\n")
    report = evaluate(analyzer, read_examples(path))
    assert report.total == 3
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.recall("城乡建设") == 0.0 and report.precision("其他") == 0.5
    # macro-F1 averages over the gold classes present: (1 + 2/3 + 0) / 3
    assert report.macro_f1 == pytest.approx((1 + 2 / 3 + 0) / 3)
    lines = format_report(report)
    assert lines[-2:] == ["accuracy: 0.6667", "macro-F1: 0.5556"]


def test_run_eval_prints_the_figures_last(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "text,label\n桂花院子的化粪池堵了臭得很,城乡建设\n谢谢,其他\n")
    assert run_eval(path) == 0
    last = capsys.readouterr().out.strip().splitlines()[-2:]
    assert last == ["accuracy: 1.0000", "macro-F1: 1.0000"]


@pytest.mark.parametrize(
    ("content", "row", "words"),
    [
        ("id,text\n1,路灯坏了\n", 1, "label"),
        ("id,label\n1,城乡建设\n", 1, "text"),
        ("text,label\n路灯坏了,城乡建设\n超市卖假货,商业\n", 3, "商业"),
        ("text,label\n路灯坏了,城乡建设\n路灯坏了,城乡建设\n漏水\n", 4, "text"),
    ],
)
def test_bad_csv_names_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, row: int, words: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(EvalError) as caught:
        read_examples(path)
    assert caught.value.row == row
    assert f"第 {row} 行" in str(caught.value) and words in str(caught.value)
    assert run_eval(path) != 0
    assert f"第 {row} 行" in capsys.readouterr().err


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    assert run_eval(tmp_path / "nope.csv") != 0


def test_classify_prints_one_json_object_per_text(capsys: pytest.CaptureFixture[str]) -> None:
    run_classify(["桂花院子3栋那个化粪池又堵起了臭得很", "你好", ""], [Place("桂花苑", ("桂花小区", "桂花院子"))])
    lines = capsys.readouterr().out.strip().splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == 3
    assert objects[0]["category"] == "城乡建设" and objects[0]["courtyard"] == "桂花苑"
    assert "桂花院子" in objects[0]["tokens"]
    assert {"tokens", "category", "confidence", "urgent", "urgent_reason", "hotline", "courtyard"} <= objects[0].keys()
    assert [o["category"] for o in objects[1:]] == ["其他", "其他"]
    assert "化粪池" in lines[0]  # ensure_ascii=False
