"""The report in words: the outline (baocao.toml), its figures, and the Word drafts (commune and unit).

Figures are checked against an independent recomputation from the demo's inbox files, read with openpyxl through
the templates' own self-description (`_meta`, defined names), never through our aggregation."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import docx
import docx.table
import openpyxl
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from pipeline.collect import collect
from pipeline.demo.run import CORRECTED, MISSING, DemoResult
from pipeline.launcher import REPORT_CMD_NAME, REPORT_SH_NAME
from pipeline.messages import WorkspaceError
from pipeline.report.drafts import add_unit_drafts
from pipeline.report.narrative.docprops import read_custom_properties
from pipeline.report.narrative.figures import build_draft, commune_scope, unit_figures
from pipeline.report.narrative.outline import OUTLINE_NAME, load_outline
from pipeline.report.narrative.write import write_commune_draft
from pipeline.report.screen import show_result
from pipeline.template.fill import data_cells, read_meta
from pipeline.workbook.draft import (
    COMMUNE_UNIT,
    DRAFT_KIND,
    DRAFT_VERSION,
    FIGURE_ID,
    PROP_KIND,
    PROP_ROUND,
    PROP_UNIT,
    PROP_VERSION,
    figure_bookmark,
    figure_of_bookmark,
)
from pipeline.workspace import Workspace, default_unit_rows, open_workspace, write_units_xlsx
from tests.conftest import needs
from tests.helpers import drop, payload, soffice_convert
from tests.test_paper import MIN_BOX, page_texts, pages_of

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def demo(demo_run: DemoResult) -> Workspace:
    """The demo's workspace (the demo run shared with test_paper; read-only: a test that changes it uses a copy)."""
    return demo_run.workspace


@pytest.fixture(scope="module")
def inbox_records(demo: Workspace) -> dict[str, dict[str, list[dict]]]:
    """unit -> its accepted file's records, read from the cells once for the module (the demo's inbox is
    read-only)."""
    return {code: records(p) for code, p in accepted_files(demo).items()}


def accepted_files(ws: Workspace) -> dict[str, Path]:
    """unit -> the file that counts in the demo: the corrected one for the unit that sent errors first."""
    out = {}
    for path in sorted(ws.inbox.glob("*.xlsx")):
        code = path.name.split("_")[0]
        if path.name.startswith("~$") or (code == CORRECTED and "DaSua" not in path.name):
            continue
        out[code] = path
    return out


def records(path: Path) -> dict[str, list[dict]]:
    """annex -> its records (a form: one; a table: its non-blank rows), straight from the cells."""
    wb = openpyxl.load_workbook(path, data_only=True)
    meta = read_meta(path)
    out = {}
    for annex, am in meta.annexes.items():
        sheet, grid = data_cells(path, annex)
        keys = list(am.columns)
        if len(grid[0]) == 1:
            out[annex] = [{k: wb[sheet][row[0]].value for k, row in zip(keys, grid, strict=True)}]
        else:
            rows = [{k: wb[sheet][c].value for k, c in zip(keys, row, strict=True)} for row in grid]
            out[annex] = [r for r in rows if any(v not in (None, "") for v in r.values())]
    return out


def total(recs: dict[str, dict[str, list[dict]]], annex: str, *keys: str, where=lambda r: True) -> float:
    return float(sum(float(r.get(k) or 0) for unit in recs.values() for r in unit.get(annex, []) if where(r)
                     for k in keys))


def records_of(recs: dict[str, dict[str, list[dict]]], annex: str, units: set[str] | None = None) -> list[dict]:
    return [dict(r, _unit=code) for code, unit in recs.items() if units is None or code in units
            for r in unit.get(annex, [])]


def _day(value: object) -> object:
    return value.date() if isinstance(value, dt.datetime) else value


def evaluate(source: str, rec: dict, ws: Workspace) -> float:
    """A spec expression evaluated by Python itself on one record read from the cells (blank: 0 or "")."""
    names = {k: (_day(v) if v not in (None, "") else 0) for k, v in rec.items()}
    names.update({"filled": lambda x: x not in (0, "", None), "blank": lambda x: x in (0, "", None),
                  **ws.round.constants})
    return float(eval(source, {"__builtins__": {}}, names))  # a condition counts 1 where it holds


