"""Our templates, filled and re-saved by real spreadsheet programs, are accepted with the same values."""

from __future__ import annotations

import os
import shutil

import pytest

from pipeline.collect import collect
from pipeline.workbook.contract import META_SHEET, REPORT_SHEET

from .conftest import needs
from .helpers import ON_TIME, drop, gnumeric_convert, payload, soffice_convert


def resaved(ws, converted, name):
    """Put a file re-saved by another program into the inbox (the original leaves it), received on time."""
    shutil.rmtree(ws.inbox / "goc")
    target = ws.inbox / name
    shutil.copy(converted, target)
    os.utime(target, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    return target


@needs("soffice")
@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
def test_libreoffice_resave_is_accepted_with_the_same_values(ws, tmp_path, fmt, stock):
    stock(ws, ["TTPVHCC"])
    data = payload(ws, "TTPVHCC")
    original = drop(ws, "goc/TTPVHCC.xlsx", "TTPVHCC", data, ON_TIME)
    out = tmp_path / "out"
    soffice_convert(original, out, fmt, tmp_path / "profile")
    resaved(ws, out / f"TTPVHCC.{fmt}", f"TTPVHCC_libreoffice.{fmt}")
    result = collect(ws)
    d = result.files[0]
    assert d.status == "accepted", [i.message for i in d.issues]
    sub = d.submission
    assert sub.annexes["PL1"].records[0]["tong_hien_co"] == data["PL1"]["tong_hien_co"]
    pl3 = {r["linh_vuc"]: r for r in sub.annexes["PL3"].records}
    for row in data["PL3"]:
        assert pl3[row["linh_vuc"]]["hs_tong_nhan"] == row["hs_tong_nhan"]
    pl2 = sub.annexes["PL2"].records
    assert [r["ten_tai_san"] for r in pl2] == [r["ten_tai_san"] for r in data["PL2"]]
    for got, want in zip(pl2, data["PL2"], strict=True):
        assert got["nguyen_gia"] == want["nguyen_gia"]
        assert got["thoi_han_hoan_thanh"] == want.get("thoi_han_hoan_thanh")


@needs("ssconvert")
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_gnumeric_resave_is_accepted(ws, tmp_path, fmt, stock):
    stock(ws, ["VPUB"])
    data = payload(ws, "VPUB")
    original = drop(ws, "goc/VPUB.xlsx", "VPUB", data, ON_TIME)
    target = tmp_path / f"VPUB_gnumeric.{fmt}"
    gnumeric_convert(original, target)
    resaved(ws, target, target.name)
    d = collect(ws).files[0]
    assert d.status == "accepted", [i.message for i in d.issues]
    assert d.submission.annexes["PL1"].records[0]["so_can_bo"] == data["PL1"]["so_can_bo"]
    pl2 = d.submission.annexes["PL2"].records
    assert pl2[0]["thoi_han_hoan_thanh"] == data["PL2"][0]["thoi_han_hoan_thanh"]
    assert pl2[0]["dia_chi"] == data["PL2"][0]["dia_chi"]


@needs("soffice")
def test_feedback_for_an_xls_file_is_a_fresh_template_with_the_units_values(ws, tmp_path, stock):
    import openpyxl

    from .helpers import cell_of, changed

    stock(ws, ["PKT"])
    data = changed(payload(ws, "PKT"), "PL1", {"so_nu": -3, "ghi_chu": "Gửi bản .xls"})
    original = drop(ws, "goc/PKT.xlsx", "PKT", data, ON_TIME)
    soffice_convert(original, tmp_path / "out", "xls", tmp_path / "profile")
    resaved(ws, tmp_path / "out" / "PKT.xls", "PKT.xls")
    d = collect(ws).files[0]
    assert d.status == "rejected"
    wb = openpyxl.load_workbook(ws.outbox / "feedback" / "PKT.xlsx")
    assert wb.sheetnames[0] == REPORT_SHEET and META_SHEET in wb.sheetnames
    nu = cell_of(ws, "PKT", "PL1", "so_nu")
    assert wb["PL1"][nu].value == -3 and wb["PL1"][nu].fill.fgColor.rgb.endswith("FFC7CE")
    assert wb["PL1"][cell_of(ws, "PKT", "PL1", "ghi_chu")].value == "Gửi bản .xls"
