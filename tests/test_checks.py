"""One rule, two back-ends: the template's own formulas, recalculated by LibreOffice, agree with the
validator rule by rule, for valid fills and for fills with each rule broken."""

from __future__ import annotations

import re
import zipfile
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from pipeline.collect import collect
from pipeline.workbook.contract import CHECK_SHEET, CHECK_STATUS_CELL, WARNING_FILL

from .conftest import needs
from .helpers import (
    ON_TIME,
    cell_of,
    changed,
    check_results,
    check_rows,
    drop,
    libreoffice_recalculate,
    payload,
    pdf_page_pixels,
    sheet_parts,
    status_line,
)
from .test_validate import BREAKS, _apply

# the functions Excel 2010+, LibreOffice and WPS share (template/checks.py's docstring)
SHARED_FUNCTIONS = {"IF", "AND", "OR", "NOT", "LEN", "TRIM", "ISNUMBER", "INT", "ISNA", "MATCH", "IFERROR", "COUNTA",
                    "SUM", "SUMPRODUCT", "COUNTIF", "ABS", "MIN", "MAX", "DATE", "VALUE", "SUBSTITUTE"}
FUNCTION_CALL = re.compile(r"([A-Z][A-Z0-9.]*)\(")
TYPE_CODES = {"not_number", "not_integer", "not_date", "below_min", "above_max", "not_in_list"}


def _validator_verdicts(decision) -> dict[str, bool]:
    """annex.check -> fails, from the validator's issues (rules by id; required and types by code)."""
    out: dict[str, bool] = {}
    sheet_to_annex = {a.sheet: a.spec.id for a in decision.submission.annexes.values()}
    for i in decision.issues:
        annex = sheet_to_annex.get(i.sheet)
        if annex is None:
            continue
        if i.rule:
            out[f"{annex}.{i.rule}"] = True
        elif i.code in ("required", "required_text"):
            out[f"{annex}.required"] = True
        elif i.code in TYPE_CODES:
            out[f"{annex}.types"] = True
    return out


@needs("soffice")
def test_template_formulas_agree_with_the_validator_rule_by_rule(ws, tmp_path, stock):
    stock(ws, ["TTPVHCC", "VPUB", "PVHXH"])
    names = []
    for seed, code in enumerate(("TTPVHCC", "VPUB", "PVHXH")):
        for n in range(2):
            names.append(drop(ws, f"valid_{code}_{n}.xlsx", code, payload(ws, code, seed * 10 + n), ON_TIME))
    for rule_id, (code, annex, index, changes, _) in BREAKS.items():
        data = payload(ws, code)
        target = data[annex] if isinstance(data[annex], dict) else data[annex][index]
        names.append(drop(ws, f"{rule_id}.xlsx", code, changed(data, annex, _apply(target, changes), index)))
    decisions = {d.file.rel: d for d in collect(ws, write_outputs=False).files}
    recalculated = libreoffice_recalculate(names, tmp_path / "out", tmp_path / "profile")
    warnings = {f"{s.id}.{r.id}" for s in ws.specs.annexes.values() for r in s.rules if r.severity == "warning"}
    compared = 0
    for original, path in zip(names, recalculated, strict=True):
        excel = check_results(path)
        assert excel, f"no checks read from {path.name}"
        validator = _validator_verdicts(decisions[original.name])
        for code, count in excel.items():
            assert (count > 0) == validator.get(code, False), (original.name, code, count)
            compared += 1
        if original.name.startswith("valid_"):
            failing_errors = [code for code, n in excel.items() if n and code not in warnings]
            assert not failing_errors, (original.name, failing_errors)
        else:
            rule_id = original.stem
            annex = BREAKS[rule_id][1]
            assert excel[f"{annex}.{rule_id}"] > 0, rule_id
    assert compared > 300