def expected(fid: str, recs: dict[str, dict[str, list[dict]]], ws: Workspace) -> float | None:
    """A figure recomputed from the inbox's cells: its id says annex, kind, key, and khối or group."""
    annex = next(a for a in sorted(ws.specs.annexes, key=len, reverse=True) if fid.startswith(a.lower() + "_"))
    spec = ws.specs.annexes[annex]
    rest = fid[len(annex) + 1:]
    kind, _, key = rest.partition("_")
    units, group = None, None
    scoped = re.fullmatch(r"(.*)_([kg])(\d+)", key) or re.fullmatch(r"()([kg])(\d+)", key)
    if scoped and (scoped[1] == "" or scoped[1] in {c.key for c in spec.columns} | {r.key for r in spec.rates}):
        key, n = scoped[1], int(scoped[3])
        if scoped[2] == "k":
            khoi = list(dict.fromkeys(u.khoi for u in ws.units))[n - 1]
            units = {u.code for u in ws.units if u.khoi == khoi}
        else:
            group = n
    rows = records_of(recs, annex, units)
    if group is not None:
        column = spec.row_key or next(r.by for r in spec.rates if r.by)
        names = list(spec.preset_rows) if column == spec.row_key else list(spec.by_key[column].categories)
        rows = [r for r in rows if r[column] == names[group - 1]]
    if kind == "sum":
        return sum(float(r[key] or 0) for r in rows)
    if kind in ("count", "units"):
        return float(len(rows) if kind == "count" else len({r["_unit"] for r in rows}))
    if kind == "list":
        rule = next(x for x in spec.lists if x.key == key)
        return float(sum(evaluate(rule.when.source, r, ws) for r in rows))
    rate = next(x for x in spec.rates if x.key == key)
    num = sum(evaluate(rate.numerator.source, r, ws) for r in rows)
    den = sum(evaluate(rate.denominator.source, r, ws) for r in rows)
    if kind in ("num", "den"):
        return num if kind == "num" else den
    if rate.kind == "difference":
        return num - den
    return num / den if den else None


def shown_number(text: str) -> float | None:
    """A figure's text read back: "7.915" → 7915, "62,7 %" → 0.627, "thiếu 2 người" → -2."""
    sign = -1 if text.startswith("thiếu") else 1
    if text.startswith("bằng"):
        return 0.0
    match = re.search(r"[\d.]+(?:,\d+)?", text)
    if not match:
        return None
    value = float(match[0].replace(".", "").replace(",", "."))
    return sign * (value / 100 if text.endswith("%") else value)


def bound_figures(path: Path) -> dict[str, str]:
    """bookmark name → the text between its start and end, straight from document.xml."""
    with zipfile.ZipFile(path) as z:
        root = SafeET.fromstring(z.read("word/document.xml"))
    out, open_ = {}, {}
    for el in root.iter():
        if el.tag == W + "bookmarkStart":
            open_[el.get(W + "id")] = [el.get(W + "name"), ""]
        elif el.tag == W + "bookmarkEnd" and el.get(W + "id") in open_:
            name, text = open_.pop(el.get(W + "id"))
            out[name] = text
        elif el.tag == W + "t":
            for item in open_.values():
                item[1] += el.text or ""
    return out


def check_bound(path: Path, recs: dict[str, dict[str, list[dict]]], ws: Workspace) -> int:
    """Every figure bound in a draft equals its recomputation (to the precision it is written with)."""
    bound = bound_figures(path)
    assert bound
    for name, text in bound.items():
        fid = figure_of_bookmark(name)
        assert fid, name
        want, got = expected(fid, recs, ws), shown_number(text)
        if want is None:
            assert "chưa tính được" in text, (name, text)
        elif text.endswith("%"):
            assert got == pytest.approx(want, abs=0.0005), (name, text, want)
        else:
            assert got == pytest.approx(want, abs=0.05), (name, text, want)
    return len(bound)


