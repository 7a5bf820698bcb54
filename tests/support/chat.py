"""Small helpers for reading chat replies in tests."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"编号 (\d+)")


def number_in(text: str | None) -> int:
    """The ticket number a reply or push names; fails the test when there is none."""
    assert text is not None, "no reply text"
    match = _NUMBER.search(text)
    assert match, f"no 编号 in {text!r}"
    return int(match.group(1))
