from __future__ import annotations

import subprocess

import openpyxl
import pytest
from python_calamine import load_workbook

from pipeline.template.build import TemplateError, write_template
from pipeline.template.fill import fill
from pipeline.workbook.contract import (
    CHECK_SHEET,
    GUIDE_SHEET,
    LISTS_SHEET,
    META_SHEET,
    Layout,
    TemplateMeta,
    parse_range,
)
from pipeline.workspace import open_workspace

from .conftest import needs
from .helpers import book_data_cells, book_meta, soffice_convert


@pytest.fixture
def written(stock_written):
    """The default templates, as `write_templates` wrote them once for the session (read, never changed)."""
    return stock_written


def test_one_template_per_unit_with_only_its_annexes(written):
    ws, paths = written
    assert sorted(paths) == sorted(u.code for u in ws.units)
    for unit in ws.units:
        wb = openpyxl.load_workbook(paths[unit.code])
        sheets = [ws.specs.annexes[a].sheet for a in unit.annexes]
        assert wb.sheetnames == [GUIDE_SHEET, *sheets, CHECK_SHEET, LISTS_SHEET, META_SHEET]
        assert wb[META_SHEET].sheet_state == "hidden" and wb[LISTS_SHEET].sheet_state == "hidden"
        assert wb.active.title == GUIDE_SHEET


def test_meta_and_defined_names_describe_the_input_cells(written):
    ws, paths = written
    wb = openpyxl.load_workbook(paths["TTPVHCC"])
    meta = book_meta(wb)
    assert meta.get("unit_code") == "TTPVHCC" and meta.get("round_id") == ws.round.round_id
    assert meta.get("spec_version") == ws.specs.version and meta.get("template_id")
    assert set(meta.annexes) == {"PL1", "PL2", "PL3", "PL4b"}
    for annex_id, am in meta.annexes.items():
        spec = ws.specs.annexes[annex_id]
        assert (am.sheet, am.layout, am.columns) == (spec.sheet, spec.layout, spec.keys)
        sheet, grid = book_data_cells(wb, annex_id)
        assert sheet == spec.sheet
        assert f"{sheet}!{Layout(spec).data_range}" == am.range
        if spec.layout == "form":
            assert [len(r) for r in grid] == [1] * len(spec.columns)
        else:
            assert len(grid[0]) == len(spec.columns)
    _, grid = book_data_cells(wb, "PL3")
    assert len(grid) == 15 and wb["PL3"][grid[0][0]].value == "Hộ tịch"
    _, grid = book_data_cells(wb, "PL2")
    assert len(grid) >= 200


def _validations(sheet):
    out = {}
    for dv in sheet.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng] = dv
    return out


def test_every_category_and_numeric_column_has_a_validation(written):
    ws, paths = written
    wb = openpyxl.load_workbook(paths["VPUB"])
    expected_type = {"int": "whole", "decimal": "decimal", "date": "date", "category": "list"}
    for annex_id in ws.unit_by_code["VPUB"].annexes:
        spec = ws.specs.annexes[annex_id]
        sheet_name, grid = book_data_cells(wb, annex_id)
        found = _validations(wb[sheet_name])
        for i, col in enumerate(spec.columns):
            if col.type not in expected_type:
                continue
            target = grid[i][0] if spec.layout == "form" else f"{grid[0][i]}:{grid[-1][i]}"
            assert target in found, f"{annex_id}.{col.key}: no validation on {target}"
            dv = found[target]
            assert dv.type == expected_type[col.type]
            assert dv.showErrorMessage and dv.error and dv.prompt
            if col.type == "category":
                name = dv.formula1
                dest = next(iter(wb.defined_names[name].destinations))
                r1, c1, r2, _c2 = parse_range(dest[1])
                values = [wb[dest[0]].cell(r, c1).value for r in range(r1, r2 + 1)]
                assert values == list(col.categories)