@needs("soffice")
def test_a_broken_rule_shows_a_cross_and_a_tick_once_fixed(ws, tmp_path, stock):
    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    bad = changed(good, "PL1", {"so_can_bo": good["PL1"]["so_can_bo"] + 1})
    files = [drop(ws, "bad.xlsx", "PKT", bad), drop(ws, "fixed.xlsx", "PKT", good)]
    bad_out, fixed_out = libreoffice_recalculate(files, tmp_path / "out", tmp_path / "profile")
    wb = openpyxl.load_workbook(bad_out, data_only=True)
    rows = check_rows(wb)
    assert rows["PL1.tong_theo_loai"][4] == "✗" and "D23" in rows["PL1.tong_theo_loai"][6]
    assert status_line(wb, "PL1").startswith("✗ Còn")
    assert str(wb[CHECK_SHEET][CHECK_STATUS_CELL].value).startswith("✗ Còn")
    wb = openpyxl.load_workbook(fixed_out, data_only=True)
    rows = check_rows(wb)
    assert rows["PL1.tong_theo_loai"][4] == "✓"
    assert status_line(wb, "PL1").startswith("✓ Sẵn sàng gửi")
    # the highlight: the rule's cells carry a conditional format built from the same formula
    template = openpyxl.load_workbook(ws.templates / "PKT.xlsx")
    formulas = [r.formula[0] for rng in template["PL1"].conditional_formatting for r in rng.rules]
    assert any("$D$23" in f and "$D$18" in f for f in formulas)


def test_no_conditional_format_refers_to_another_sheet(stock_workspace):
    """Excel 2007 removes such a format ("Removed Feature"), and with it the colour of a broken rule."""
    formulas: dict[tuple[str, str], list[str]] = {}
    for path in sorted(stock_workspace.templates.glob("*.xlsx")):  # every unit's template
        with zipfile.ZipFile(path) as z:
            for name, part in sheet_parts(z).items():
                formats = [e for e in ET.fromstring(z.read(part)).iter() if e.tag.endswith("}conditionalFormatting")]
                formulas[(path.stem, name)] = [f.text or "" for cf in formats for f in cf.iter()
                                                 if f.tag.endswith(("}formula", "}f"))]  # x14: <xm:f>
    assert sum(map(len, formulas.values())) > 100
    assert not {at: [f for f in found if "!" in f] for at, found in formulas.items() if any("!" in f for f in found)}
    assert "$G$18=1" in formulas[("DTN", "PL4b")], "the rule comparing with PL1 looks at a hidden cell of PL4b"


@needs("soffice")
@needs("pdftoppm")
def test_a_rule_comparing_with_another_sheet_still_colours_its_cell(ws, tmp_path, stock):
    """LibreOffice, recalculating, colours the PL4b cell whose rule against PL1 is broken, and not when it holds."""
    stock(ws, ["DTN"])
    data = payload(ws, "DTN")
    same = data["PL1"]["tong_hien_co"] - data["PL1"]["so_nhdkct"]  # PL4b.khop_pl1, a warning: yellow
    files = [drop(ws, "holds.xlsx", "DTN", changed(data, "PL4b", {"tong_cbccvc": same})),
             drop(ws, "broken.xlsx", "DTN", changed(data, "PL4b", {"tong_cbccvc": same + 1}))]
    holds, broken = libreoffice_recalculate(files, tmp_path / "out", tmp_path / "profile", "pdf")
    heading = ws.specs.annexes["PL4b"].heading
    assert pdf_page_pixels(broken, heading, WARNING_FILL) > 100 and pdf_page_pixels(holds, heading, WARNING_FILL) == 0


def test_blank_template_is_not_ready_to_send(ws, stock):
    stock(ws, ["DTN"])
    wb = openpyxl.load_workbook(ws.templates / "DTN.xlsx")
    assert wb.sheetnames.index(CHECK_SHEET) == wb.sheetnames.index("PL4b") + 1
    wb_values = openpyxl.load_workbook(ws.templates / "DTN.xlsx", data_only=True)
    assert status_line(wb_values, "PL1").startswith("✗ Còn")  # cached values, before any recalculation
    assert status_line(wb, "PL1").startswith("=IF(")


