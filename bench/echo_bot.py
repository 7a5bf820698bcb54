"""Baseline for bench/webhook.py: a bare WeRoBot echo bot on waitress, the least a webhook can do."""

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
    serve(robot.wsgi, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
