"""Baseline for bench/webhook.py and bench/intake.py: a bare WeRoBot echo bot on waitress, the least a webhook can do.

Usage: python bench/echo_bot.py PORT TOKEN [--jieba]  (--jieba: load jieba's dictionary first, for memory figures)
"""

from __future__ import annotations

import sys

from waitress import serve
from werobot import WeRoBot

# No session storage: WeRoBot's default keeps one in a SQLite file and commits it on every message.
robot = WeRoBot(token=sys.argv[2], SESSION_STORAGE=False)


@robot.text
def echo(message):  # type: ignore[no-untyped-def]
    return message.content


if __name__ == "__main__":
    if "--jieba" in sys.argv[3:]:  # the memory baseline of bench/intake.py: WeRoBot with jieba's dictionary loaded
        import jieba

        jieba.initialize()
    serve(robot.wsgi, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
