"""The local journal: records survive in order, a torn last line costs only itself, removal is by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.journal import Journal, JournalError


def test_records_come_back_in_order_and_leave_by_key(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "inbox.jsonl")
    assert journal.is_empty() and journal.records() == []
    for i in range(3):
        journal.append({"key": f"msg:{i}", "text": f"第{i}条"})
    assert [r["key"] for r in journal.records()] == ["msg:0", "msg:1", "msg:2"]
    assert journal.find("msg:1") == {"key": "msg:1", "text": "第1条"}
    journal.remove({"msg:0", "msg:2"})
    assert [r["key"] for r in journal.records()] == ["msg:1"]
    journal.remove({"msg:1"})
    assert journal.is_empty()


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "inbox.jsonl"
    journal = Journal(path)
    journal.append({"key": "msg:1"})
    with path.open("ab") as file:
        file.write(b'{"key": "msg:torn", "te')  # a crash in the middle of a write
    journal.append({"key": "msg:2"})
    assert [r["key"] for r in journal.records()] == ["msg:1", "msg:2"]


def test_an_unwritable_place_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(JournalError):
        Journal(tmp_path / "file" / "inbox.jsonl").append({"key": "msg:1"})