def test_default_outline_follows_the_plan(demo: Workspace) -> None:
    outline = load_outline(demo.root, demo.specs)
    headings = [s.heading for s in outline.sections]
    order = ["I. KHÁI QUÁT", "2.1.", "3. Kết quả bàn giao", "5.2.", "6. Việc thực hiện hạ tầng số",
             "7. Việc thực hiện đẩy mạnh", "III. ĐÁNH GIÁ CHUNG", "IV. ĐỀ XUẤT, KIẾN NGHỊ"]
    found = [next(i for i, h in enumerate(headings) if h.startswith(o)) for o in order]
    assert found == sorted(found)
    assert [a.heading for a in outline.appendices] == [f"Phụ lục {n}" for n in range(1, 5)]
    assert (demo.root / OUTLINE_NAME).is_file()  # annex init gives every workspace its outline


def test_commune_figures_equal_the_inbox(demo: Workspace, demo_run: DemoResult, inbox_records: dict) -> None:
    result = demo_run.result  # the demo's collect
    draft = build_draft(commune_scope(demo, result.counted, result.completeness), load_outline(demo.root, demo.specs))
    recs = inbox_records
    assert not set(recs) & set(MISSING)
    figures = {k: f.number for k, f in draft.figures.items()}
    assert figures["pl1_sum_tong_hien_co"] == total(recs, "PL1", "tong_hien_co")
    assert figures["pl1_den_thua_thieu_cong_chuc"] == total(recs, "PL1", "bien_che_cong_chuc_giao")
    assert figures["pl3_sum_hs_tong_nhan"] == total(recs, "PL3", "hs_tong_nhan")
    solved = total(recs, "PL3", "da_gq_truoc_han", "da_gq_dung_han")
    assert figures["pl3_rate_ty_le_dung_han"] == pytest.approx(
        solved / total(recs, "PL3", "da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"))
    assert figures["pl2_count"] == sum(len(u.get("PL2", [])) for u in recs.values())
    assert figures["pl2b_sum_dien_tich_thieu"] == total(recs, "PL2b", "dien_tich_thieu")
    party = {code for code, u in ((u.code, u) for u in demo.units) if u.khoi == "Đảng"}
    assert figures["pl1_sum_tong_hien_co_k1"] == total({c: r for c, r in recs.items() if c in party},
                                                      "PL1", "tong_hien_co")
    hotich = draft.figures["pl3_sum_hs_tong_nhan_g1"]
    assert hotich.number == total(recs, "PL3", "hs_tong_nhan", where=lambda r: r["linh_vuc"] == "Hộ tịch")
    assert all(FIGURE_ID.fullmatch(k) and figure_bookmark(k) for k in draft.figures)
    assert draft.figures["pl1_sum_tong_hien_co"].provisional and {u.code for u in draft.missing} == set(MISSING)


def test_unit_figures_come_from_its_own_file(demo: Workspace, demo_run: DemoResult, inbox_records: dict) -> None:
    result = demo_run.result  # the demo's collect
    outline = load_outline(demo.root, demo.specs)
    mine = inbox_records["VPDU"]
    figures = unit_figures(demo, outline, "VPDU", result.counted["VPDU"])
    assert figures["pl1_sum_tong_hien_co"].number == float(mine["PL1"][0]["tong_hien_co"])
    assert figures["pl1_sum_tong_hien_co"].text == f"{int(mine['PL1'][0]['tong_hien_co'])}"
    assert not any(f.provisional for f in figures.values())
    assert not any(k.startswith("pl3_") for k in figures)  # VPDU files no PL3: its draft says nothing of it
    assert not any(re.search(r"_k\d+$", k) for k in figures)  # no breakdown by khối in a unit's draft


def test_outline_mistakes_are_named(demo: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("inbox", "outbox", "*.sqlite*"))
    ws = open_workspace(root)
    text = (root / OUTLINE_NAME).read_text(encoding="utf-8")
    (root / OUTLINE_NAME).write_text(text.replace("{PL1.sum:so_phong_bo_phan}", "{PL1.sum:so_phong}")
                                     .replace(" trên tổng số {PL4b.den:ty_le_ky_nang_so} người", "")
                                     .replace("thoi_han_hoan_thanh < period_end", "thoi_han < period_end"),
                                     encoding="utf-8")
    with pytest.raises(WorkspaceError) as err:
        load_outline(ws.root, ws.specs)
    said = str(err.value)
    assert said.count("baocao.toml: mục thứ") == 3
    assert "{PL1.sum:so_phong}" in said and "{PL4b.den:ty_le_ky_nang_so}" in said and '"thoi_han"' in said


