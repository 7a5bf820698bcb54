"""`courtyard hot`: the hot issues as JSON lines, from the ledger or from a CSV of messages (a public corpus)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from nlp.hot import HotIssue, Message, group
from nlp.segment import Segmenter


def print_hot(issues: Iterable[HotIssue]) -> None:
    """One JSON object per issue (DESIGN §4): title, count, ids, place, and people, first, last."""
    for issue in issues:
        line = {
            "title": issue.title,
            "count": issue.count,
            "people": issue.people,
            "ids": [int(i) if i.isdigit() else i for i in issue.ids],
            "place": issue.place,
            "first": issue.first.isoformat() if issue.first else None,
            "last": issue.last.isoformat() if issue.last else None,
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)


def read_messages(path: Path) -> list[Message]:
    """Messages of a CSV with `id` and `text` or `subject`+`detail`; `user` and `time` are used when present."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or ())
        if "id" not in columns or not ({"text"} <= columns or {"subject", "detail"} <= columns):
            found = "、".join(sorted(columns))
            raise ValueError(f"{path}：需要 id 列，以及 text 列或 subject 和 detail 两列（文件里的列：{found}）")
        messages = []
        for row in reader:
            subject = row.get("subject") or row.get("text") or ""
            messages.append(
                Message(
                    id=(row.get("id") or "").strip(),
                    subject=subject,
                    detail=row.get("detail") or "",
                    person=(row.get("user") or "").strip() or None,
                    at=_time(row.get("time")),
                )
            )
    return messages


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def run_hot_csv(path: Path, *, days: int | None, top: int) -> int:
    """Print the hot issues of a CSV; with days, only messages that many days before its newest one."""
    try:
        messages = read_messages(path)
    except (OSError, ValueError, csv.Error) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if days is not None:
        newest = max((m.at for m in messages if m.at), default=None)
        if newest is not None:
            messages = [m for m in messages if m.at and m.at >= newest - timedelta(days=days)]
    print_hot(group(messages, segmenter=Segmenter())[:top])
    return 0
