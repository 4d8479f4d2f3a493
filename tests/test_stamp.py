"""Templates stamped from their group's workbook are the templates the builder makes for each unit.

Every unit's template written by `write_templates` (stamped where its group has several units, in worker
processes) is compared with one built from scratch by `write_template`: cell by cell through openpyxl (values,
formulas, styles, merges, validations, conditional formats, names, protection, print setup, `_meta`), read back by
the intake's own reader, and part by part (every part but the document's dates is byte-identical).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from xlsxwriter.worksheet import Worksheet

from pipeline.collect import collect
from pipeline.template.batch import write_templates
from pipeline.template.build import write_template
from pipeline.template.stamp import CODE_MARK, NAME_MARK, prototype, stampable
from pipeline.workbook import zipcopy
from pipeline.workbook.xlsxbook import PLAIN_FUNCTIONS, FastSheet
from pipeline.workspace import Unit, open_workspace, write_units_xlsx

from .helpers import drop, payload

EXTRA = [  # same khối and annexes as DTN (stamped), and names the stamp leaves to the builder
    ["HNCT", "Hội Người cao tuổi xã", "MTTQ và đoàn thể", "1, 4b", ""],
    ["HKH", "Hội Khuyến học & Cựu giáo chức", "MTTQ và đoàn thể", "1, 4b", ""],
    ["CTD", 'Chi hội "Chữ thập đỏ" <xã>', "MTTQ và đoàn thể", "1, 4b", ""],
    ["BDH", "Ban Đại diện hội_x0041_", "MTTQ và đoàn thể", "1, 4b", ""],
]
_DATES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


@pytest.fixture
def many(ws):
    rows = [[u.code, u.name, u.khoi, ", ".join(a.removeprefix("PL") for a in u.annexes), u.contact] for u in ws.units]
    write_units_xlsx(ws.root / "units.xlsx", rows + EXTRA)
    return open_workspace(ws.root)


def _style(c) -> tuple:
    return (c.font.name, c.font.sz, c.font.b, c.font.i, c.font.color and c.font.color.rgb, c.fill.fgColor.rgb,
            c.fill.fill_type, c.number_format, c.protection.locked, c.protection.hidden, c.alignment.horizontal,
            c.alignment.vertical, c.alignment.wrap_text, c.border.left.style, c.border.top.style)


def _facts(path: Path) -> dict:
    """What a person, a program or the reader can see of a workbook, in a comparable form."""
    wb = openpyxl.load_workbook(path)
    facts: dict = {"sheets": wb.sheetnames, "active": wb.active.title,
                   "names": sorted((n, d.attr_text, d.localSheetId) for n, d in wb.defined_names.items())}
    for sheet in wb.worksheets:
        facts[sheet.title] = {
            "state": sheet.sheet_state, "protected": (sheet.protection.sheet, sheet.protection.formatColumns,
                                                      sheet.protection.selectLockedCells),
            "cells": {c.coordinate: (c.value, c.data_type, _style(c)) for row in sheet.iter_rows() for c in row},
            "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
            "validations": sorted((str(v.sqref), v.type, v.operator, v.formula1, v.formula2, v.prompt, v.error,
                                   v.promptTitle, v.errorStyle) for v in sheet.data_validations.dataValidation),
            "formats": sorted((str(rng.sqref), r.type, tuple(r.formula),
                               r.dxf and r.dxf.fill and r.dxf.fill.bgColor.rgb)
                              for rng in sheet.conditional_formatting for r in rng.rules),
            "columns": sorted((k, d.width, d.hidden) for k, d in sheet.column_dimensions.items()),
            "rows": sorted((k, d.height) for k, d in sheet.row_dimensions.items()),
            "print": (sheet.print_area, sheet.print_title_rows, sheet.page_setup.orientation,
                      sheet.page_setup.paperSize,
                      sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight, sheet.sheet_properties.pageSetUpPr,
                      sheet.page_margins.left, sheet.page_margins.top, sheet.oddFooter.center.text,
                      sheet.print_options.horizontalCentered),
            "view": (sheet.freeze_panes, sheet.sheet_view.tabSelected),
        }
    facts["title"] = (wb.properties.title, wb.properties.description, wb.properties.creator)
    return facts


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: _DATES.sub(b"", z.read(n)) for n in z.namelist()}


def test_stamped_templates_are_the_templates_built_for_each_unit(many, tmp_path):
    stamped = {r.unit: r.path for r in write_templates(many, workers=2)}
    assert sorted(stamped) == sorted(u.code for u in many.units)
    groups = {}
    for unit in many.units:
        groups.setdefault((unit.khoi, unit.annexes), []).append(unit.code)
    assert any(len(g) > 2 for g in groups.values())  # the demo has groups to stamp
    for unit in many.units:
        built = write_template(many, unit, tmp_path / f"{unit.code}.xlsx").path
        assert _parts(stamped[unit.code]) == _parts(built), unit.code
        if len(groups[(unit.khoi, unit.annexes)]) > 1:  # stamped, or left to the builder for its name
            assert _facts(stamped[unit.code]) == _facts(built), unit.code


def test_each_distinct_workbook_is_built_once(many, monkeypatch):
    from pipeline.template import build

    builds = []
    real = build._build
    monkeypatch.setattr(build, "_build", lambda ws, unit, path: builds.append(unit.code) or real(ws, unit, path))
    write_templates(many, workers=1)
    groups: dict = {}
    for unit in many.units:
        if stampable(unit):
            groups.setdefault((unit.khoi, unit.annexes), []).append(unit.code)
    alone = [u.code for u in many.units if not stampable(u) or len(groups[(u.khoi, u.annexes)]) == 1]
    assert sorted(builds) == sorted(alone + [CODE_MARK] * sum(len(g) > 1 for g in groups.values()))


def test_what_is_stamped_and_what_is_built(many):
    units = many.unit_by_code
    assert stampable(units["HNCT"]) and stampable(units["PVHXH"]) and stampable(units["TTPVHCC"])
    assert not any(stampable(units[c]) for c in ("HKH", "CTD", "BDH"))
    proto = prototype(many, "MTTQ và đoàn thể", ("PL1", "PL4b"))
    marked = [p[0] for p in proto.parts if isinstance(p, tuple)]
    # the unit's identity: _meta, the header lines (shared strings) and the document's title
    assert marked == ["xl/sharedStrings.xml", "docProps/core.xml"]
    strings = dict(p for p in proto.parts if isinstance(p, tuple))["xl/sharedStrings.xml"].decode()
    assert f"<t>{CODE_MARK}</t>" in strings and f"<t>{NAME_MARK}</t>" in strings and NAME_MARK.upper() in strings


def test_a_marker_the_builder_changed_makes_the_group_built(many, monkeypatch):
    from pipeline.template import sheet

    real = sheet._header_block

    def shortened(sheet_, st, spec, ws, unit, last_col):
        real(sheet_, st, spec, ws, Unit(unit.code, unit.name[:4], unit.khoi, unit.annexes), last_col)
    monkeypatch.setattr(sheet, "_header_block", shortened)
    assert prototype(many, "MTTQ và đoàn thể", ("PL1", "PL4b")) is None
    results = write_templates(many, ["DTN", "HND"], workers=1)
    assert [r.unit for r in results] == ["DTN", "HND"]
    wb = openpyxl.load_workbook(results[1].path)
    assert wb["PL1"]["A6"].value == "Đơn vị báo cáo: Hội  (mã HND)"  # the name as this builder cut it


def test_the_intake_reads_filled_stamped_templates_as_their_units(many):
    write_templates(many)
    for code in ("HNCT", "HND", "UBKT"):
        drop(many, f"{code}.xlsx", code, payload(many, code))
    files = {d.file.rel: d for d in collect(many).files}
    for code in ("HNCT", "HND", "UBKT"):
        assert files[f"{code}.xlsx"].status == "accepted", [i.message for i in files[f"{code}.xlsx"].issues]
        assert files[f"{code}.xlsx"].unit == code


def test_plain_functions_are_left_alone_by_xlsxwriter():
    sheet = Worksheet()
    fast = FastSheet()
    for name in PLAIN_FUNCTIONS:
        formula = f"={name}(A1,SUM(B1:B3))+IF(ISNUMBER(C1),1,0)"
        for future in (False, True):
            assert fast._prepare_formula(formula, future) == sheet._prepare_formula(formula, future) == formula[1:]
    for formula in ("=XLOOKUP(A1,B1:B9,C1:C9)", '=IF(A1="x",SORT(B1:B3),0)', "=SUM(A1)+ANINGLE(2)"):
        for future in (False, True):
            assert fast._prepare_formula(formula, future) == sheet._prepare_formula(formula, future) != formula[1:]


@pytest.mark.parametrize("options", [{}, {"use_future_functions": True}, {"constant_memory": True}],
                         ids=["default", "future_functions", "constant_memory"])
def test_a_formula_written_down_a_column_is_stored_as_written_row_by_row(options):
    """`write_formula_down` relies on XlsxWriter's internals: the whole package it writes is the one written row by
    row, for formulas it passes as written and for those XlsxWriter rewrites (a function added after Excel 2010,
    a dynamic array, one already prefixed), in each way of using XlsxWriter that changes how formulas are kept."""
    from io import BytesIO

    from pipeline.workbook.xlsxbook import Workbook

    formulas = ["IF(AND(ISNUMBER($C{r}),$C{r}<0),1,0)", "XLOOKUP($A{r},B1:B9,C1:C9)", "SUM(FILTER($B{r}:$D{r},1))",
                'IF($A{r}="{r}",1,0)', "STDEV.S($B{r}:$D{r})", "_xlfn._xlws.FILTER($A{r}:$B{r},1)"]

    def package(down: bool) -> dict[str, bytes]:
        out = BytesIO()
        wb = Workbook(out, {"in_memory": True, **options})
        sheet = wb.add_worksheet()
        bold = wb.add_format({"bold": True})
        for col, formula in enumerate(formulas):
            if down:
                sheet.write_formula_down(col, range(9, 400), formula, bold if col else None, col % 2)
            else:
                for row in range(9, 400):
                    sheet.write_formula(row, col, "=" + formula.replace("{r}", str(row + 1)), bold if col else None,
                                        col % 2)
        wb.close()
        with zipfile.ZipFile(out) as z:
            return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}

    written = package(down=True)
    assert written == package(down=False)
    sheet = written["xl/worksheets/sheet1.xml"]
    assert b"<f>IF(AND(ISNUMBER($C400),$C400&lt;0),1,0)</f>" in sheet and b"_xlfn.XLOOKUP($A10," in sheet


def test_a_zip_written_from_deflated_members_reads_back(tmp_path):
    members = [zipcopy.deflate("[Content_Types].xml", b"<Types/>"), zipcopy.deflate("xl/a.xml", "ệ".encode() * 999)]
    zipcopy.write(tmp_path / "a.zip", members)
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.testzip() is None
        assert z.read("xl/a.xml") == "ệ".encode() * 999 and z.namelist() == ["[Content_Types].xml", "xl/a.xml"]


def test_templates_from_spawned_workers_as_on_windows(many, monkeypatch, tmp_path):
    """Where workers start as fresh interpreters (Windows), they receive the workspace and stamp the same files."""
    import pipeline.intake.isolate
    from pipeline.template import batch

    monkeypatch.setattr(pipeline.intake.isolate, "START_METHOD", "spawn")
    monkeypatch.setattr(batch, "START_METHOD", "spawn")
    monkeypatch.setattr(batch, "SPAWN_MINIMUM", 2)
    stamped = {r.unit: r.path for r in write_templates(many, ["DTN", "HND", "HNCT", "BXDD", "UBKT"], workers=2)}
    for code, path in stamped.items():
        built = write_template(many, many.unit_by_code[code], tmp_path / f"{code}.xlsx").path
        assert _parts(path) == _parts(built), code