def docx_text(path: Path) -> str:
    doc = docx.Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_drafts_bind_the_inbox_figures(demo: Workspace, inbox_records: dict) -> None:
    recs = inbox_records
    commune = demo.outbox / f"BaoCao_{demo.round.round_id}.docx"
    assert check_bound(commune, recs, demo) > 150
    for code in ("VPDU", CORRECTED, "TTPVHCC"):
        unit = demo.outbox / "baocao" / f"{code}.docx"
        assert check_bound(unit, {code: recs[code]}, demo) > 20
        props = read_custom_properties(unit)
        assert props == {PROP_KIND: DRAFT_KIND, PROP_ROUND: demo.round.round_id, PROP_UNIT: code,
                         PROP_VERSION: DRAFT_VERSION}
    assert read_custom_properties(commune)[PROP_UNIT] == COMMUNE_UNIT
    assert {p.stem for p in (demo.outbox / "baocao").glob("*.docx")} == set(recs)  # every accepted unit, no other


def test_draft_page_font_and_header(demo: Workspace) -> None:
    doc = docx.Document(str(demo.outbox / f"BaoCao_{demo.round.round_id}.docx"))
    first = doc.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (first.top_margin, first.bottom_margin, first.left_margin, first.right_margin)] == \
        [20, 20, 30, 15]
    assert all({round(s.page_width.mm), round(s.page_height.mm)} == {210, 297} for s in doc.sections)
    assert any(s.page_width > s.page_height for s in doc.sections[1:])  # the wide tables are landscape
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 14
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:hAnsi")) == "Times New Roman"
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert "ĐẢNG BỘ XÃ PHÚC THỌ" in header[0] and "-BC/ĐU" in header[0]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header[1] and "Phúc Thọ, ngày" in header[1] and "năm 2026" in header[1]
    text = docx_text(demo.outbox / f"BaoCao_{demo.round.round_id}.docx")
    assert "Nơi nhận:" in text and "BÁO CÁO" in text
    unit = docx.Document(str(demo.outbox / "baocao" / "VPUB.docx"))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in unit.tables[0].rows[0].cells[1].text
    assert "VĂN PHÒNG HĐND VÀ UBND" in unit.tables[0].rows[0].cells[0].text
    writes = [r for p in doc.paragraphs for r in p.runs if r.text.startswith("[Viết:")]
    assert writes and all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in writes)


def _table(doc: docx.document.Document, first: list[str], after: str) -> list[list[str]]:
    """The first table after the paragraph `after` whose header row starts with `first`, joined with the tables
    that go on with its columns ("(tiếp theo)", the same first two columns)."""
    elements = list(doc.element.body.iterchildren())
    seen = False
    for n, el in enumerate(elements):
        if el.tag == W + "p" and _text(el) == after:
            seen = True
        if seen and el.tag == W + "tbl":
            rows = _cells(doc, el)
            if rows[0][:len(first)] == first:
                for text, more in zip(elements[n + 1::2], elements[n + 2::2], strict=False):
                    if text.tag != W + "p" or _text(text) != "(tiếp theo)" or more.tag != W + "tbl":
                        break
                    rest = _cells(doc, more)
                    assert [r[:2] for r in rest] == [r[:2] for r in rows], "the row labels repeated"
                    rows = [r + x[2:] for r, x in zip(rows, rest, strict=True)]
                return rows
    raise AssertionError(f"no table {first} after {after}")


def _text(el) -> str:
    return "".join(t.text or "" for t in el.iter(W + "t")).strip()


def _cells(doc: docx.document.Document, el) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in docx.table.Table(el, doc).rows]


