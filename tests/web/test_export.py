"""`courtyard export`: the ledger a leader opens in a spreadsheet, built from real conversations."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from handlers.ledger import COLUMNS
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say

COURTYARD = str(Path(sys.executable).parent / "courtyard")
FORMULA = '=HYPERLINK("http://evil.example","点我")桂花院子路灯坏了'


def export(server: Running, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    env |= {"COURTYARD_DB_URL": server.settings.courtyard_db_url, "COURTYARD_TZ": "Asia/Shanghai"}
    return subprocess.run(
        [COURTYARD, "export", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def file_some(server: Running) -> tuple[int, int, int]:
    lamp = number_in(say(server, "o_res_a", "桂花院子3栋门口的路灯坏了，晚上黑黢黢的"))
    say(server, "o_res_b", "桂花苑3栋门口那个路灯不亮了")  # 附议 on the same ticket
    gas = number_in(say(server, "o_res_c", "银杏院2单元楼道里有好大一股煤气味"))
    formula = number_in(say(server, "o_res_d", FORMULA))
    say(server, "o_lifang", f"受理 {lamp}")
    say(server, "o_lifang", f"办结 {lamp} 路灯已更换")
    return lamp, gas, formula


def test_csv_export_opens_in_excel_and_shows_what_people_did(
    server: Running, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    lamp, gas, formula = file_some(server)
    out = tmp_path / "ledger.csv"
    result = export(server, tmp_path, "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"已导出 3 件诉求到 {out}（csv）"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read Chinese
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert tuple(rows[0]) == COLUMNS
    by_number = {int(r["编号"]): r for r in rows}
    assert list(by_number) == [lamp, gas, formula]
    first = by_number[lamp]
    assert (first["状态"], first["院落"], first["社区"], first["负责人"]) == (
        "已办结，待评价",
        "桂花苑",
        "幸福社区",
        "李芳",
    )
    assert (first["类别"], first["反映人数"], first["来源"]) == ("城乡建设", "2", "居民反映")
    assert first["反映时间"] == "2026-11-24 10:00" and first["办结时间"] == "2026-11-24 10:00"
    assert by_number[gas]["紧急"] == "是" and "燃气" in by_number[gas]["紧急原因"]
    assert by_number[formula]["内容"] == "'" + FORMULA  # shown as text, never run as a formula


def test_xlsx_export_keeps_times_as_dates_and_text_as_text(
    server: Running, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    lamp, _, formula = file_some(server)
    out = tmp_path / "台账.xlsx"
    result = export(server, tmp_path, "-o", str(out))  # the format follows the file name
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out)["台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS and len(rows) == 4
    header = {name: i for i, name in enumerate(COLUMNS)}
    first = rows[1]
    assert first[header["编号"]] == lamp and first[header["反映时间"]].isoformat() == "2026-11-24T10:00:00"
    last = sheet.cell(row=4, column=header["内容"] + 1)
    assert last.value == FORMULA and last.data_type == "s"
    assert rows[3][header["编号"]] == formula


def test_export_refuses_unknown_formats_and_folders_and_leaves_nothing_behind(
    server: Running, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    unknown = export(server, tmp_path, "-o", str(tmp_path / "ledger.pdf"))
    assert unknown.returncode == 2 and "csv 或 xlsx" in unknown.stderr
    missing = export(server, tmp_path, "-o", str(tmp_path / "nowhere" / "ledger.csv"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr
    empty = export(server, tmp_path, "--format", "CSV", "-o", str(tmp_path / "empty.csv"))
    assert empty.returncode == 0 and "已导出 0 件诉求" in empty.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".", "ledger", "empty"))) == ["empty.csv"]
