from __future__ import annotations

import filecmp

import pytest

from pipeline.workspace import (
    WorkspaceError,
    default_unit_rows,
    init_workspace,
    load_units,
    open_workspace,
    write_units_xlsx,
)

from .conftest import REPO


def test_repository_root_is_a_ready_workspace_with_the_defaults(tmp_path):
    ws = open_workspace(REPO)
    assert ws.round.deadline.isoformat() == "2026-05-15"
    assert ws.round.period_start.isoformat() == "2025-07-01"
    assert [u.code for u in ws.units] == [r[0] for r in default_unit_rows()]
    fresh = init_workspace(tmp_path / "fresh")
    same = filecmp.cmpfiles(REPO / "schemas", fresh / "schemas",
                            [p.name for p in (fresh / "schemas").glob("*.toml")], shallow=False)
    assert same[1:] == ([], []), "schemas/ at the root drifted from pipeline/defaults/schemas"
    assert (REPO / "round.toml").read_bytes() == (fresh / "round.toml").read_bytes()


def test_default_units_follow_the_plan(ws):
    tt = ws.unit_by_code["TTPVHCC"]
    assert tt.annexes == ("PL1", "PL2", "PL3", "PL4b") and tt.khoi == "Chính quyền"
    assert ws.unit_by_code["TYT"].annexes == ("PL2", "PL4c")
    assert len(ws.units) == 14


def test_init_refuses_to_overwrite(ws_root):
    with pytest.raises(WorkspaceError, match="không ghi đè"):
        init_workspace(ws_root)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["VPDU", "Trùng mã", "Đảng", "1", ""], "ô A16: Mã đơn vị \"VPDU\" trùng với ô A2"),
        (["XYZ", "Đơn vị lạ", "Đảng", "1, 9", ""], "ô D16: không có phụ lục \"9\""),
        (["XYZ", "", "Đảng", "1", ""], "ô B16: thiếu Tên đơn vị"),
        (["XYZ", "Không nộp gì", "Đảng", "", ""], "ô D16: chưa ghi Phụ lục phải nộp"),
    ],
)
def test_bad_units_list_is_refused_with_the_cell_named(ws, ws_root, row, message):
    rows = [*default_unit_rows(), row]
    write_units_xlsx(ws_root / "units.xlsx", rows)
    with pytest.raises(WorkspaceError, match=message):
        load_units(ws_root / "units.xlsx", ws.specs)