def test_appendices_equal_the_inbox(demo: Workspace, inbox_records: dict) -> None:
    recs = inbox_records
    doc = docx.Document(str(demo.outbox / f"BaoCao_{demo.round.round_id}.docx"))
    pl1 = demo.specs.annexes["PL1"]
    rows = _table(doc, ["STT", "Chỉ tiêu"], pl1.title)
    assert rows[0][-1] == "Toàn xã"
    numeric = [c for c in pl1.columns if c.numeric]
    assert [r[1] for r in rows[1:]] == [c.full_label for c in numeric]
    for row, col in zip(rows[1:], numeric, strict=True):
        assert shown_number(row[-1]) == sum(float(r[col.key] or 0) for r in records_of(recs, "PL1")), col.key
    pl3 = demo.specs.annexes["PL3"]
    rows = _table(doc, ["STT", pl3.by_key["linh_vuc"].label], pl3.title)
    keys = [c.key for c in pl3.columns if c.numeric]
    for row in rows[1:]:
        mine = [r for r in records_of(recs, "PL3") if row[1] in (r["linh_vuc"], "TỔNG SỐ")]
        assert len(row) - 2 >= len(keys)  # every column, the continuation table's too (then the derived ones)
        for key, cell in zip(keys, row[2:], strict=False):
            assert shown_number(cell) == sum(float(r[key] or 0) for r in mine), (row[1], key)
    pl2 = demo.specs.annexes["PL2"]
    rows = _table(doc, ["STT", "Đơn vị"], pl2.title)
    total = next(r for r in rows if r[1] == "TOÀN XÃ")
    heads = rows[0]
    for col in (c for c in pl2.columns if c.numeric):
        cell = total[heads.index(col.full_label)]
        assert shown_number(cell) == pytest.approx(sum(float(r[col.key] or 0) for r in records_of(recs, "PL2"))), \
            col.key
    assert len(rows) - 1 == len(records_of(recs, "PL2")) + 1 + len({u.khoi for u in demo.units if "PL2" in u.annexes
                                                                      and u.code in recs})


def test_provisional_exactly_when_units_are_missing(demo: Workspace, tmp_path: Path) -> None:
    commune = docx_text(demo.outbox / f"BaoCao_{demo.round.round_id}.docx")
    assert "tạm tính" in commune
    assert all(demo.unit_by_code[code].name in commune for code in MISSING)
    assert all("tạm tính" not in docx_text(p) for p in (demo.outbox / "baocao").glob("*.docx"))
    root = tmp_path / "full"
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("outbox", "*.sqlite*", "*.lock", "units.xlsx"))
    write_units_xlsx(root / "units.xlsx", [r for r in default_unit_rows() if r[0] not in MISSING])
    full = open_workspace(root)
    result = collect(full, workers=1, write_outputs=False)
    path = write_commune_draft(full, result.counted, result.completeness)
    text = docx_text(path)
    assert "tạm tính" not in text and "Chưa có" not in text