@pytest.mark.parametrize("annex", ["PL2", "PL3"])
def test_formulas_use_only_functions_every_program_has(ws, annex, stock):
    stock(ws, ["TTPVHCC"])
    wb = openpyxl.load_workbook(ws.templates / "TTPVHCC.xlsx")
    for sheet in (wb[annex], wb[CHECK_SHEET]):
        for row in sheet.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    used = set(FUNCTION_CALL.findall(c.value))
                    assert used <= SHARED_FUNCTIONS, (c.coordinate, used - SHARED_FUNCTIONS)


@needs("soffice")
def test_wrong_types_are_counted_like_the_validator(ws, tmp_path, stock):
    stock(ws, ["VPUB"])
    data = changed(payload(ws, "VPUB"), "PL2", {"so_luong": "abc", "hien_trang": "Tốt lắm", "nguyen_gia": -5,
                                                "gia_tri_con_lai": 0})
    data = changed(data, "PL1", {"so_nu": 2.5})
    path = drop(ws, "types.xlsx", "VPUB", data)
    decision = collect(ws, write_outputs=False).files[0]
    codes = {(i.sheet, i.code) for i in decision.issues}
    assert {("PL2", "not_number"), ("PL2", "not_in_list"), ("PL2", "below_min"), ("PL1", "not_integer")} <= codes
    (out,) = libreoffice_recalculate([path], tmp_path / "out", tmp_path / "profile")
    excel = check_results(out)
    assert excel["PL2.types"] == 3 and excel["PL1.types"] == 1


@needs("soffice")
def test_numbers_and_dates_typed_as_text_are_a_note_in_the_template_and_read_by_collect(ws, tmp_path, stock):
    """Both directions agree: what collect reads ("1.234", "30/9/2026") is no error in the template, which says
    it cannot judge the rules on those cells until they are typed as numbers; what neither can read is an error."""
    stock(ws, ["VPUB"])
    data = changed(payload(ws, "VPUB"), "PL2", {"nguyen_gia": "99.999,5", "thoi_han_hoan_thanh": "30/9/2026"})
    text_only = drop(ws, "text.xlsx", "VPUB", data)
    decision = collect(ws, write_outputs=False).files[0]
    assert decision.status in ("accepted", "accepted_with_warnings")
    assert {"number_text", "date_text"} <= {i.code for i in decision.issues}
    bad = drop(ws, "../bad.xlsx", "VPUB", changed(payload(ws, "VPUB"), "PL2", {"nguyen_gia": "một nghìn"}))
    text_out, bad_out = libreoffice_recalculate([text_only, bad], tmp_path / "out", tmp_path / "profile")
    excel = check_results(text_out)
    assert excel["PL2.types"] == 0 and excel["PL2.text_values"] == 2
    assert status_line(openpyxl.load_workbook(text_out, data_only=True), "PL2").startswith("✓ Sẵn sàng gửi (có")
    assert check_results(bad_out)["PL2.types"] == 1


@needs("soffice")
def test_a_reason_noted_beside_a_value_satisfies_the_live_check_as_it_satisfies_collect(ws, tmp_path, stock):
    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    pl1 = good["PL1"]
    over = changed(good, "PL1", {"bien_che_cong_chuc_giao": pl1["so_can_bo"] + pl1["so_cong_chuc"] - 1, "ghi_chu": ""})
    files = [drop(ws, "silent.xlsx", "PKT", over), drop(ws, "noted.xlsx", "PKT", over)]
    wb = openpyxl.load_workbook(files[1])
    value = cell_of(ws, "PKT", "PL1", "so_cong_chuc")
    wb["PL1"][f"E{value[1:]}"] = "Dôi dư sau sắp xếp, bố trí lại trong năm 2026"  # the "Ghi chú" beside the value
    wb.save(files[1])
    decisions = {d.file.rel: d for d in collect(ws, write_outputs=False).files}
    silent, noted = libreoffice_recalculate(files, tmp_path / "out", tmp_path / "profile")
    rule = "PL1.vuot_bien_che_cong_chuc"
    assert check_results(silent)[rule] > 0 and _validator_verdicts(decisions["silent.xlsx"]).get(rule)
    assert check_results(noted)[rule] == 0 and not _validator_verdicts(decisions["noted.xlsx"]).get(rule)
