"""Every `courtyard` command's help and usage errors in Chinese: no English from Typer or click."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.courtyard.test_cli import COURTYARD, env_for

COMMANDS = ("", "serve", "hot", "classify", "eval", "sweep", "export", "org", "org import", "cadre", "cadre invite")
COMMANDS += ("user", "user add")
# English a person may read in our own texts: command and column names, formats, products.
OURS = {"courtyard", "serve", "hot", "classify", "eval", "sweep", "export", "org", "import", "cadre", "invite"}
OURS |= {"user", "add", "admin", "leader", "text", "label", "subject", "detail", "wechat", "login", "csv", "xlsx"}
OURS |= {"CSV", "JSON", "YAML", "HTTP", "PostgreSQL", "ISO-", "DESIGN.md", "frob", "servee", "nope", "abc", "b.yaml"}
TYPER_ENGLISH = ("Usage", "Options", "Arguments", "Commands", "Show this message", "Error", "Missing", "No such")
TYPER_ENGLISH += ("Try ", "Got unexpected", "Invalid value", "required", "default", "Did you mean", "requires")
TYPER_ENGLISH += ("<bool>", "<str>", "<path>", "<int>", "list[", "completion", "Traceback")


def courtyard(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COURTYARD, *args],
        cwd=tmp_path,
        env=env_for(tmp_path, COLUMNS="100"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def english_in(text: str) -> list[str]:
    """English words in text that are not ours (options like --port are ours too)."""
    words = re.findall(r"[A-Za-z][A-Za-z_.-]{2,}", re.sub(r"--?[a-z][a-z-]*", "", text))
    return sorted({w for w in words if w not in OURS} | {p for p in TYPER_ENGLISH if p in text})


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_is_in_chinese(tmp_path: Path, command: str) -> None:
    result = courtyard(tmp_path, *command.split(), "--help")
    assert result.returncode == 0, result.stderr
    assert "用法：courtyard" in result.stdout and "显示本帮助并退出。" in result.stdout
    assert english_in(result.stdout + result.stderr) == [], result.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("sweep", "--nope"), "没有 --nope 这个选项"),
        (("sweep", "--at"), "选项 --at 后面要跟一个值"),
        (("org", "import"), "缺少参数 文件"),
        (("org", "import", "a.yaml", "b.yaml"), "多出了参数：b.yaml"),
        (("serve", "--port", "abc"), "--port 的值不对，应是整数"),
        (("hot", "--top", "0"), "--top 的值不对"),
        (("frob",), "没有 frob 这个命令"),
        (("servee",), "您是不是想用 serve"),
        (("user", "add", "bob"), "缺少选项 --role"),
        (("org",), "用法：courtyard org"),
    ],
)
def test_usage_errors_are_in_chinese(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    result = courtyard(tmp_path, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    output = result.stdout + result.stderr
    assert said in output, output
    assert english_in(output) == [], output