def test_changing_the_outline_changes_the_draft(demo: Workspace, inbox_records: dict, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("outbox", "*.sqlite*", "*.lock"))
    text = (root / OUTLINE_NAME).read_text(encoding="utf-8")
    text = text.replace('heading = "9. Công tác kiểm tra, giám sát"', 'heading = "9. Công tác thi đua, khen thưởng"')
    text = text.replace('title = "BÁO CÁO"', 'title = "BÁO CÁO SƠ KẾT"')
    text += ('\n[[sections]]\nlevel = 1\nheading = "V. PHỤ LỤC SỐ LIỆU"\nbody = ["Số máy quét: '
             '{PL4b.sum:so_may_scan} chiếc.", "[Viết: nhận xét.]"]\n')
    (root / OUTLINE_NAME).write_text(text, encoding="utf-8")
    ws = open_workspace(root)
    result = collect(ws, workers=1, write_outputs=False)
    path = write_commune_draft(ws, result.counted, result.completeness)
    doc = docx.Document(str(path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "9. Công tác thi đua, khen thưởng" in headings and headings[-1] == "V. PHỤ LỤC SỐ LIỆU"
    assert "9. Công tác kiểm tra, giám sát" not in headings
    assert "BÁO CÁO SƠ KẾT" in docx_text(path)
    recs = inbox_records  # the copy's inbox is the demo's
    bound = bound_figures(path)
    assert shown_number(bound["F_pl4b_sum_so_may_scan"]) == expected("pl4b_sum_so_may_scan", recs, ws)


def test_unit_drafts_are_rewritten_only_when_their_inputs_change(demo: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo.root, root)
    ws = open_workspace(root)
    drafts = root / "outbox" / "baocao"
    before = {p.name: p.stat().st_mtime_ns for p in drafts.glob("*.docx")}
    result = collect(ws, workers=1)
    add_unit_drafts(ws, result, workers=1)
    assert {p.stat().st_mtime_ns for p in drafts.glob("*.docx")} == set(before.values())
    assert len(result.outputs["draft_files"]) == len(before)
    text = (root / OUTLINE_NAME).read_text(encoding="utf-8")
    (root / OUTLINE_NAME).write_text(text.replace("2.2. Rà soát", "2.2. Rà soát lại"), encoding="utf-8")
    add_unit_drafts(ws, collect(ws, workers=1), workers=1)
    assert all(p.stat().st_mtime_ns != before[p.name] for p in drafts.glob("*.docx"))
    assert any(p.text.startswith("2.2. Rà soát lại") for p in docx.Document(str(drafts / "VPDU.docx")).paragraphs)

def test_collect_leaves_the_drafts_to_the_report(demo: Workspace, tmp_path: Path) -> None:
    """A collect writes the summary and the feedback only (a thousand drafts would hold the summary back); it says
    where the drafts come from; the report step then drafts exactly the units whose submission counts."""
    root = tmp_path / "ws"
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("outbox"))
    ws = open_workspace(root)
    result = collect(ws, workers=1)
    assert Path(str(result.outputs["summary"])).is_file()
    assert not list((root / "outbox").rglob("*.docx")) and "draft_files" not in result.outputs
    lines: list[str] = []
    show_result(result, lines.append)
    launcher = REPORT_CMD_NAME if sys.platform == "win32" else REPORT_SH_NAME
    assert any(f"bấm đúp tệp {launcher}" in line and "annex report" in line for line in lines)
    add_unit_drafts(ws, result, workers=2)
    assert {Path(p).stem for p in result.outputs["draft_files"]} == set(result.counted)
    drafts = root / "outbox" / "baocao"
    assert {p.stem for p in drafts.glob("*.docx")} == set(result.counted)
    # then a unit's file leaves the inbox and another unit sends a newer one: a plain collect leaves no draft (nor its
    # "accepted" message) that contradicts the feedback, and names the unit whose draft is to be made again
    gone, renewed = [c for c in sorted(result.counted) if c != CORRECTED][:2]
    (root / "inbox" / f"{gone}_BaoCao.xlsx").unlink()
    drop(ws, f"{renewed}_BaoCao_moi.xlsx", renewed, payload(ws, renewed, seed=11), dt.datetime.now())
    before = {p.name: p.stat().st_mtime_ns for p in drafts.glob("*.docx")}
    again = collect(ws, workers=1)
    assert again.counted[renewed].file.rel == f"{renewed}_BaoCao_moi.xlsx" and gone not in again.counted
    assert again.outputs["drafts_pending"] == [renewed] and again.outputs["drafts_removed"] == sorted([gone, renewed])
    left = {p.name for p in drafts.iterdir() if not p.name.startswith(".")}
    assert left == {f"{c}.{ext}" for c in set(again.counted) - {renewed} for ext in ("docx", "txt")}
    assert all(p.stat().st_mtime_ns == before[p.name] for p in drafts.glob("*.docx"))  # the current ones untouched
    lines = []
    show_result(again, lines.append)
    assert any("cho 1 đơn vị" in line and f"({renewed})" in line and launcher in line for line in lines), lines


def test_annex_report_command(demo: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo.root, root, ignore=shutil.ignore_patterns("outbox"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, "-m", "pipeline", "report", "--workspace", str(root)], env=env,
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"Dự thảo báo cáo lời của xã: {root / 'outbox' / f'BaoCao_{demo.round.round_id}.docx'}" in run.stdout
    assert (root / "outbox" / "baocao" / "VPDU.docx").is_file()
    (root / OUTLINE_NAME).write_text('title = "BÁO CÁO"\n[[sections]]\nlevel = 1\nheading = "I. A"\n'
                                     'body = ["{PL9.sum:x}"]\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline", "report", "--workspace", str(root)], env=env,
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr + run.stdout
    assert "baocao.toml: mục thứ 1 (I. A): chỗ trống {PL9.sum:x} không hợp lệ" in run.stderr + run.stdout

def _pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return [tuple(float(x) for x in m) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


@needs("soffice")
@needs("pdftotext")
def test_drafts_render_in_libreoffice(demo: Workspace, tmp_path: Path) -> None:
    """LibreOffice prints the commune's and a unit's draft on A4 with the outline's headings in order, the
    provisional mark only where units are missing; and keeps properties and bookmarks when it saves a .docx."""
    commune = demo.outbox / f"BaoCao_{demo.round.round_id}.docx"
    unit = demo.outbox / "baocao" / "VPDU.docx"
    soffice_convert([commune, unit], tmp_path, "pdf", tmp_path / "profile")
    outline = load_outline(demo.root, demo.specs)
    for path in (commune, unit):
        pdf = tmp_path / f"{path.stem}.pdf"
        pages = _pdf_pages(pdf)
        assert pages and all(sorted(p) == pytest.approx([595.3, 841.9], abs=1) for p in pages)
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                                 check=True).stdout)  # justified lines: pdftotext splits words
        at = 0
        for section in outline.sections:
            found = text.find(re.sub(r"\s+", "", section.heading), at)
            assert found >= 0, section.heading
            at = found
        assert ("tạmtính" in text) == (path == commune)
        assert "PHỤLỤC1" in text[at:] and "PHỤLỤC4b" in text[at:]
    assert any(w > h for w, h in _pdf_pages(tmp_path / f"{commune.stem}.pdf"))
    saved = tmp_path / "saved"
    soffice_convert(unit, saved, "docx:MS Word 2007 XML", tmp_path / "profile")
    again = saved / unit.name
    assert read_custom_properties(again) == read_custom_properties(unit)
    assert bound_figures(again) == bound_figures(unit)


@needs("soffice")
@needs("pdftotext")
def test_appendix_tables_print_at_8_pt_or_more_and_no_line_starts_with_a_percent_sign(demo: Workspace,
                                                                                    tmp_path: Path) -> None:
    """PL2's 19 columns printed at 7.5 pt: wide tables now go on in a second table, the row labels repeated; a
    percentage keeps its "%" on its line (a no-break space before it)."""
    commune = demo.outbox / f"BaoCao_{demo.round.round_id}.docx"
    doc = docx.Document(str(commune))
    sizes = [r.font.size.pt for t in doc.tables[2:] for row in t.rows for c in row.cells for p in c.paragraphs
             for r in p.runs if r.text.strip()]  # the appendices (after the header and the signature tables)
    assert sizes and min(sizes) >= 8
    soffice_convert(commune, tmp_path, "pdf", tmp_path / "profile")
    pdf = tmp_path / f"{commune.stem}.pdf"
    pages = pages_of(pdf)
    first = next(n for n, words in enumerate(pages) if "(Kèmtheo" in page_texts(words).replace(" ", ""))
    assert len(pages) - first >= 4  # Phụ lục 1–4
    for n, words in enumerate(pages[first:], start=first + 1):
        assert min(w[3] - w[1] for w in words) >= MIN_BOX, f"page {n}"
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    assert "%" in layout and not [x for x in layout.splitlines() if x.strip().startswith("%")]


def test_every_appendix_total_equals_the_inbox(demo: Workspace, inbox_records: dict) -> None:
    """Each annex's appendix: a form's "Toàn xã" column and a unit-by-unit table's "TOÀN XÃ" row, every numeric
    column, against the accepted files' cells (PL3's by-field table: test_appendices_equal_the_inbox)."""
    recs = inbox_records
    doc = docx.Document(str(demo.outbox / f"BaoCao_{demo.round.round_id}.docx"))
    checked: dict[str, int] = {}
    for spec in demo.specs.annexes.values():
        numeric = [c for c in spec.columns if c.numeric]
        if spec.id == "PL3" or not numeric or not records_of(recs, spec.id):
            continue
        if spec.layout == "form":
            rows = _table(doc, ["STT", "Chỉ tiêu"], spec.title)
            by_label = {r[1]: r[-1] for r in rows[1:]}
            pairs = [(by_label[c.full_label], c) for c in numeric]
        else:
            rows = _table(doc, ["STT", "Đơn vị"], spec.title)
            total = next(r for r in rows if r[1] == "TOÀN XÃ")
            pairs = [(total[rows[0].index(c.full_label)], c) for c in numeric if c.full_label in rows[0]]
            assert pairs, spec.id
        for shown, col in pairs:
            expected = sum(float(r[col.key] or 0) for r in records_of(recs, spec.id))
            assert shown_number(shown) == pytest.approx(expected), (spec.id, col.key)
            checked[spec.id] = checked.get(spec.id, 0) + 1
    assert set(checked) == set(demo.specs.annexes) - {"PL3"}, checked