def test_headers_locked_inputs_unlocked_and_print_ready(written):
    _ws, paths = written
    wb = openpyxl.load_workbook(paths["TTPVHCC"])
    for annex_id in ("PL1", "PL3"):
        sheet_name, grid = book_data_cells(wb, annex_id)
        sheet = wb[sheet_name]
        assert sheet.protection.sheet is True and not sheet.protection.password
        first_input = grid[0][-1]
        assert sheet[first_input].protection.locked is False
        assert sheet["A9"].protection.locked is True and sheet["A9"].value == "STT"
        assert sheet["A11"].value == "(1)"
        assert sheet.page_setup.orientation == "landscape" and str(sheet.page_setup.paperSize) == "9"
        if annex_id == "PL1":  # a form: one page, signature included (OOXML's default fitToHeight is 1)
            assert (sheet.page_setup.fitToWidth or 1) == 1 and (sheet.page_setup.fitToHeight or 1) == 1
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
        else:  # PL3's 22 columns: page-wide column groups at 75 %, STT and the lĩnh vực repeated
            assert sheet.page_setup.scale == 75 and not sheet.sheet_properties.pageSetUpPr.fitToPage
            assert sheet.print_title_cols == "$A:$B" and sheet.col_breaks.count >= 1
        assert sheet.print_title_rows == "$9:$11"
        assert sheet["A1"].font.name == "Times New Roman"
    pl3 = wb["PL3"]
    assert pl3[grid[0][0]].protection.locked is True  # the preset lĩnh vực is locked
    assert "ĐẢNG CỘNG SẢN" not in str(wb["PL1"]["A1"].value) + str(wb["PL1"]["C1"].value)
    assert wb["PL1"]["C1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    party = openpyxl.load_workbook(paths["VPDU"])["PL1"]
    assert party["A1"].value == "ĐẢNG BỘ XÃ PHÚC THỌ" and party["C1"].value == "ĐẢNG CỘNG SẢN VIỆT NAM"


def test_fill_through_meta_and_defined_names_then_read_back(written, tmp_path):
    _ws, paths = written
    pl1 = {"so_can_bo": 3, "so_cong_chuc": 12, "ghi_chu": "Đủ người"}
    pl2 = [{"loai_tai_san": "Xe ô tô", "ten_tai_san": "Xe 29A-123.45", "so_luong": 1},
           {"loai_tai_san": "Trụ sở làm việc", "ten_tai_san": "Trụ sở UBND xã Tích Lộc (cũ)"}]
    pl3 = [{"linh_vuc": "Chứng thực", "hs_tong_nhan": 812}]
    out = fill(paths["TTPVHCC"], tmp_path / "filled.xlsx", {"PL1": pl1, "PL2": pl2, "PL3": pl3})
    book = load_workbook(str(out))  # read back with another library, through the same self-description
    meta = TemplateMeta.parse({str(k): str(v) for k, v, *_ in book.get_sheet_by_name(META_SHEET).to_python()})
    for annex_id, expect in (("PL1", pl1), ("PL2", pl2), ("PL3", pl3)):
        keys = meta.annexes[annex_id].columns
        sheet, rng = meta.annexes[annex_id].range.split("!")
        r1, c1, r2, c2 = parse_range(rng)
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        block = [row[c1 - 1:c2] for row in rows[r1 - 1:r2]]
        if meta.annexes[annex_id].layout == "form":
            got = {k: block[i][0] for i, k in enumerate(keys) if block[i][0] != ""}
            assert got == {k: v for k, v in expect.items()}
        else:
            got = [{k: v for k, v in zip(keys, row, strict=True) if v != ""} for row in block]
            got = [g for g in got if len(g) > (1 if annex_id == "PL3" else 0)]
            assert got == expect


def test_adding_a_column_to_a_spec_changes_the_template_without_code(ws_root, tmp_path):
    path = ws_root / "schemas" / "PL4b.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[[rules]]", '[[columns]]\nkey = "so_camera"\nlabel = "Số camera giám sát"\n'
                                 'type = "int"\nunit = "chiếc"\nmin = 0\n\n[[rules]]', 1), encoding="utf-8")
    ws = open_workspace(ws_root)
    result = write_template(ws, ws.unit_by_code["DTN"], tmp_path / "DTN.xlsx")
    wb = openpyxl.load_workbook(result.path)
    assert book_meta(wb).annexes["PL4b"].columns[-1] == "so_camera"
    sheet_name, grid = book_data_cells(wb, "PL4b")
    row = int(grid[-1][0][1:])
    assert wb[sheet_name][f"B{row}"].value == "Số camera giám sát"
    assert _validations(wb[sheet_name])[grid[-1][0]].type == "whole"


def test_xlsxwriter_warnings_fail_generation(ws_root, tmp_path):
    path = ws_root / "schemas" / "PL4b.toml"
    text = path.read_text(encoding="utf-8")
    long_help = "Nhập số máy quét đang dùng. " * 12  # over Excel's 255-character prompt limit
    path.write_text(text.replace('label = "Số máy quét (scan)"', f'label = "Số máy quét"\nhelp = "{long_help}"'),
                    encoding="utf-8")
    ws = open_workspace(ws_root)
    with pytest.raises(TemplateError, match="DTN"):
        write_template(ws, ws.unit_by_code["DTN"], tmp_path / "DTN.xlsx")
    assert not (tmp_path / "DTN.xlsx").exists()


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")  # the build's own filter rules
def test_only_xlsxwriters_warnings_refuse_a_template(ws, tmp_path, monkeypatch):
    """Another library's warning during the build (a deprecation, an unclosed file collected then) is not a reason to
    refuse the clerk's template, nor a traceback on the console."""
    import warnings

    from pipeline.template import build

    real = build.sheet_writer.write_annex

    def write_annex(*args, **kwargs):
        warnings.warn("an old way of doing things", DeprecationWarning, stacklevel=1)
        warnings.warn("unclosed file <_io.BufferedReader>", ResourceWarning, stacklevel=1)
        return real(*args, **kwargs)
    monkeypatch.setattr(build.sheet_writer, "write_annex", write_annex)
    assert write_template(ws, ws.unit_by_code["PKT"], tmp_path / "PKT.xlsx").path.is_file()


@needs("soffice")
@needs("pdftotext")
def test_templates_convert_to_pdf_in_libreoffice_with_every_column(written, tmp_path):
    """A form or a narrow table prints one page wide; a wide one in page-wide column groups (test_paper.py
    reads their type size): no column is lost either way."""
    ws, paths = written
    profile = tmp_path / "lo-profile"
    soffice_convert([paths["TTPVHCC"], paths["VPDU"]], tmp_path, "pdf", profile)
    for code in ("TTPVHCC", "VPDU"):
        pdf = tmp_path / f"{code}.pdf"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        pages = text.split("\f")
        for annex_id in ws.unit_by_code[code].annexes:
            spec = ws.specs.annexes[annex_id]
            last = f"({Layout(spec).last_col})"
            with_head = [p for p in pages if spec.title[:20] in p]
            assert with_head, f"{annex_id} title not found in the PDF"
            assert any(last in p for p in with_head), f"{annex_id}: last column not printed"
