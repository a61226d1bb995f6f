"""Regenerate tests/data/comments.xlsx (committed; run only to change it).

    python tests/data/make_xlsx.py

The sheet looks like the ones bureaus send: the header cell 意见内容 is merged across two
columns (C1:D1, so D1 is empty), some cells are empty, row 5 is empty, and row 12 holds
only a formatted empty cell, as Excel leaves behind after content is deleted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

HERE = Path(__file__).resolve().parent

HEADER = ["编号", "乡镇", "意见内容", None, "日期"]
ROWS = [
    [1, "城关镇", "民警帮忙找回了走失的老人，全家人非常感激。", None, dt.datetime(2024, 7, 1)],
    [
        2,
        "桃源镇",
        "驾驶证换证要排很久的队，建议开通网上预约。",
        "已在12345反映过",
        dt.datetime(2024, 7, 2),
    ],
    [3, None, "夜市周边停车乱，交警很少来管。", None, dt.datetime(2024, 7, 3)],
    None,  # an empty row
    [4, "青山乡", "派出所同志上门为残疾人办理身份证，服务到家。", None, None],
    [
        5,
        "河西乡",
        "有人在微信群里发布虚假招工信息骗钱，希望警方查处。",
        "附聊天截图",
        dt.datetime(2024, 7, 5),
    ],
    [6, "白沙镇", "辅警执勤时态度粗暴，说话难听。", "", dt.datetime(2024, 7, 6)],
]


def build(path: Path) -> None:
    """Write the golden workbook to ``path``."""
    wb = Workbook()
    ws = wb.active
    ws.title = "意见汇总"
    ws.append(HEADER)
    ws.merge_cells("C1:D1")
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in ROWS:
        ws.append(row or [])
    # A formatted but empty cell far below the data: a trailing empty row.
    ws["A12"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.create_sheet("说明").append(["本表由测试脚本生成"])
    stamp = dt.datetime(2024, 8, 1, 9, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(path)


if __name__ == "__main__":
    build(HERE / "comments.xlsx")
