"""Writing the ledger to a file: CSV that Excel opens in Chinese, or an .xlsx workbook.

Residents wrote the contents, so nothing from them may become a spreadsheet formula.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from handlers.ledger import Cell

FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TIME_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_TITLE = "台账"
# Widths in characters (a Chinese character is about two): dates fit, the text column shows a line's worth.
COLUMN_WIDTHS = {"编号": 8, "状态": 16, "类别": 12, "紧急原因": 16, "社区": 12, "院落": 12, "内容": 60} | {
    name: 17 for name in ("反映时间", "受理时间", "截止时间", "办结时间", "完结时间")
}
_DEFAULT_WIDTH = 10


def write_ledger(rows: Iterable[Sequence[Cell]], columns: Sequence[str], path: Path, fmt: str) -> int:
    """Write header and rows to path (atomically: a failed export leaves no half-written file); rows written."""
    writer: Callable[[Iterable[Sequence[Cell]], Sequence[str], Path], int]
    writer = {"csv": _write_csv, "xlsx": _write_xlsx}[fmt]
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    os.close(handle)
    try:
        count = writer(rows, columns, Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _text(value: str) -> str:
    """A cell text that a spreadsheet shows as typed (OWASP's guard against CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_value(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return _text(value) if isinstance(value, str) else value


def _write_csv(rows: Iterable[Sequence[Cell]], columns: Sequence[str], path: Path) -> int:
    count = 0
    # UTF-8 with a byte-order mark: Excel on Windows reads Chinese correctly only with it.
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def _write_xlsx(rows: Iterable[Sequence[Cell]], columns: Sequence[str], path: Path) -> int:
    import xlsxwriter  # here, not at the top: a serving process that never exports does not hold it

    # constant_memory streams each row to disk as it is written: memory stays flat on a large ledger.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet(SHEET_TITLE)
        sheet.freeze_panes(1, 0)
        time_format = workbook.add_format({"num_format": _TIME_FORMAT})
        for column, name in enumerate(columns):
            sheet.set_column(column, column, COLUMN_WIDTHS.get(name, _DEFAULT_WIDTH))
        sheet.write_row(0, 0, columns, workbook.add_format({"bold": True}))
        count = 0
        for count, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(count, column, value, time_format)
                elif isinstance(value, str):
                    sheet.write_string(count, column, value)  # never a formula, whatever it starts with
                elif value is not None:
                    sheet.write_number(count, column, value)
        sheet.autofilter(0, 0, count, len(columns) - 1)
    finally:
        workbook.close()
    return count
