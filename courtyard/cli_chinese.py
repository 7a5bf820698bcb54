"""Typer's own texts in Chinese: usage lines, help panels, the help option and usage errors.

Typer 0.29 carries its own copy of click without click's gettext hooks, so there is no message
catalogue to install; instead this module uses Typer's extension points — command and group classes
(`cls=`), the usage metavars, and rich_utils' panel titles — and turns each usage error, by its class,
into a Chinese sentence. tests/courtyard/test_cli_chinese.py runs every command's help and every kind
of mistake and fails on any English word, so a Typer upgrade that moves a text is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer
from typer import rich_utils
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

# Typer's rich help reads these module constants each time it prints.
rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.ERRORS_PANEL_TITLE = "出错了"
rich_utils.ABORTED_TEXT = "已取消。"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
rich_utils.DEPRECATED_STRING = "（已弃用）"
rich_utils.RICH_HELP = "运行 [blue]{command_path} {help_option}[/] 查看用法。"

USAGE_PREFIX = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
HELP_OPTION = "显示本帮助并退出。"
# What a value should be, by the annotation's type, shown beside an option and in errors.
TYPE_NAMES = {"int": "整数", "float": "数字", "str": "文本", "Path": "路径", "datetime": "日期时间"}
_EXTRA = re.compile(r"^Got unexpected extra argument(s|\(s\))? \((?P<args>.*)\)$")
_NO_COMMAND = re.compile(r"^No such command '(?P<name>.*?)'\.( Did you mean (?P<guess>.*)\?)?")
_NEEDS_VALUE = re.compile(r"requires (an argument|\d+ arguments)")
_NO_VALUE = re.compile(r"does not take a value")


def _hint(error: typer.BadParameter) -> str:
    """The option or argument the error is about, as the person typed it (`--port`, `文件`)."""
    param = error.param
    if param is None:
        return str(error.param_hint or "")
    if param.param_type_name == "argument":
        return str(param.metavar or param.name or "").removesuffix("...")
    return " / ".join(param.opts)


def _expected(error: typer.BadParameter) -> str:
    param = error.param
    if param is None:
        return ""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return "，只能是 " + "、".join(str(c) for c in choices)
    name = TYPE_NAMES.get(param.bare_type()) if hasattr(param, "bare_type") else None
    return f"，应是{name}" if name and name != "文本" else ""


def chinese_message(error: Any) -> str:
    """A usage error's message in Chinese, chosen by its class (and, for plain usage errors, its text)."""
    kind = type(error).__name__
    if kind == "NoSuchOption":
        possible = getattr(error, "possibilities", None) or []
        guess = f"，您是不是想用 {'、'.join(sorted(possible))}？" if possible else "。"
        return f"没有 {error.option_name} 这个选项{guess}"
    if kind == "MissingParameter":
        what = "参数" if error.param is not None and error.param.param_type_name == "argument" else "选项"
        return f"缺少{what} {_hint(error)}。"
    if kind == "BadParameter":
        return f"{_hint(error)} 的值不对{_expected(error)}。"
    if kind == "BadOptionUsage":
        name = getattr(error, "option_name", "")
        if _NEEDS_VALUE.search(error.message):
            return f"选项 {name} 后面要跟一个值。"
        if _NO_VALUE.search(error.message):
            return f"选项 {name} 后面不用写值。"
        return f"选项 {name} 用法不对。"
    if (extra := _EXTRA.match(error.message)) is not None:
        return f"多出了参数：{extra.group('args')}。"
    if (missing := _NO_COMMAND.match(error.message)) is not None:
        guess = (missing.group("guess") or "").replace("'", "").replace(", ", "、")
        return f"没有 {missing.group('name')} 这个命令" + (f"，您是不是想用 {guess}？" if guess else "。")
    if kind == "BadArgumentUsage":
        return "参数的个数不对。"
    return str(error.message)


class _Chinese:
    """Shared by commands and groups: the usage line, the help option and usage errors in Chinese."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def get_usage(self, ctx: Any) -> str:
        return str(super().get_usage(ctx)).replace("Usage: ", USAGE_PREFIX, 1)  # type: ignore[misc]

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION
            option.metavar = ""
        return option

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if param.metavar is None and param.param_type_name == "option":  # arguments name theirs in cli.py
                name = TYPE_NAMES.get(param.bare_type(), "值") if hasattr(param, "bare_type") else "值"
                param.metavar = "" if getattr(param, "is_flag", False) else name
            elif param.param_type_name == "argument":  # its Chinese name says what it is; no Python type beside it
                param.display_type_rich = _no_type
        return params

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return list(super().parse_args(ctx, args))  # type: ignore[misc]
        except typer.BadParameter as error:
            raise _in_chinese(error) from None
        except Exception as error:
            if type(error).__name__ == "NoArgsIsHelpError" or not _is_usage_error(error):
                raise
            raise _in_chinese(error) from None


def _no_type(ctx: Any) -> None:
    return None


def _is_usage_error(error: Exception) -> bool:
    return any(cls.__name__ == "UsageError" for cls in type(error).__mro__)


def _in_chinese(error: Any) -> Any:
    """A plain usage error (its usage line and help hint kept) carrying the Chinese message."""
    usage_error = next(cls for cls in type(error).__mro__ if cls.__name__ == "UsageError")
    translated = usage_error(chinese_message(error), ctx=error.ctx)
    translated.exit_code = error.exit_code
    return translated


class ChineseCommand(_Chinese, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR


class ChineseGroup(_Chinese, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as error:
            if not _is_usage_error(error):
                raise
            raise _in_chinese(error) from None


class ChineseTyper(typer.Typer):
    """typer.Typer whose commands and groups speak Chinese; no shell-completion options (English only)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", ChineseGroup)
        kwargs.setdefault("add_completion", False)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", ChineseCommand)
        return super().command(*args, **kwargs)
