from __future__ import annotations

import datetime as dt

import openpyxl

from pipeline.collect import collect
from pipeline.workbook.contract import CHANGES_SHEET, REPORT_SHEET

from .helpers import ON_TIME, cell_of, changed, drop, payload


def _grow(data: dict, extra: int) -> dict:
    """The same unit with `extra` more cán bộ, every rule still holding."""
    p = data["PL1"]
    return changed(data, "PL1", {k: p[k] + extra for k in ("so_can_bo", "tong_hien_co", "co_mat_01_07_2025",
                                                             "td_dai_hoc", "bien_che_cong_chuc_giao",
                                                             "so_vtvl_phe_duyet")})


def test_outliers_are_warnings_against_the_median_of_the_same_khoi(ws, stock):
    codes = ["MTTQ", "DTN", "HLHPN", "HND", "HCCB"]  # khối MTTQ và đoàn thể
    stock(ws, codes)
    for n, code in enumerate(codes):
        data = payload(ws, code, n)
        if code == "HCCB":
            data = _grow(data, 60)
        drop(ws, f"{code}.xlsx", code, data)
    files = {d.unit: d for d in collect(ws, write_outputs=False).files}
    assert all(files[code].status.startswith("accepted") for code in codes)  # five peers: enough to compare
    flagged = [i for i in files["HCCB"].issues if i.code == "outlier"]
    cells = {i.cell for i in flagged}
    assert cell_of(ws, "HCCB", "PL1", "tong_hien_co") in cells
    assert all(i.severity.value == "warning" and "trung vị" in i.message for i in flagged)
    assert files["HCCB"].status == "accepted_with_warnings"
    for code in ("MTTQ", "DTN", "HLHPN", "HND"):
        assert not [i for i in files[code].issues if i.code == "outlier"], code


def test_ordinary_differences_and_small_groups_are_not_questioned(ws, stock):
    codes = ["MTTQ", "DTN", "HLHPN", "HND"]  # four of the five: too few to compare
    stock(ws, codes)
    for n, code in enumerate(codes):
        drop(ws, f"{code}.xlsx", code, _grow(payload(ws, code, n), 60 if code == "HND" else 0))
    files = collect(ws, write_outputs=False).files
    assert not [i for d in files for i in d.issues if i.code == "outlier"]
    from pipeline.judge.compare import material
    assert not material(4, 7) and not material(1266, 729.5) and material(62, 3) and material(0, 40)


def test_too_few_peers_means_no_outlier(ws, stock):
    stock(ws, ["VPDU", "BXDD"])
    drop(ws, "VPDU.xlsx", "VPDU", _grow(payload(ws, "VPDU"), 200))
    drop(ws, "BXDD.xlsx", "BXDD", payload(ws, "BXDD"))
    files = collect(ws, write_outputs=False).files
    assert not [i for d in files for i in d.issues if i.code == "outlier"]


def test_resubmission_lists_what_changed_cell_by_cell(ws, stock):
    stock(ws, ["PKT"])
    first = payload(ws, "PKT")
    bad = changed(first, "PL1", {"so_nu": -1})
    drop(ws, "PKT_1.xlsx", "PKT", bad, ON_TIME)
    second = changed(first, "PL2", {"dia_chi": "Số 5 đường Lạc Trị"}, 0)
    second = changed(second, "PL1", {"so_nu": 2, "ghi_chu": "Đã sửa"})
    second = changed(second, "PL4b", {"so_may_tinh_tren_5_nam": second["PL4b"]["so_may_tinh"] + 1})  # new error
    drop(ws, "PKT_2.xlsx", "PKT", second, ON_TIME + dt.timedelta(days=1))
    result = collect(ws)
    resub = result.changes["PKT"]
    old, new, cells = resub.old, resub.new, resub.cells
    assert (old.file.rel, new.file.rel) == ("PKT_1.xlsx", "PKT_2.xlsx")
    got = {(c.sheet, c.cell): (c.old, c.new) for c in cells}
    assert got[("PL1", cell_of(ws, "PKT", "PL1", "so_nu"))] == (-1.0, 2.0)
    assert got[("PL1", cell_of(ws, "PKT", "PL1", "ghi_chu"))] == (None, "Đã sửa")
    assert got[("PL2", cell_of(ws, "PKT", "PL2", "dia_chi"))][1] == "Số 5 đường Lạc Trị"
    assert len(got) == 4
    feedback = openpyxl.load_workbook(ws.outbox / "feedback" / "PKT.xlsx")
    assert feedback.sheetnames[:2] == [REPORT_SHEET, CHANGES_SHEET]
    rows = list(feedback[CHANGES_SHEET].iter_rows(min_row=4, values_only=True))
    assert ("PL1", cell_of(ws, "PKT", "PL1", "so_nu"), "Trong đó: Nữ", -1, 2) in rows
    text = (ws.outbox / "feedback" / "PKT.txt").read_text(encoding="utf-8")
    assert "đã sửa 4 ô" in text and "→" in text
    summary = openpyxl.load_workbook(result.outputs["summary"])
    quality = [r for r in summary["Chất lượng dữ liệu"].iter_rows(values_only=True) if r[4] == "Ô đã sửa"]
    assert len(quality) == 4
    assert result.to_json()["changes"]["PKT"]["to"] == "PKT_2.xlsx"


def test_the_other_units_median_is_the_median_without_the_unit():
    import random

    import numpy as np
    import pandas as pd

    from pipeline.judge.compare import _median_without

    rng = random.Random(5)
    for _ in range(300):
        values = [float(rng.choice([rng.randint(0, 9), rng.uniform(-50, 500)])) for _ in range(rng.randint(2, 12))]
        ordered = np.sort(np.array(values))
        for i, value in enumerate(values):
            others = pd.Series(values[:i] + values[i + 1:]).median()
            assert _median_without(ordered, value) == others, (values, value)
